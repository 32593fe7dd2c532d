"""A reader's first view: the page that issued the cookie, given to that reader afterwards.

The first article a browser opens has no reader cookie yet, so its view is counted under
the client's keyed hash (``c:…``, see ``identity.py``) with no reader, and the response
offers the cookie. Without more, that view never reaches the reader's history (/me), nor
their recommendations. Two designs were weighed and not taken:

- **A reader row for every cookieless request**, its view stored under the offered id.
  Crawlers, link previewers and scripts that do not say they are bots never send the
  cookie back: each request would leave a reader row, and each would count as a new
  viewer, so the once-per-hour dedupe of cookieless clients would be lost.
- **Adopting the client hash's recent cookieless views** when the cookie first comes
  back. The hash is of IP and User-Agent, and many people share both (an office or a
  campus behind one NAT address; browsers that report a reduced, common User-Agent):
  one colleague's new cookie would take the others' reading into their history.

So the response that offers the cookie also sets a short-lived second cookie naming that
one view (``first_view_token``): its article, its time and the client hash, signed with
the site secret together with the offered reader id. Only a browser that
sends both back (see ``web/first_view.py``) has it adopted (``adopt_first_view``): the
reader row is created then, and the one events row the token names gets the reader's id.
A client that never returns the cookie costs nothing but the cookie it ignores.

The adopted row keeps its ``viewer_key``: the view was counted under the client hash and
stays counted under it. Adoption changes whose view it is, never what was counted, and
never a column of ``uq_events_view_once`` (kind, article, viewer key, bucket), so the
constraint holds without a new conflict to handle, in any order of flushes and
adoptions, from any number of workers. The reader's history, recommendations and
``clear_history`` find events by ``reader_id``, so they see the adopted view (and
clearing erases it); the MIND export keeps it under the client hash, where it was
counted. The update matches only a row whose ``reader_id`` is still NULL, so of two
people behind one address who both opened the same article first in the same hour (one
row, counted once), the first to come back gets it and the other's history goes without
it; the lists that page showed are adopted only by the reader they were shown to.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update

from dateline.readers.events import IMPRESSION, VIEW, ensure_reader, naive_utc
from dateline.readers.flush import hour_bucket
from dateline.store.db import Store
from dateline.store.models import Event

# Characters of the token's signature (128 bits of HMAC-SHA256, as the CSRF token).
SIGNATURE_CHARS = 32
_TOKEN = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})\.([0-9a-f]{64})\.([0-9a-f]{32})")
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


class FirstView(NamedTuple):
    """The view a first-view token names: its article, time and client-hash key."""

    article_id: int
    at: datetime  # naive UTC, as the view was queued
    viewer_key: str  # the client hash's "c:…" key it was counted under

    @property
    def bucket(self) -> int:
        return hour_bucket(self.at)


def first_view_token(reader_id: str, view: FirstView, secret: bytes) -> str:
    """``article.time.client-hash.signature``: the view and the reader id it was offered
    to, signed so that a client can name no other view and give it to no other id."""
    client = view.viewer_key.removeprefix("c:")
    micros = (naive_utc(view.at) - _EPOCH) // _MICROSECOND
    body = f"{view.article_id}.{micros}.{client}"
    return f"{body}.{_sign(secret, reader_id, body)}"


def read_first_view_token(token: str, reader_id: str, secret: bytes) -> FirstView | None:
    """The view ``token`` names, if it was issued with ``reader_id``; else None."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    article, micros, client, signature = match.groups()
    body = f"{article}.{micros}.{client}"
    if not hmac.compare_digest(_sign(secret, reader_id, body), signature):
        return None
    return FirstView(int(article), _EPOCH + int(micros) * _MICROSECOND, f"c:{client}")


def _sign(secret: bytes, reader_id: str, body: str) -> str:
    message = f"first-view:{reader_id}:{body}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def adopt_first_view(store: Store, reader_id: str, view: FirstView, now: datetime) -> bool:
    """Give the named cookieless view (and the impressions of that page) to the reader.

    One transaction: the reader row (created if missing) and the update of the view's
    ``reader_id``. Returns True once the question is settled (adopted now or before, or
    another reader's), False when the view is not in the database (yet: the worker that
    served it may not have flushed it, so the caller may ask again later).
    """
    with store.write() as session:
        found = session.execute(
            select(Event.id, Event.reader_id, Event.created_at).where(
                Event.kind == VIEW,
                Event.article_id == view.article_id,
                Event.viewer_key == view.viewer_key,
                Event.bucket == view.bucket,
            )
        ).first()
        if found is None:
            return False
        event_id, owner, shown_at = found
        if owner is not None:
            return True
        ensure_reader(session, reader_id, naive_utc(now))
        session.execute(
            update(Event)
            .where(Event.id == event_id, Event.reader_id.is_(None))
            .values(reader_id=reader_id)
        )
        if shown_at != naive_utc(view.at):
            return True  # the row was another client's first (same hash): not its lists
        # The lists that page showed: queued with the view, so they share its time.
        session.execute(
            update(Event)
            .where(
                Event.kind == IMPRESSION,
                Event.viewer_key == view.viewer_key,
                Event.created_at == shown_at,
                Event.reader_id.is_(None),
            )
            .values(reader_id=reader_id)
        )
    return True
