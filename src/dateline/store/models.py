"""The persistent domain: Source, Page, Article (see DESIGN.md).

A **Page** is one document as we received it, never edited: re-ingesting the same content
is a no-op, a changed one becomes a new version row. An **Article** is the piece of
journalism pages carry; pages with the same body text share one article (near-copies are
matched later by the enrich stage). What a page *claims* (date, category, counts, link
lists) lives on the page, never on the article.

Datetimes are stored naive in UTC. A claimed date keeps its original text form
(``claimed_date``: ISO 8601, with an offset only when the page gave one) next to a UTC sort
key (``claimed_date_utc``: naive claims are read as UTC for sorting only).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")
# Ids are 64-bit on PostgreSQL; SQLite needs plain INTEGER for its rowid alias.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Source(Base):
    """A site pages come from: ``key`` is its address and declared name (store.sites)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    home_url: Mapped[str | None] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(32), default="unknown")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Behaviour score (enrich stage): 0 = content farm, 1 = trustworthy; None = not scored.
    score: Mapped[float | None] = mapped_column(Float)
    # The measured rates behind the score and a human-readable reason for each.
    score_details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime)
    # "wire" or "farm" when the operator said so (store.moderation): it overrides the score.
    operator_kind: Mapped[str | None] = mapped_column(String(16))

    pages: Mapped[list[Page]] = relationship(back_populates="source")


class Article(Base):
    """Clean text plus the facts we derived, shared by every page that carries it."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str | None] = mapped_column(String(16))
    dateline: Mapped[str | None] = mapped_column(String(255))
    agency: Mapped[str | None] = mapped_column(String(64))
    byline: Mapped[str | None] = mapped_column(String(512))
    # Best-evidence publication date; for now the earliest claim of its pages.
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # Set when the only page carrying this text published a new version of it.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    # --- enrich stage (migration 0004) ---
    # Classifier category (fixed taxonomy) and its probability; the page's own is a claim.
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    category_confidence: Mapped[float | None] = mapped_column(Float)
    # "corroborated", "unverified" or "flagged", with the reason shown to readers.
    date_status: Mapped[str | None] = mapped_column(String(16))
    date_reason: Mapped[str | None] = mapped_column(Text)
    date_evidence: Mapped[list[Any] | None] = mapped_column(JSONType)
    story_id: Mapped[int | None] = mapped_column(IdType, index=True)
    # Bumped when enrichment logic changes, so re-enrichment is idempotent and targeted.
    enrich_version: Mapped[int | None] = mapped_column(Integer)
    # The carrier whose headline, text, byline, source and claims speak for the article
    # (migration 0009; chosen by store.lead). No foreign key: pages reference articles.
    lead_page_id: Mapped[int | None] = mapped_column(IdType)
    # Set when the operator hid it (store.moderation): out of every list, its page 410.
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(255))

    pages: Mapped[list[Page]] = relationship(back_populates="article")


# Key in ``Page.extra`` recording that the page's body is a near-copy (not the same text)
# of its article, with the estimated Jaccard similarity and containment.
NEAR_COPY_KEY = "near_copy"


class Page(Base):
    """One received document version: where it came from and what it claimed."""

    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("identity_hash", "version", name="uq_pages_identity_version"),
        Index("ix_pages_article_id", "article_id"),
        Index("ix_pages_source_id", "source_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    # "url:<canonical url>" or "sha256:<content hash>[@<source key>]" — how we recognise
    # the page again (see repository.identity_key);
    # indexed through its hash, since URLs can outgrow a b-tree index entry.
    identity_key: Mapped[str] = mapped_column(Text)
    identity_hash: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Indexed: the same page stored from a file and fetched by URL is found by it (0010).
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    input_kind: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(512))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(String(255))
    claimed_date: Mapped[str | None] = mapped_column(String(64))
    claimed_date_utc: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_date_has_tz: Mapped[bool | None] = mapped_column(Boolean)
    claimed_category: Mapped[str | None] = mapped_column(String(255))
    claimed_views: Mapped[int | None] = mapped_column(BigInteger)
    claimed_reactions: Mapped[int | None] = mapped_column(BigInteger)
    claimed_reaction_label: Mapped[str | None] = mapped_column(String(64))
    claimed_links: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    # Set by the enrich stage when the page's claimed date is far from the evidence.
    date_flag: Mapped[str | None] = mapped_column(Text)
    # The page's own clean text when it differs from its article's (a near-copy, or a
    # former lead), so a better carrier can take over the article (migration 0009).
    body: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[str | None] = mapped_column(String(512))

    source: Mapped[Source] = relationship(back_populates="pages")
    article: Mapped[Article] = relationship(back_populates="pages")


class Reader(Base):
    """An anonymous reader, known only by the random id in a first-party cookie."""

    __tablename__ = "readers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # True for the demo's simulated readership, so it can be labelled and removed.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    """A raw reader event: ``view``, ``reaction`` (+1/-1 in ``value``) or ``impression``.

    Impressions carry the list (``related``, ``ranking``, ``recommendation``), the position
    and whether it was clicked, so the logs export to MIND ``behaviors.tsv``. Raw events
    older than the retention are folded into ``article_daily`` and deleted.
    """

    __tablename__ = "events"
    __table_args__ = (
        # A view counts once per viewer per article per clock hour: the database enforces it
        # (NULL buckets, on other kinds, never collide), so several web workers agree.
        UniqueConstraint("kind", "article_id", "viewer_key", "bucket", name="uq_events_view_once"),
        Index("ix_events_article_kind_time", "article_id", "kind", "created_at"),
        Index("ix_events_reader_time", "reader_id", "created_at"),
        Index("ix_events_time", "created_at"),
        # Engagement's window: the clicked impressions of a week are a range, not a scan
        # of every impression (the bulk of the table) for its flag. Partial, so it holds
        # only clicked rows and no other query can pick it: a full (kind, ...) index was
        # chosen for a reader's history once the others had statistics and it had none
        # (1.7 s a call at a million events, against the reader index's milliseconds).
        Index(
            "ix_events_clicked_kind_time",
            "kind",
            "created_at",
            sqlite_where=text("clicked = 1"),
            postgresql_where=text("clicked"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    reader_id: Mapped[str | None] = mapped_column(ForeignKey("readers.id", ondelete="CASCADE"))
    # "r:<reader id>", or for a client without the cookie "c:<keyed hash of IP and
    # User-Agent>" (never the raw values).
    viewer_key: Mapped[str] = mapped_column(String(80))
    # Hours since the epoch for views (the dedupe slot); NULL for other kinds.
    bucket: Mapped[int | None] = mapped_column(Integer)
    list_name: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int | None] = mapped_column(Integer)
    clicked: Mapped[bool | None] = mapped_column(Boolean)
    value: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Reaction(Base):
    """The current reaction state: one row per reader who reacted to an article."""

    __tablename__ = "reactions"

    reader_id: Mapped[str] = mapped_column(
        ForeignKey("readers.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ArticleStats(Base):
    """Running totals per article (views ever counted, current reactions), kept with events."""

    __tablename__ = "article_stats"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    reactions: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ArticleDaily(Base):
    """Per-day counts: raw events folded here at retention, and what time-decayed lists read."""

    __tablename__ = "article_daily"
    __table_args__ = (Index("ix_article_daily_day", "day"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    reactions: Mapped[int] = mapped_column(BigInteger, default=0)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)


class CorpusState(Base):
    """One row: a revision the enrich stage bumps after it changes stored articles.

    Web workers keep lists in memory and reload them when the corpus changes; new pages
    show in ``pages`` (max id, count), but a category, date or lead decided by ``enrich``
    changes no page row. This counter is what they watch for those (migration 0011).
    """

    __tablename__ = "corpus_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


# --- enrich stage (migration 0004) --------------------------------------------------------


class ArticleSignature(Base):
    """The MinHash signature of an article's body shingles (near-duplicate detection)."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    num_perm: Mapped[int] = mapped_column(Integer)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class MinHashBand(Base):
    """LSH band hashes in an indexed table: the persistent, incremental LSH index."""

    __tablename__ = "minhash_bands"
    # The primary key (band, bucket, article_id) is the lookup's index, and covers it: a
    # second index on (band, bucket) went unused and cost every new article 37 inserts.

    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ArticleVector(Base):
    """A sentence embedding of an article (float32 bytes), for stories and Related."""

    __tablename__ = "article_vectors"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class RelatedItem(Base):
    """One item of an article's precomputed Related list (``enrich.related``).

    Written when the article is enriched and refreshed when a newer article joins its
    neighbourhood, so serving Related is a read of at most ten rows, never a search.
    """

    __tablename__ = "related_items"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    related_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(255))
    score: Mapped[float] = mapped_column(Float)


class ReaderControl(Base):
    """One of a reader's Recommendation controls (``readers.controls``).

    ``kind``: ``mute_source`` (value: the source id), ``mute_category`` (the category,
    casefolded), ``less_like`` (an article id), ``paused`` (empty value; since
    ``created_at``), ``gap`` (``start/end`` ISO times of a finished pause) or ``reset``
    (empty value; history before ``created_at`` is not used).
    """

    __tablename__ = "reader_controls"

    reader_id: Mapped[str] = mapped_column(
        ForeignKey("readers.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ReaderChange(Base):
    """A reader whose Recommendation inputs changed (a control, a flushed view).

    Every web worker polls this log, so a change made through one worker shows on the next
    request to any of them: a control drops the reader's cached state; a view (with the
    article read) has it rebuilt while the old one serves, less that article.
    Rows older than a few minutes are pruned.
    """

    __tablename__ = "reader_changes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    reader_id: Mapped[str] = mapped_column(String(36))
    article_id: Mapped[int | None] = mapped_column(BigInteger)  # a view's; NULL: a control
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Story(Base):
    """A running thread of articles about one event, grown online as articles arrive."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_entities: Mapped[list[Any] | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Set when this story was merged into another: the row stays, empty, as a redirect.
    merged_into: Mapped[int | None] = mapped_column(IdType, index=True)
    # One more than the table's highest on every write (see the enrich stage's stories): a
    # clusterer that holds stories in memory reads only the rows changed since it last looked.
    revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)


class Entity(Base):
    """A person, organisation or place; ``key`` is the normalised canonical name."""

    __tablename__ = "entities"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_entities_kind_key"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # PERSON, ORG, PLACE
    name: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    article_count: Mapped[int] = mapped_column(Integer, default=0)


class EntityAlias(Base):
    """Another spelling of an entity ("Sergey Lavrov", "Lavrov"), merged by a documented rule."""

    __tablename__ = "entity_aliases"
    __table_args__ = (UniqueConstraint("entity_id", "alias", name="uq_entity_alias"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(255), index=True)


class ArticleEntity(Base):
    __tablename__ = "article_entities"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    mentions: Mapped[int] = mapped_column(Integer, default=1)
    in_title: Mapped[bool] = mapped_column(Boolean, default=False)
