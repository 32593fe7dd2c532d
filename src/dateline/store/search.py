"""Full-text search over article title and body, on each engine's own index.

SQLite uses the FTS5 table ``articles_fts`` ranked by ``bm25`` (title weighted 10:1);
PostgreSQL the generated ``articles.search_vector`` (GIN) ranked by ``ts_rank_cd`` (title
``A`` = 1.0, body ``B`` = 0.1, the same 10:1). Both are built by migration 0003, with
English stemming (see that migration for why). Both fold accents, so ``cafe`` finds
"Café" and ``Zürich`` finds "Zurich" on either engine: SQLite's tokenizer removes
diacritics; on PostgreSQL migration 0008 rebuilt the vector with the ``dateline_search``
configuration (``english`` plus the ``unaccent`` dictionary when the extension could be
created) over ``dateline_fold(text)`` (a fixed ``translate()`` accent map when it could
not), and every query term goes through the same two.

**Queries are never passed to a query language.** :func:`parse_query` reduces any input,
however hostile, to a list of terms: plain words and ``"quoted phrases"``, all required
(AND), plus ``word*`` for a prefix. Each term reaches the database as a bound parameter
and is read there as plain text only: on SQLite inside an FTS5 double-quoted string (which
has no operators), on PostgreSQL through ``phraseto_tsquery`` (which has none either) —
not ``websearch_to_tsquery``, whose ``or`` and ``-`` operators would make the two engines
disagree on the same query. ``OR``, ``NOT``, ``NEAR``, ``-x`` and ``col:x`` are therefore
searched as words. Each engine tokenizes a term exactly as it tokenized the documents, so
``U.S.`` or ``e-mail`` match what the index holds.

**Snippets are plain text.** ``SearchHit.snippet`` and ``title_marked`` are the article's
own text, never HTML from the database: matched words are wrapped in the private-use
characters ``MARK_START`` (U+E000) and ``MARK_END`` (U+E001). The web layer escapes the
text, then turns markers into ``<mark>`` tags — :func:`marked_to_html` does exactly that
and always emits balanced tags, even if an article's text itself contained a marker
character. A body containing ``<script>`` comes back as those literal characters.

**Pagination is by keyset** on (score desc, article id asc): ``SearchPage.next`` is the
last hit's position, as an opaque URL-safe token bound to the query it came from. A
malformed, tampered or foreign token raises :class:`InvalidCursor` (an ``InputError``,
HTTP 400), never a database error. Scores depend on corpus statistics, so an ingest
between two page loads can shift a hit across the page boundary; each page is consistent.

No total count: counting every match is as costly as the search itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import math
import re
import struct
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, Integer, Text, bindparam, text
from sqlalchemy.orm import Session

from dateline.errors import InputError

MARK_START = "\ue000"
MARK_END = "\ue001"
# Stands in for "<" while PostgreSQL's ts_headline reads the text: its parser drops
# anything tag-shaped, and we want the literal text back.
_LT_STANDIN = "\ue002"

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_QUERY_CHARS = 512  # longer input is cut: nobody types more, and it bounds the work
MAX_TERMS = 16
MIN_PREFIX_CHARS = 2  # "a*" would enumerate half the index

SQLITE_WEIGHTS = (10.0, 1.0)  # bm25 column weights: title, body
POSTGRESQL_WEIGHTS = "{0.1, 0.1, 0.1, 1.0}"  # ts_rank_cd weights for D, C, B (body), A (title)
# Text search configuration and accent folding function, both from migration 0008.
PG_CONFIG = "dateline_search"
PG_FOLD = "dateline_fold"
SNIPPET_TOKENS = 32
PG_SNIPPET_OPTIONS = f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=35, MinWords=15'
PG_TITLE_OPTIONS = f'StartSel="{MARK_START}", StopSel="{MARK_END}", HighlightAll=true'

_CHUNK = re.compile(r'"([^"]*)(?:"|$)|([^\s"]+)')  # a "phrase" (maybe unclosed) or a word
_WORD_CHAR = re.compile(r"[^\W_]")
_PREFIX = re.compile(rf"(?<![^\W_])([^\W_]{{{MIN_PREFIX_CHARS},}})\*+")  # a word's start only
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


class InvalidCursor(InputError):
    """A pagination token that we did not issue for this query."""

    code = "bad_cursor"
    http_status = 400


# --- queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One required term: a word or phrase as plain text, or a word prefix."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """What is left of a user's query once it is safe: required terms, in order."""

    terms: tuple[Term, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def key(self) -> bytes:
        """A short fingerprint that binds a cursor to the query it paginates."""
        canon = "\x1f".join(("*" if t.prefix else "=") + t.text.casefold() for t in self.terms)
        return hashlib.blake2b(canon.encode("utf-8"), digest_size=6).digest()

    def fts5_match(self) -> str:
        """The FTS5 expression: each term a double-quoted string, juxtaposed (AND)."""
        return " ".join(
            '"' + t.text.replace('"', '""') + '"' + ("*" if t.prefix else "") for t in self.terms
        )


def parse_query(raw: str) -> SearchQuery:
    """Reduce any input to required terms; never fails, may return an empty query."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch
        for ch in unicodedata.normalize("NFKC", raw[:MAX_QUERY_CHARS])
    )
    terms: list[Term] = []
    seen: set[tuple[str, bool]] = set()
    for match in _CHUNK.finditer(cleaned):
        phrase, word = match.group(1), match.group(2)
        if word is not None and (prefix := _PREFIX.fullmatch(word)):
            term = Term(prefix.group(1), prefix=True)
        else:
            term = Term(" ".join((phrase if phrase is not None else word).split()))
        identity = (term.text.casefold(), term.prefix)
        if _WORD_CHAR.search(term.text) and identity not in seen:
            seen.add(identity)
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return SearchQuery(tuple(terms))


# --- cursors -----------------------------------------------------------------------------

_CURSOR = struct.Struct(">Bdq6s")  # version, score, article id, query key
_CURSOR_VERSION = 1
_CURSOR_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{math.ceil(_CURSOR.size * 4 / 3)}}}")


@dataclass(frozen=True)
class SearchCursor:
    """A position in one query's results: after the hit with this score and id."""

    score: float
    article_id: int
    query_key: bytes

    def encode(self) -> str:
        packed = _CURSOR.pack(_CURSOR_VERSION, self.score, self.article_id, self.query_key)
        return base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, token: str, query: SearchQuery) -> SearchCursor:
        """Strictly validate a token from a URL; :class:`InvalidCursor` if it is not ours."""
        if not isinstance(token, str) or not _CURSOR_TOKEN.fullmatch(token):
            raise InvalidCursor("the page token is malformed")
        try:
            packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            version, score, article_id, key = _CURSOR.unpack(packed)
        except (binascii.Error, struct.error) as exc:
            raise InvalidCursor("the page token is malformed") from exc
        if version != _CURSOR_VERSION:
            raise InvalidCursor("the page token is malformed")
        cursor = cls(score, article_id, key)
        cursor.check(query)
        return cursor

    def check(self, query: SearchQuery) -> None:
        if not math.isfinite(self.score) or self.article_id < 1:
            raise InvalidCursor("the page token is malformed")
        if self.query_key != query.key:
            raise InvalidCursor("the page token belongs to another search")


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One matching article. ``snippet``/``title_marked``: plain text with match markers."""

    article_id: int
    title: str
    title_marked: str
    published_at: datetime | None
    snippet: str
    score: float  # higher is better; comparable within one search on one engine only


@dataclass(frozen=True)
class SearchPage:
    """One page of hits; ``next`` resumes after its last hit (``next_token`` for a URL)."""

    query: SearchQuery
    hits: tuple[SearchHit, ...]
    next: SearchCursor | None  # None on the last page

    @property
    def next_token(self) -> str | None:
        return self.next.encode() if self.next else None


def search_articles(
    session: Session,
    query: str | SearchQuery,
    *,
    limit: int = DEFAULT_LIMIT,
    after: SearchCursor | str | None = None,
    dialect: str | None = None,
) -> SearchPage:
    """One page of current (not superseded) articles matching every term, best first.

    ``after`` is ``SearchPage.next`` (or its token) from the previous page. ``dialect``
    defaults to the session's engine.
    """
    parsed = query if isinstance(query, SearchQuery) else parse_query(query)
    if isinstance(after, str):
        after = SearchCursor.decode(after, parsed)
    elif after is not None:
        after.check(parsed)
    if parsed.is_empty:
        return SearchPage(parsed, (), None)
    limit = max(1, min(int(limit), MAX_LIMIT))
    dialect = dialect or session.get_bind().dialect.name
    if dialect == "sqlite":
        hits = _search_sqlite(session, parsed, limit + 1, after)
    elif dialect == "postgresql":
        hits = _search_postgresql(session, parsed, limit + 1, after)
    else:
        raise ValueError(f"full-text search is not implemented for {dialect!r}")
    more = len(hits) > limit
    hits = hits[:limit]
    last = hits[-1] if more else None
    cursor = SearchCursor(last.score, last.article_id, parsed.key) if last else None
    return SearchPage(parsed, tuple(hits), cursor)


def marked_to_html(marked: str) -> str:
    """Escape marked text for HTML and turn the markers into balanced ``<mark>`` tags."""
    out: list[str] = []
    open_ = False
    for part in re.split(f"([{MARK_START}{MARK_END}])", marked):
        if part == MARK_START:
            if not open_:
                out.append("<mark>")
            open_ = True
        elif part == MARK_END:
            if open_:
                out.append("</mark>")
            open_ = False
        else:
            out.append(html.escape(part))
    if open_:
        out.append("</mark>")
    return "".join(out)


# --- engines -----------------------------------------------------------------------------
# The SQL below is assembled only from this module's constant fragments; every value that
# comes from a user (terms, cursor fields, limit) is a bound parameter. Hence the S608 noqa.

_ROW_TYPES: dict[str, Any] = {
    "id": Integer,
    "title": Text,
    "published_at": DateTime,
    "score": Float,
}


def _keyset(after: SearchCursor | None, score: str, id_: str, params: dict[str, Any]) -> str:
    """The condition for rows after the cursor in (score desc, id asc) order."""
    if after is None:
        return ""
    params.update(after_score=after.score, after_id=after.article_id)
    return f" AND ({score} < :after_score OR ({score} = :after_score AND {id_} > :after_id))"


def _search_sqlite(
    session: Session, query: SearchQuery, limit: int, after: SearchCursor | None
) -> list[SearchHit]:
    # Negated so that higher is better on both engines (negation is exact: cursors match).
    score = "(-bm25(articles_fts, {}, {}))".format(*SQLITE_WEIGHTS)
    params: dict[str, Any] = {"match": query.fts5_match(), "limit": limit}
    keyset = _keyset(after, score, "a.id", params)
    rows = session.execute(
        text(
            f"SELECT a.id, a.title, a.published_at, {score} AS score"  # noqa: S608
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH :match AND a.superseded_by_id IS NULL AND a.hidden_at IS NULL{keyset}"
            " ORDER BY score DESC, a.id LIMIT :limit"
        ).columns(**_ROW_TYPES),
        params,
    ).all()
    if not rows:
        return []
    # Snippets in a second query, for this page only: in the first they would be
    # computed for every match before the sort.
    marked = {
        row.rowid: (row.snippet, row.title_marked)
        for row in session.execute(
            text(
                "SELECT rowid,"
                " snippet(articles_fts, 1, :start, :end, '…', :tokens) AS snippet,"
                " highlight(articles_fts, 0, :start, :end) AS title_marked"
                " FROM articles_fts WHERE articles_fts MATCH :match AND rowid IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {
                "match": params["match"],
                "ids": [row.id for row in rows],
                "start": MARK_START,
                "end": MARK_END,
                "tokens": SNIPPET_TOKENS,
            },
        )
    }
    hits = []
    for row in rows:
        snippet, title_marked = marked.get(row.id, (None, None))
        hits.append(
            SearchHit(
                article_id=row.id,
                title=row.title,
                title_marked=title_marked or row.title,
                published_at=row.published_at,
                snippet=snippet or "",
                score=row.score,
            )
        )
    return hits


def _search_postgresql(
    session: Session, query: SearchQuery, limit: int, after: SearchCursor | None
) -> list[SearchHit]:
    params: dict[str, Any] = {"limit": limit, "weights": POSTGRESQL_WEIGHTS}
    parts = []
    for i, term in enumerate(query.terms):
        params[f"t{i}"] = term.text
        # A prefix term is only letters and digits (see _PREFIX), quoted once more anyway.
        folded = f"{PG_FOLD}(:t{i})"
        parts.append(
            f"to_tsquery('{PG_CONFIG}', quote_literal({folded}) || ':*')"
            if term.prefix
            else f"phraseto_tsquery('{PG_CONFIG}', {folded})"
        )
    tsquery = "(" + " && ".join(parts) + ")"
    # float8, not ts_rank_cd's float4: its text form round-trips exactly through Python,
    # so the cursor's score compares equal to the row it came from.
    score = f"CAST(ts_rank_cd(CAST(:weights AS float4[]), a.search_vector, {tsquery}, 1) AS float8)"
    keyset = _keyset(after, "score", "id", params)
    # Rank the matches, keep this page's rows, and only then build headlines: they are
    # the costly part.
    sql = (
        f"WITH ranked AS (SELECT a.id, {score} AS score FROM articles a"  # noqa: S608
        f" WHERE a.search_vector @@ {tsquery} AND a.superseded_by_id IS NULL AND a.hidden_at IS NULL),"
        f" page AS (SELECT id, score FROM ranked WHERE TRUE{keyset}"
        " ORDER BY score DESC, id LIMIT :limit)"
        " SELECT a.id, a.title, a.published_at, p.score,"
        f" ts_headline('{PG_CONFIG}', {_pg_plain('a.body')}, {tsquery}, :snippet_options)"
        " AS snippet,"
        f" ts_headline('{PG_CONFIG}', {_pg_plain('a.title')}, {tsquery}, :title_options)"
        " AS title_marked"
        " FROM page p JOIN articles a ON a.id = p.id ORDER BY p.score DESC, p.id"
    )
    params.update(
        snippet_options=PG_SNIPPET_OPTIONS, title_options=PG_TITLE_OPTIONS, lt=_LT_STANDIN
    )
    rows = session.execute(
        text(sql).columns(**_ROW_TYPES, snippet=Text, title_marked=Text),
        params,
    ).all()
    return [
        SearchHit(
            article_id=row.id,
            title=row.title,
            title_marked=row.title_marked.replace(_LT_STANDIN, "<"),
            published_at=row.published_at,
            snippet=row.snippet.replace(_LT_STANDIN, "<"),
            score=row.score,
        )
        for row in rows
    ]


def _pg_plain(column: str) -> str:
    """The column's text with our marker characters removed and "<" hidden from the parser."""
    return f"replace(translate({column}, chr(57344) || chr(57345) || chr(57346), ''), '<', :lt)"
