"""The article page's per-request parts as bytes: markers, list items, the reaction form.

An article page is rendered once for everyone by Jinja with markers where the parts that
change per request go (view count, reaction form, Ranking, Recommendation). Splicing those
parts in is the hot path of the site, so they are plain f-strings here, byte-for-byte what
the templates would render (tests compare the two). Nothing here reads the store or knows
the ``Site``: it is pure string work, shared by the page cache and the fast path.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from dateline.web.contexts import ListEntry

VIEWS_MARKER = "<!--dl:views-->"
REACTION_MARKER = "<!--dl:reaction-->"
RANKING_MARKER = "<!--dl:ranking-->"
RECOMMENDATION_MARKER = "<!--dl:recommendation-->"
# The shared article page's markers, in document order (see article.html).
MARKERS = (VIEWS_MARKER, REACTION_MARKER, RANKING_MARKER, RECOMMENDATION_MARKER)
# The lists an article page showed: (list name, article ids in position order).
Shown = tuple[tuple[str, tuple[int, ...]], ...]


@dataclass(frozen=True)
class CachedArticle:
    """An article page rendered for everyone, with markers where per-request parts go.

    ``parts`` is ``html`` encoded and split at ``MARKERS``: the page is
    ``parts[0] + views + parts[1] + reaction + parts[2] + ranking + parts[3] + reco + parts[4]``.
    """

    html: str
    slug: str
    reactions: int
    parts: tuple[bytes, ...] = ()
    related: tuple[int, ...] = ()  # the Related list's article ids, in shown order
    # Recommendation for a reader with no history yet, around this article (see
    # ``ArticlePages.compose_article``): the same for every such reader, so built with the
    # page; empty: the site's cold mix serves
    around: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Item:
    """One list entry, escaped once: ``head`` + position + ``mid`` + article id + ``tail``."""

    article_id: int
    head: str
    tail: str


def list_items(name: str, entries: list[ListEntry], csrf: str = "") -> tuple[Item, ...]:
    """The entries of list ``name`` as pre-escaped items (positions filled in per page).

    With the reader's ``csrf`` token, each Recommendation item carries its "less like
    this" form (``less_form``)."""
    return tuple(
        Item(
            e.article.id,
            f'    <li><a href="/a/{e.article.id}/{escape(e.article.slug)}?from={name}&amp;pos=',
            f'">{escape(e.article.title)}</a>\n      <span class="why">{escape(e.reason)}</span>'
            f"{less_form(e, csrf) if name == 'recommendation' and csrf else ''}</li>\n",
        )
        for e in entries
    )


def less_form(e: ListEntry, csrf: str) -> str:
    """The "less like this" form of a recommended item (the ``less_form`` macro)."""
    return (
        f'\n      <form class="less" method="post" action="/me/less">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="article" value="{e.article.id}">'
        f'<button type="submit" class="less-button" '
        f'aria-label="Less like this: {escape(e.article.title)}">Less like this</button></form>'
    )


def shown_items(items: tuple[Item, ...], article_id: int, size: int) -> list[Item]:
    """The items a list shows on ``article_id``'s page (never that article itself)."""
    return [i for i in items if i.article_id != article_id][:size]


def render_items(name: str, title: str, items: tuple[Item, ...], article_id: int, size: int) -> str:
    """The ``ranked_list`` macro of _macros.html as an f-string (the same bytes, tested)."""
    return render_shown(name, title, shown_items(items, article_id, size), article_id)


def render_shown(name: str, title: str, shown: list[Item], article_id: int) -> str:
    head = (
        f'<section class="list list-{name}" aria-labelledby="list-{name}">\n'
        f'  <h2 id="list-{name}">{title}</h2>\n'
    )
    if not shown:
        return head + '  <p class="muted">Nothing to show yet.</p>\n</section>'
    rows = "".join(
        f"{item.head}{pos}&amp;on={article_id}{item.tail}" for pos, item in enumerate(shown, 1)
    )
    return f"{head}  <ol>\n{rows}  </ol>\n</section>"


def render_reaction(article_id: int, csrf: str, reacted: bool, count: int) -> str:
    """reaction.html as an f-string (the same bytes, tested)."""
    return (
        f'<form class="reaction" method="post" action="/a/{article_id}/react">\n'
        f'  <input type="hidden" name="csrf" value="{csrf}">\n'
        f'  <button type="submit" class="reaction-button" aria-pressed="{"true" if reacted else "false"}" data-article="{article_id}">\n'
        f'    <span class="reaction-label">{"Liked" if reacted else "Like"}</span>\n'
        f'    <span class="reaction-count" aria-label="{count} reader{"s" if count != 1 else ""} liked this">{count}</span>\n'
        "  </button>\n</form>"
    )


def views_text(views: int) -> str:
    return f"{views:,} view{'s' if views != 1 else ''}"


def split_at_markers(html: str) -> tuple[bytes, ...]:
    """``html`` encoded and cut at each of ``MARKERS`` (see ``CachedArticle.parts``)."""
    parts = []
    rest = html
    for marker in MARKERS:
        head, found, rest = rest.partition(marker)
        if not found:
            raise ValueError(f"article.html lost its {marker} marker")
        parts.append(head.encode())
    parts.append(rest.encode())
    return tuple(parts)
