"""Pages of the enrich stage: stories (/s/{id}, with feeds) and entities (/e/{id})."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select

from dateline.enrich.entity_queries import entity_page
from dateline.errors import NotFound
from dateline.store.models import Article, Entity, Story
from dateline.store.queries import (
    ArticleSummary,
    ListFilter,
    has_date,
    latest,
    shown,
    summaries_by_id,
)
from dateline.web.contexts import to_jsonable
from dateline.web.feed_data import feed_items
from dateline.web.feed_xml import FeedMeta, atom, rss
from dateline.web.feeds import GET_HEAD, document, serve
from dateline.web.pages import PRIVATE_CACHE, site_of, wants_json
from dateline.web.site import Site

router = APIRouter()
# Articles listed on a story page (its timeline, oldest first).
STORY_TIMELINE_SIZE = 200


@dataclass
class StoryPage:
    id: int
    label: str
    size: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    key_entities: list[dict[str, Any]]
    timeline: list[ArticleSummary] = field(default_factory=list)
    kind: str = "story"
    # What the page says of its span: its first and last dated articles (their dates as
    # every list shows them), apart from the undated ones, of which only when we first saw
    # them is known (``first_seen_at`` above mixes both: it orders the clusterer's work).
    first_dated: ArticleSummary | None = None
    last_dated: ArticleSummary | None = None
    undated: int = 0
    undated_first_seen: datetime | None = None


def story_page(site: Site, story_id: int) -> StoryPage | None:
    """The story's page; None if there is no such story or it was merged into another."""
    with site.store.read() as session:
        story = session.get(Story, story_id)
        if story is None or story.merged_into is not None:
            return None
        items, _ = latest(session, limit=STORY_TIMELINE_SIZE, filters=ListFilter(story_id=story_id))
        members = (Article.story_id == story_id, shown())
        ends = [
            session.scalar(select(Article.id).where(*members, has_date).order_by(o).limit(1))
            for o in (Article.published_at.asc(), Article.published_at.desc())
        ]
        dated = {s.id: s for s in summaries_by_id(session, [i for i in ends if i])}
        first, last = (dated.get(i or 0) for i in ends)
        undated, undated_seen = session.execute(
            select(func.count(), func.min(Article.first_seen_at)).where(*members, ~has_date)
        ).one()
        return StoryPage(
            id=int(story.id),
            label=story.label,
            size=story.size,
            first_seen_at=story.first_seen_at,
            last_seen_at=story.last_seen_at,
            key_entities=_named(session, story.key_entities or []),
            # oldest first, then those of unknown date in the order we first saw them
            timeline=[
                *reversed([a for a in items if a.published_at is not None]),
                *reversed([a for a in items if a.published_at is None]),
            ],
            first_dated=first,
            last_dated=last,
            undated=int(undated),
            undated_first_seen=undated_seen,
        )


def _named(session: Any, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Story key entities are stored as "KIND:key"; show them by name, linked."""
    wanted = [(str(k["entity"]).split(":", 1), k.get("articles", 0)) for k in keys]
    named = []
    for (kind, key), articles in wanted:
        row = session.execute(
            select(Entity.id, Entity.name).where(Entity.kind == kind, Entity.key == key)
        ).first()
        if row is not None:
            named.append({"id": int(row.id), "name": row.name, "kind": kind, "articles": articles})
    return named


def merged_into(site: Site, story_id: int) -> int | None:
    """The story that took a merged story's articles (see :mod:`dateline.enrich.stories`)."""
    with site.store.read() as session:
        return session.scalar(select(Story.merged_into).where(Story.id == story_id))


async def _moved_or_missing(request: Request, story_id: int, suffix: str = "") -> Response:
    """A permanent redirect from a merged story's address to its successor's, else 404."""
    target = await run_in_threadpool(merged_into, site_of(request), story_id)
    if target is None:
        raise NotFound(f"No story {story_id}.")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/s/{target}{suffix}{query}", status_code=301)


@router.get("/s/{story_id}", include_in_schema=False)
async def story(request: Request, story_id: int) -> Response:
    site = site_of(request)
    page = await run_in_threadpool(story_page, site, story_id)
    if page is None:
        return await _moved_or_missing(request, story_id)
    if wants_json(request):
        return JSONResponse(to_jsonable(page))
    response = HTMLResponse(site.render("story.html", page=page, feed_path=f"/s/{story_id}/feed"))
    response.headers["cache-control"] = PRIVATE_CACHE
    return response


def build_story_feed(site: Site, story_id: int, kind: str) -> Any:
    page = story_page(site, story_id)
    if page is None:
        return None
    with site.store.read() as session:
        items = feed_items(session, site.now(), story_id=story_id)
    meta = FeedMeta(
        site_name=site.name,
        title=f"{site.name} — story: {page.label}",
        description=f"New articles in the story “{page.label}”.",
        base_url=site.base_url,
        page_path=f"/s/{story_id}",
        self_path=f"/s/{story_id}/feed.{kind}",
    )
    body = rss(meta, items) if kind == "rss" else atom(meta, items)
    return document(body, kind, max((i.first_seen_at for i in items), default=None))


async def _story_feed(request: Request, story_id: int, kind: str) -> Response:
    site = site_of(request)
    try:
        return await serve(
            request, ("story-feed", kind, story_id), lambda: build_story_feed(site, story_id, kind)
        )
    except NotFound:
        return await _moved_or_missing(request, story_id, f"/feed.{kind}")


@router.api_route("/s/{story_id}/feed.rss", methods=GET_HEAD, include_in_schema=False)
async def story_rss(request: Request, story_id: int) -> Response:
    return await _story_feed(request, story_id, "rss")


@router.api_route("/s/{story_id}/feed.atom", methods=GET_HEAD, include_in_schema=False)
async def story_atom(request: Request, story_id: int) -> Response:
    return await _story_feed(request, story_id, "atom")


@router.get("/e/{entity_id}", include_in_schema=False)
async def entity(request: Request, entity_id: int) -> Response:
    site = site_of(request)

    def build() -> Any:
        with site.store.read() as session:
            return entity_page(session, entity_id)

    page = await run_in_threadpool(build)
    if page is None:
        raise NotFound(f"No entity {entity_id}.")
    if wants_json(request):
        return JSONResponse(to_jsonable(page))
    response = HTMLResponse(site.render("entity.html", page=page))
    response.headers["cache-control"] = PRIVATE_CACHE
    return response
