"""Reader events on both engines: view dedupe, workers, reactions, history, retention, export."""

from __future__ import annotations

import io
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from dateline.enrich import dedup
from dateline.extract.model import ClaimedDate, ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.rank import offline, offline_suite
from dateline.readers import (
    EventBuffer,
    clear_history,
    client_key,
    cookieless_key,
    counts,
    ensure_reader,
    export_behaviors_tsv,
    export_news_tsv,
    hour_bucket,
    is_bot,
    new_reader_id,
    prune_events,
    reaction_state,
    reader_history,
    reader_key,
    secret_key,
    toggle_reaction,
    valid_reader_id,
)
from dateline.readers.history import MIND_TIME_FORMAT
from dateline.settings import load_settings
from dateline.store.db import Store
from dateline.store.models import ArticleDaily, ArticleStats, Event, Reaction, Reader
from dateline.store.repository import save_article

T0 = datetime(2024, 5, 6, 10, 5)
SECRET = b"k" * 32


def make_articles(store: Store, n: int = 3) -> list[int]:
    ids = []
    with store.write() as session:
        for i in range(n):
            article = ExtractedArticle(
                title=f"Story number {i}",
                paragraphs=[f"Body of story {i}.", "Second paragraph."],
                site_name="Test Wire",
                claimed_date=ClaimedDate(T0 - timedelta(days=i)),
            )
            raw = RawDocument(
                data=f"raw {i}".encode(), origin=f"s{i}.txt", kind=InputKind.TEXT_DUMP
            )
            ids.append(
                save_article(session, article, raw, signature_of=dedup.signature_of).article_id
            )
    return ids


def new_reader(store: Store) -> str:
    rid = new_reader_id()
    with store.write() as session:
        ensure_reader(session, rid, T0)
    return rid


def scalar(store: Store, query):
    with store.read() as session:
        return session.scalar(query)


def daily_totals(store: Store) -> tuple[int, int, int, int]:
    cols = (
        ArticleDaily.views,
        ArticleDaily.reactions,
        ArticleDaily.impressions,
        ArticleDaily.clicks,
    )
    with store.read() as session:
        row = session.execute(select(*(func.coalesce(func.sum(c), 0) for c in cols))).one()
    return tuple(int(v) for v in row)


# --- identity ---------------------------------------------------------------------------

BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "python-httpx/0.27.0",
    "Python-urllib/3.11",
    "Go-http-client/1.1",
    "Some Research Crawler 1.0",
]
PEOPLE = [
    None,  # no User-Agent: load generators and privacy tools; counted
    "",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 Chrome/96.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Dateline/0.1 (+https://github.com/dateline-news/dateline; self-hosted news reader)",
]


@pytest.mark.parametrize("agent", BOTS)
def test_bots_are_recognised(agent):
    assert is_bot(agent)


@pytest.mark.parametrize("agent", PEOPLE)
def test_browsers_and_missing_agents_are_not_bots(agent):
    assert not is_bot(agent)


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        "abc",
        "0" * 32,
        new_reader_id().upper(),
        new_reader_id() + "0",
        "'; DROP TABLE readers; --",
        new_reader_id()[:31] + "\n",
        "r:" + new_reader_id()[2:],
    ],
)
def test_hostile_reader_ids_are_refused(value):
    assert not valid_reader_id(value)


def test_new_reader_ids_are_valid_and_distinct():
    ids = {new_reader_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(valid_reader_id(i) for i in ids)


def test_client_key_is_keyed_and_hides_raw_values():
    key = client_key("203.0.113.9", "Firefox", SECRET)
    assert len(key) == 64 and "203.0.113.9" not in key
    assert key == client_key("203.0.113.9", "Firefox", SECRET)
    assert key != client_key("203.0.113.9", "Chrome", SECRET)
    assert key != client_key("203.0.113.10", "Firefox", SECRET)
    assert key != client_key("203.0.113.9", "Firefox", b"x" * 32)
    assert cookieless_key("203.0.113.9", None, SECRET).startswith("c:")


def test_secret_key_comes_from_settings_or_one_shared_file(tmp_path):
    assert secret_key(load_settings(environ={}, overrides={"secret_key": "s3cret"})) == b"s3cret"
    settings = load_settings(environ={"DATELINE_DATA_DIR": str(tmp_path / "data")})
    with ThreadPoolExecutor(8) as pool:  # eight workers starting at once agree on one key
        keys = set(pool.map(lambda _: secret_key(settings), range(8)))
    assert len(keys) == 1 and len(keys.pop()) == 32
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]  # no temp left
    assert secret_key(settings) == path.read_bytes()


# --- views ------------------------------------------------------------------------------


def test_a_view_counts_once_per_viewer_per_article_per_hour(store):
    a, b, _ = make_articles(store)
    reader = new_reader(store)
    buf = EventBuffer(store, flush_seconds=60)
    buf.record_view(a, reader_key(reader), reader, T0)
    buf.record_view(a, reader_key(reader), reader, T0 + timedelta(minutes=20))  # same hour
    assert buf.flush().views == 1
    buf.record_view(a, reader_key(reader), reader, T0 + timedelta(minutes=30))  # across flushes
    result = buf.flush()
    assert (result.views, result.duplicate_views) == (0, 1)
    buf.record_view(a, reader_key(reader), reader, T0 + timedelta(hours=1))  # next hour
    other = new_reader(store)
    buf.record_view(a, reader_key(other), other, T0)  # another reader
    buf.record_view(b, reader_key(reader), reader, T0)  # another article
    assert buf.flush().views == 3
    # Cookieless clients are keyed by IP and User-Agent.
    same = cookieless_key("198.51.100.7", "Firefox", SECRET)
    buf.record_view(a, same, None, T0)
    buf.record_view(a, cookieless_key("198.51.100.7", "Firefox", SECRET), None, T0)
    buf.record_view(a, cookieless_key("198.51.100.7", "Chrome", SECRET), None, T0)
    buf.record_view(a, cookieless_key("198.51.100.8", "Firefox", SECRET), None, T0)
    assert buf.flush().views == 3
    with store.read() as session:
        assert counts(session, [a, b, 999]) == {a: (6, 0), b: (1, 0), 999: (0, 0)}
    assert daily_totals(store) == (7, 0, 0, 0)
    assert (
        hour_bucket(T0)
        == hour_bucket(T0.replace(minute=59))
        != hour_bucket(T0 + timedelta(hours=1))
    )


def test_two_workers_flushing_the_same_view_count_it_once(store, database_url):
    (a,) = make_articles(store, 1)
    other_store = Store(database_url)  # a second web worker: its own engine and pool
    try:
        readers = [new_reader(store) for _ in range(20)]
        workers = [EventBuffer(store, flush_seconds=60), EventBuffer(other_store, flush_seconds=60)]
        for buf in workers:
            for rid in readers:
                buf.record_view(a, reader_key(rid), rid, T0)
        barrier = threading.Barrier(2)

        def flush(buf: EventBuffer) -> int:
            barrier.wait()
            return buf.flush().views

        with ThreadPoolExecutor(2) as pool:
            inserted = list(pool.map(flush, workers))
    finally:
        other_store.dispose()
    assert sum(inserted) == 20
    with store.read() as session:
        assert counts(session, [a]) == {a: (20, 0)}
        assert session.scalar(select(func.count()).select_from(Event)) == 20
    assert daily_totals(store)[0] == 20


def test_background_flusher_writes_within_the_flush_interval(store):
    (a,) = make_articles(store, 1)
    buf = EventBuffer(store, flush_seconds=0.05)
    buf.start()
    try:
        reader = new_reader(store)
        buf.record_view(a, reader_key(reader), reader, T0)
        deadline = time.monotonic() + 5
        while scalar(store, select(ArticleStats.views)) != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert scalar(store, select(ArticleStats.views)) == 1
        buf.record_view(a, reader_key(reader), reader, T0 + timedelta(hours=1))
    finally:
        buf.close()  # a clean shutdown writes what is pending
    assert scalar(store, select(ArticleStats.views)) == 2 and buf.pending == 0


def test_a_full_buffer_flushes_without_the_timer(store):
    (a,) = make_articles(store, 1)
    buf = EventBuffer(store, flush_seconds=3600, max_events=5)
    for i in range(5):
        buf.record_view(a, cookieless_key(f"192.0.2.{i}", None, SECRET), None, T0)
    assert buf.pending == 0 and scalar(store, select(ArticleStats.views)) == 5


def test_flush_failure_leaves_nothing_half_written(store):
    a, b, _ = make_articles(store)
    reader = new_reader(store)
    stages: list[str] = []

    def boom(stage: str) -> None:
        stages.append(stage)
        if stage == "impressions" and stages.count("impressions") == 1:
            raise RuntimeError("database went away")

    buf = EventBuffer(store, flush_seconds=60, on_stage=boom)
    buf.record_view(a, reader_key(reader), reader, T0)
    buf.record_impressions(reader_key(reader), reader, "related", [(1, b)], T0)
    with pytest.raises(RuntimeError):
        buf.flush()
    assert scalar(store, select(func.count()).select_from(Event)) == 0
    assert scalar(store, select(func.count()).select_from(ArticleStats)) == 0
    assert scalar(store, select(func.count()).select_from(ArticleDaily)) == 0
    assert buf.pending == 2  # kept for the next flush, which counts it exactly once
    result = buf.flush()
    assert (result.views, result.impressions) == (1, 1)
    assert daily_totals(store) == (1, 0, 1, 0)


def test_flush_survives_deleted_articles_and_unknown_readers(store):
    (a,) = make_articles(store, 1)
    stranger = new_reader_id()  # a valid cookie from a database since wiped
    buf = EventBuffer(store, flush_seconds=60)
    buf.record_view(a, reader_key(stranger), stranger, T0)
    buf.record_view(987654, reader_key(stranger), stranger, T0)
    assert buf.flush().views == 1
    assert scalar(store, select(Reader.id).where(Reader.id == stranger)) == stranger


def test_a_large_batch_counts_exactly_what_small_ones_would(store):
    # Hundreds of rows per table: several multi-row statements each (see execute_rows),
    # duplicates inside the batch and of an earlier batch, and two days in one batch.
    articles = make_articles(store, 4)
    a = articles[0]
    readers = [new_reader(store) for _ in range(150)]
    buf = EventBuffer(store, flush_seconds=60, max_events=10**6)
    next_day = T0.replace(hour=23, minute=59) + timedelta(minutes=2)
    for n, rid in enumerate(readers):
        for aid in articles:
            buf.record_view(aid, reader_key(rid), rid, next_day if n % 2 else T0)
        buf.record_view(a, reader_key(rid), rid, T0)  # a duplicate for even n
    buf.record_impressions(reader_key(readers[0]), readers[0], "related", [(1, a)], T0)
    first = buf.flush()
    assert (first.views, first.duplicate_views, first.impressions) == (675, 75, 1)
    for rid in readers[:10]:  # already counted for even n, new for odd n; then the reverse
        buf.record_view(articles[1], reader_key(rid), rid, T0)
        buf.record_view(articles[1], reader_key(rid), rid, next_day)
    second = buf.flush()
    assert (second.views, second.duplicate_views) == (10, 10)
    with store.read() as session:
        assert counts(session, articles) == {
            a: (225, 0),
            articles[1]: (160, 0),
            articles[2]: (150, 0),
            articles[3]: (150, 0),
        }
        per_day = session.execute(
            select(ArticleDaily.day, func.sum(ArticleDaily.views)).group_by(ArticleDaily.day)
        ).all()
    assert dict(per_day) == {T0.date(): 380, next_day.date(): 305}
    assert daily_totals(store) == (685, 0, 1, 0)


def test_a_backlog_is_written_in_bounded_transactions(store, monkeypatch):
    monkeypatch.setattr("dateline.readers.buffer.FLUSH_CHUNK", 3)
    a, b, c = make_articles(store)
    reader = new_reader(store)
    key = reader_key(reader)
    transactions: list[str] = []
    buf = EventBuffer(
        store,
        flush_seconds=60,
        on_stage=lambda stage: transactions.append(stage) if stage == "aggregates" else None,
    )
    buf.record_view(a, key, reader, T0)
    buf.record_impressions(key, reader, "related", [(1, b), (2, c)], T0)
    buf.record_view(b, key, reader, T0)
    # The click comes after the impressions it marks: they are in an earlier transaction.
    buf.record_click(key, reader, "related", 2, c, T0 + timedelta(minutes=1))
    buf.record_view(c, key, reader, T0)
    result = buf.flush()
    assert len(transactions) == 2  # 3 events, then 2 events and the click
    assert (result.views, result.impressions, result.clicks) == (3, 2, 1)
    with store.read() as session:
        shown = session.execute(
            select(Event.position, Event.clicked)
            .where(Event.kind == "impression")
            .order_by(Event.position)
        ).all()
    assert [tuple(r) for r in shown] == [(1, False), (2, True)]  # marked, no extra row
    assert daily_totals(store) == (3, 0, 2, 1) and buf.pending == 0


def test_a_failed_transaction_of_a_backlog_is_retried_alone(store, monkeypatch):
    monkeypatch.setattr("dateline.readers.buffer.FLUSH_CHUNK", 2)
    (a,) = make_articles(store, 1)
    readers = [new_reader(store) for _ in range(5)]
    calls: list[str] = []

    def boom(stage: str) -> None:
        calls.append(stage)
        if stage == "views" and calls.count("views") == 2:
            raise RuntimeError("database went away")

    buf = EventBuffer(store, flush_seconds=60, on_stage=boom)
    for rid in readers:
        buf.record_view(a, reader_key(rid), rid, T0)
    with pytest.raises(RuntimeError):
        buf.flush()
    assert scalar(store, select(ArticleStats.views)) == 2  # the first transaction stayed
    assert buf.pending == 3
    assert buf.flush().views == 3
    assert scalar(store, select(ArticleStats.views)) == 5


def test_backpressure_only_while_writes_fall_behind(store, monkeypatch):
    from dateline.readers import buffer as buffer_module

    monkeypatch.setattr(buffer_module, "BACKLOG_EVENTS", 10)
    (a,) = make_articles(store, 1)
    buf = EventBuffer(store, flush_seconds=60, max_events=10**6)
    for i in range(10):
        buf.record_view(a, cookieless_key(f"192.0.2.{i}", None, SECRET), None, T0)
    assert buf.delay() == 0.0
    for i in range(10, 20):
        buf.record_view(a, cookieless_key(f"192.0.2.{i}", None, SECRET), None, T0)
    assert buf.delay() == pytest.approx(buffer_module.DELAY_PER_BACKLOG)
    for i in range(20, 1000):
        buf.record_view(a, cookieless_key(f"192.0.2.{i}", None, SECRET), None, T0)
    assert buf.delay() == buffer_module.MAX_DELAY_SECONDS
    buf._failures = 1  # the database is failing: no slowing down (MAX_PENDING drops)
    assert buf.delay() == 0.0
    buf._failures = 0
    buf.flush()
    assert buf.delay() == 0.0


def test_a_readers_view_must_use_the_readers_key(store):
    buf = EventBuffer(store, flush_seconds=60)
    with pytest.raises(ValueError):
        buf.record_view(1, "c:abc", new_reader_id(), T0)


# --- reactions --------------------------------------------------------------------------


def test_reaction_toggles_with_exact_counts_and_state(store):
    a, b, _ = make_articles(store)
    alice, bob = new_reader(store), new_reader_id()  # bob has no row yet: created on toggle
    assert toggle_reaction(store, alice, a, T0) == (True, 1)
    assert toggle_reaction(store, bob, a, T0) == (True, 2)
    assert toggle_reaction(store, alice, a, T0 + timedelta(days=1)) == (False, 1)
    assert toggle_reaction(store, alice, a, T0 + timedelta(days=1)) == (True, 2)
    assert toggle_reaction(store, alice, b, T0) == (True, 1)
    with store.read() as session:
        assert reaction_state(session, alice, [a, b]) == {a, b}
        assert reaction_state(session, bob, [a, b]) == {a}
        assert reaction_state(session, bob, []) == set()
        assert counts(session, [a, b]) == {a: (0, 2), b: (0, 1)}
        reactions = session.scalars(
            select(Event.value).where(Event.kind == "reaction").order_by(Event.id)
        ).all()
        assert reactions == [1, 1, -1, 1, 1]
        # article_daily holds reactions that still stand, on the day each was made
        by_day = dict(
            session.execute(
                select(ArticleDaily.day, ArticleDaily.reactions).where(ArticleDaily.article_id == a)
            ).all()
        )
    assert by_day == {T0.date(): 1, (T0 + timedelta(days=1)).date(): 1}


def test_concurrent_reactions_keep_an_exact_count(store):
    (a,) = make_articles(store, 1)
    readers = [new_reader_id() for _ in range(24)]
    # every reader reacts; every third also takes it back; one reader double-clicks
    jobs = [*readers, *readers[::3], readers[1], readers[1]]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda rid: toggle_reaction(store, rid, a, T0), jobs))
    with store.read() as session:
        rows = session.scalar(select(func.count()).select_from(Reaction))
        net = session.scalar(select(func.sum(Event.value)).where(Event.kind == "reaction"))
        total = counts(session, [a])[a][1]
    assert rows == 24 - len(readers[::3]) == total == net
    assert daily_totals(store)[1] == total


# --- history, retention, export ---------------------------------------------------------


def test_history_pages_newest_first_and_clearing_keeps_view_totals(store):
    a, b, c = make_articles(store)
    reader, other = new_reader(store), new_reader(store)
    buf = EventBuffer(store, flush_seconds=60)
    for hours, article in enumerate([a, b, c, a]):
        buf.record_view(article, reader_key(reader), reader, T0 + timedelta(hours=hours))
    buf.record_view(a, reader_key(other), other, T0)
    buf.record_impressions(reader_key(reader), reader, "ranking", [(1, b), (2, c)], T0)
    buf.flush()
    toggle_reaction(store, reader, b, T0 + timedelta(minutes=30))
    toggle_reaction(store, other, b, T0)
    with store.read() as session:
        first = reader_history(session, reader, 3)
        second = reader_history(session, reader, 3, before=first[-1].cursor)
    items = first + second
    assert [(i.kind, i.article_id) for i in items] == [
        ("view", a),
        ("view", c),
        ("view", b),
        ("reaction", b),
        ("view", a),
    ]
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    assert items[0].title == "Story number 0"
    assert clear_history(store, reader) == 7  # 4 views, 2 impressions, 1 reaction
    with store.read() as session:
        assert reader_history(session, reader, 10) == []
        assert reaction_state(session, reader, [b]) == set()
        assert counts(session, [a, b]) == {a: (3, 0), b: (1, 1)}  # views stay, reaction goes
        assert len(reader_history(session, other, 10)) == 2


def test_prune_deletes_old_raw_events_and_keeps_aggregates(store):
    a, b, _ = make_articles(store)
    reader = new_reader(store)
    buf = EventBuffer(store, flush_seconds=60)
    for days in (200, 100, 10, 0):
        at = T0 - timedelta(days=days)
        buf.record_view(a, reader_key(reader), reader, at)
        buf.record_impressions(reader_key(reader), reader, "related", [(1, b)], at)
    buf.flush()
    toggle_reaction(store, reader, b, T0 - timedelta(days=150))
    before = (daily_totals(store), scalar(store, select(func.sum(ArticleStats.views))))
    assert prune_events(store, T0, 0) == 0  # 0 keeps everything
    assert prune_events(store, T0, 90) == 5  # two views, two impressions, one reaction event
    assert (daily_totals(store), scalar(store, select(func.sum(ArticleStats.views)))) == before
    assert before[0] == (4, 1, 4, 0)
    with store.read() as session:
        assert counts(session, [a, b]) == {a: (4, 0), b: (0, 1)}
        assert reaction_state(session, reader, [b]) == {b}  # state is not a raw event
        assert session.scalar(select(func.min(Event.created_at))) == T0 - timedelta(days=10)
    assert prune_events(store, T0, 90) == 0


def test_impressions_export_as_mind_behaviors(store, tmp_path):
    a, b, c = make_articles(store)
    reader = new_reader(store)
    anon = cookieless_key("192.0.2.1", "Firefox", SECRET)
    buf = EventBuffer(store, flush_seconds=60)
    buf.record_view(a, reader_key(reader), reader, T0)
    buf.record_impressions(
        reader_key(reader), reader, "related", [(1, b), (2, c)], T0 + timedelta(minutes=1)
    )
    buf.flush()  # the click arrives in a later batch, as it would
    buf.record_click(reader_key(reader), reader, "related", 2, c, T0 + timedelta(minutes=2))
    buf.record_view(c, reader_key(reader), reader, T0 + timedelta(minutes=2))
    buf.record_impressions(
        reader_key(reader), reader, "ranking", [(1, a), (2, b)], T0 + timedelta(minutes=3)
    )
    buf.record_impressions(anon, None, "ranking", [(1, c)], T0 + timedelta(minutes=4))
    buf.record_click(anon, None, "related", 5, b, T0 + timedelta(minutes=5))  # never logged shown
    result = buf.flush()
    assert (result.impressions, result.clicks) == (3, 2)
    out = io.StringIO()
    with store.read() as session:
        assert export_behaviors_tsv(session, out) == 4
    lines = [line.split("\t") for line in out.getvalue().splitlines()]
    assert all(len(line) == 5 for line in lines)
    assert [line[0] for line in lines] == ["1", "2", "3", "4"]
    assert lines[0][1:] == [
        reader_key(reader),
        (T0 + timedelta(minutes=1)).strftime(MIND_TIME_FORMAT),
        f"N{a}",
        f"N{b}-0 N{c}-1",
    ]
    assert lines[1][3:] == [f"N{a} N{c}", f"N{a}-0 N{b}-0"]
    assert lines[2][1:] == [
        anon,
        (T0 + timedelta(minutes=4)).strftime(MIND_TIME_FORMAT),
        "",
        f"N{c}-0",
    ]
    assert lines[3][4] == f"N{b}-1"
    # news.tsv beside it: one row per article the events name, MIND's eight columns
    news = io.StringIO()
    with store.read() as session:
        assert export_news_tsv(session, news) == 3
    rows = [row.split("\t") for row in news.getvalue().splitlines()]
    assert [row[0] for row in rows] == [f"N{a}", f"N{b}", f"N{c}"]
    assert all(len(row) == 8 for row in rows)
    assert rows[0][1:5] == [
        "Uncategorised",
        "",
        "Story number 0",
        "Body of story 0. Second paragraph.",
    ]
    # and the pair reads as MIND does: only the line with a click and a non-click scores
    (tmp_path / "news.tsv").write_text(news.getvalue(), encoding="utf-8")
    (tmp_path / "behaviors.tsv").write_text(out.getvalue(), encoding="utf-8")
    log = offline.read_behaviors(tmp_path / "behaviors.tsv")
    assert log.bad_count == 0
    catalogue = offline.read_news(tmp_path / "news.tsv")
    report = offline_suite.evaluate_all(catalogue, log.impressions, ["popularity"], seed=0)
    assert (report["popularity"].accuracy.impressions, report["popularity"].accuracy.skipped) == (
        1,
        3,
    )
    assert datetime.strptime(lines[0][2], MIND_TIME_FORMAT) == T0 + timedelta(minutes=1)
    assert daily_totals(store) == (2, 0, 6, 2)
