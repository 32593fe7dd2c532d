"""Readers and their events: identity, views, reactions, impressions, history, retention.

``identity`` says who is reading (cookie id, keyed client hash, bots); ``events`` holds
the synchronous writes (reader rows, reactions) and the counts pages show; ``buffer``
batches views and impressions per web worker (``flush`` is its SQL half); ``history``
serves the /me page, retention and the MIND export; ``simulate`` is the demo's readership.
"""

from dateline.readers.buffer import EventBuffer
from dateline.readers.events import counts, ensure_reader, reaction_state, toggle_reaction
from dateline.readers.flush import FlushResult, hour_bucket
from dateline.readers.history import (
    HistoryItem,
    clear_history,
    export_behaviors_tsv,
    export_news_tsv,
    prune_events,
    reader_history,
)
from dateline.readers.identity import (
    client_key,
    cookieless_key,
    is_bot,
    new_reader_id,
    reader_key,
    secret_key,
    valid_reader_id,
)

__all__ = [
    "EventBuffer",
    "FlushResult",
    "HistoryItem",
    "clear_history",
    "client_key",
    "cookieless_key",
    "counts",
    "ensure_reader",
    "export_behaviors_tsv",
    "export_news_tsv",
    "hour_bucket",
    "is_bot",
    "new_reader_id",
    "prune_events",
    "reaction_state",
    "reader_history",
    "reader_key",
    "secret_key",
    "toggle_reaction",
    "valid_reader_id",
]
