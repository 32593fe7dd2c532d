"""``dateline admin``: the operator's actions, the same as the admin API's.

Hide or show an article, merge or split stories, mark a source as a wire or a content
farm. Pausing and removing subscriptions are ``dateline sources pause|remove``. The
command line needs no token: whoever runs it already holds the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from dateline.cli.common import console, fail, get_settings, open_store
from dateline.clock import utc_now
from dateline.errors import DatelineError
from dateline.store.moderation import hide_article, mark_source, unhide_article

app = typer.Typer(
    help="The operator's actions: hide articles, merge and split stories, mark sources.",
    no_args_is_help=True,
)


def _run(work: Callable[[Session], object], done: str) -> None:
    settings = get_settings()
    try:
        with open_store(settings) as store, store.write() as session:
            work(session)
    except DatelineError as exc:
        raise fail(exc.message) from exc
    except ValueError as exc:
        raise fail(str(exc)) from exc
    console.print(done, highlight=False)


@app.command("hide")
def hide(
    article: Annotated[int, typer.Argument(help="The article's id (in its address /a/ID/…).")],
    reason: Annotated[str, typer.Option(help="Why, for the record (never shown).")] = "",
) -> None:
    """Hide an article from every list, search, feed and sitemap (its page answers 404)."""
    _run(lambda s: hide_article(s, article, reason, utc_now()), f"article {article} hidden")


@app.command("unhide")
def unhide(article: Annotated[int, typer.Argument(help="The article's id.")]) -> None:
    """Show a hidden article again."""
    _run(lambda s: unhide_article(s, article), f"article {article} shown again")


@app.command("merge-stories")
def merge(
    keep: Annotated[int, typer.Argument(help="The story that stays.")],
    absorb: Annotated[int, typer.Argument(help="The story whose articles move into it.")],
) -> None:
    """Merge two stories; the absorbed one's address redirects to the one kept."""
    from dateline.enrich.stories.manual import merge_stories  # numpy and more: only here

    _run(lambda s: merge_stories(s, keep, absorb), f"story {absorb} merged into {keep}")


@app.command("split-story")
def split(
    story: Annotated[int, typer.Argument(help="The story to split.")],
    articles: Annotated[list[int], typer.Argument(help="Its articles that move out.")],
) -> None:
    """Move some of a story's articles into a new story of their own."""
    from dateline.enrich.stories.manual import split_story

    made: list[int] = []
    _run(
        lambda s: made.append(int(split_story(s, story, articles).id)),
        f"{len(articles)} articles split off story {story}",
    )
    console.print(f"new story: {made[0]}", highlight=False)


@app.command("mark-source")
def mark(
    source: Annotated[int, typer.Argument(help="The source's id (in its address /source/ID).")],
    kind: Annotated[str, typer.Argument(help="wire, farm, or none to clear the mark.")],
) -> None:
    """Say what a source is: a wire (the original of its copies) or a content farm (scored
    0); it holds whatever later pages measure, until cleared with `none`."""
    value = None if kind == "none" else kind
    _run(lambda s: mark_source(s, source, value), f"source {source} marked {kind}")
