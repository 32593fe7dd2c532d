"""The admin API: the operator's actions over HTTP, behind ``DATELINE_ADMIN_TOKEN``.

Every route takes ``Authorization: Bearer <token>``, compared in constant time
(:func:`hmac.compare_digest`); with no token configured the admin API answers 403 to
everyone. A browser never sends that header by itself, so these routes need no CSRF token:
a page on another site cannot make them act. A change reaches every web worker at its
next corpus check (``DATELINE_PAGE_CACHE_SECONDS``). The same actions are ``dateline admin`` and
``dateline sources`` on the command line, through the same library functions.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from pydantic import BaseModel, Field

from dateline.clock import utc_now
from dateline.enrich.stories.manual import merge_stories, split_story
from dateline.store.moderation import REASON_MAX, hide_article, mark_source, unhide_article
from dateline.store.subscriptions import remove_subscription, set_paused
from dateline.web.api_params import MAX_ID, Forbidden, error_responses
from dateline.web.pages import site_of

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses=error_responses(400, 403, 404, 422, 429),
)


def require_admin(
    request: Request,
    authorization: Annotated[
        str | None, Header(max_length=300, description="Bearer DATELINE_ADMIN_TOKEN")
    ] = None,
) -> None:
    expected = site_of(request).settings.admin_token
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not expected:
        raise Forbidden("The admin API is off (DATELINE_ADMIN_TOKEN is not set).")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("A valid Authorization: Bearer token is required.")


Admin = Annotated[None, Depends(require_admin)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Done(BaseModel):
    done: str = Field(description="What was done, in words.")


class HideIn(BaseModel):
    reason: str = Field("", max_length=REASON_MAX, description="Shown to no reader; kept.")


class MergeIn(BaseModel):
    absorb: BodyId = Field(description="The story whose articles move into this one.")


class SplitIn(BaseModel):
    article_ids: list[BodyId] = Field(min_length=1, max_length=1000)


class SourceKindIn(BaseModel):
    kind: Literal["wire", "farm"] | None = Field(description="null clears the mark.")


class PausedIn(BaseModel):
    paused: bool = True


@router.post("/articles/{article_id}/hide", response_model=Done)
def hide(request: Request, article_id: Id, body: HideIn, _: Admin) -> Done:
    """Hide the article from every list, search, feed and sitemap; its page answers 404."""
    with site_of(request).store.write() as session:
        hide_article(session, article_id, body.reason, utc_now())
    return Done(done=f"article {article_id} hidden")


@router.post("/articles/{article_id}/unhide", response_model=Done)
def unhide(request: Request, article_id: Id, _: Admin) -> Done:
    """Show a hidden article again, everywhere."""
    with site_of(request).store.write() as session:
        unhide_article(session, article_id)
    return Done(done=f"article {article_id} shown again")


@router.post("/stories/{story_id}/merge", response_model=Done)
def merge(request: Request, story_id: Id, body: MergeIn, _: Admin) -> Done:
    """Move every article of ``absorb`` into this story; its address redirects here."""
    with site_of(request).store.write() as session:
        merge_stories(session, story_id, body.absorb)
    return Done(done=f"story {body.absorb} merged into {story_id}")


@router.post("/stories/{story_id}/split", response_model=Done)
def split(request: Request, story_id: Id, body: SplitIn, _: Admin) -> Done:
    """Move these articles of the story into a new story of their own."""
    with site_of(request).store.write() as session:
        new = split_story(session, story_id, body.article_ids)
        new_id = int(new.id)
    return Done(done=f"{len(body.article_ids)} articles split off into story {new_id}")


@router.post("/sources/{source_id}/kind", response_model=Done)
def source_kind(request: Request, source_id: Id, body: SourceKindIn, _: Admin) -> Done:
    """Mark the source a wire or a content farm (null: the measures decide again)."""
    with site_of(request).store.write() as session:
        mark_source(session, source_id, body.kind)
    return Done(done=f"source {source_id} marked {body.kind or 'by its measures'}")


@router.post("/subscriptions/{subscription_id}/pause", response_model=Done)
def pause(request: Request, subscription_id: Id, body: PausedIn, _: Admin) -> Done:
    """Stop polling the subscription for now (``paused``: false resumes it)."""
    with site_of(request).store.write() as session:
        set_paused(session, str(subscription_id), body.paused, utc_now())
    return Done(done=f"subscription {subscription_id} {'paused' if body.paused else 'resumed'}")


@router.delete("/subscriptions/{subscription_id}", response_model=Done)
def remove(request: Request, subscription_id: Id, _: Admin) -> Done:
    """Stop polling it for good; the articles it brought stay."""
    with site_of(request).store.write() as session:
        remove_subscription(session, str(subscription_id))
    return Done(done=f"subscription {subscription_id} removed")
