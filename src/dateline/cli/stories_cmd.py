"""``dateline stories``: re-cluster a date range of articles into stories from scratch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dateline.cli.common import console, fail, get_settings, open_store

app = typer.Typer(help="Stories: running threads of articles.", no_args_is_help=True)


def _parse_date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--since/--until: not an ISO date: {text!r}") from exc
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@app.command("rebuild")
def rebuild(
    since: Annotated[str, typer.Option(help="Re-cluster articles dated on or after this.")],
    until: Annotated[str | None, typer.Option(help="…and before this (default: no end).")] = None,
) -> None:
    """Forget story assignments in the range and replay its articles in date order."""
    from dateline.enrich.stories import StoryClusterer

    settings = get_settings()
    start = _parse_date(since)
    end = _parse_date(until) if until else None
    clusterer = StoryClusterer()
    with open_store(settings) as store, store.write() as session:
        result = clusterer.rebuild(session, start, end)
    assigned = [s for s in result.values() if s is not None]
    console.print(
        f"{len(result)} articles re-clustered into {len(set(assigned))} stories"
        f" ({len(result) - len(assigned)} without a vector: not English or empty)"
    )
    done = clusterer.last_rebuild
    if done is not None and (done.redirected or done.dropped):
        console.print(
            f"{len(done.redirected)} story addresses now redirect (301) to the story that"
            f" took most of their articles; {len(done.dropped)} removed (no article left)"
        )
