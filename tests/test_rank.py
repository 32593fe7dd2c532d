"""The rank stage on a real, enriched corpus (tests/rank_corpus.py), on both engines:
Related, Ranking and Recommendation, their reasons, exclusions and rules."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from lxml import html as lxml_html
from sqlalchemy import update

from conftest import ENGINES, _drop_pg_database, _fresh_pg_database
from dateline.enrich.corpus_index import load_corpus_index
from dateline.enrich.related import RELEVANCE_FLOOR, SOURCE_CAP, refresh_related
from dateline.rank.engagement import BURST_VIEWS_PER_HOUR, engagement
from dateline.rank.rankers import DatelineRankers
from dateline.readers import EventBuffer, reader_key
from dateline.readers import controls as ctl
from dateline.readers.events import ensure_reader, toggle_reaction
from dateline.store.db import Store
from dateline.store.models import RelatedItem, Source
from dateline.store.queries import get_article
from dateline.store.schema import upgrade
from rank_corpus import CLOCK, STORY, TOPICS, build_corpus, source_of

REASON = re.compile(r"^(same story|similar topic|also about .+)$")
FOOTBALL = TOPICS["football"]
STORY_TITLES = [title for _, title, _ in STORY]


@pytest.fixture(scope="module", params=ENGINES)
def corpus(request, tmp_path_factory):
    """The corpus, saved and enriched once per engine for the whole module."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('rank') / 'rank.db'}"
    else:
        name, url = _fresh_pg_database(request.getfixturevalue("pg_cluster"))
    store = Store(url)
    upgrade(store)
    ids = build_corpus(store)
    yield store, ids
    store.dispose()
    if name is not None:
        _drop_pg_database(request.getfixturevalue("pg_cluster"), name)


def _reader(store: Store) -> str:
    from dateline.readers.identity import new_reader_id

    rid = new_reader_id()
    with store.write() as session:
        ensure_reader(session, rid, CLOCK)
    return rid


def _views(store: Store, rid: str, article_ids: list[int], hours_ago: float = 1.0) -> None:
    buf = EventBuffer(store, flush_seconds=60)
    for n, aid in enumerate(article_ids):
        at = CLOCK - timedelta(hours=hours_ago) + timedelta(minutes=n)
        buf.record_view(aid, reader_key(rid), rid, at)
    buf.flush()


def _related(store: Store, article_id: int) -> list[tuple[int, str, float]]:
    with store.read() as session:
        rows = (
            session.query(RelatedItem)
            .filter(RelatedItem.article_id == article_id)
            .order_by(RelatedItem.position)
            .all()
        )
        return [(r.related_id, r.reason, r.score) for r in rows]


# --- Related ----------------------------------------------------------------------------------


def test_related_puts_the_same_story_first_nearest_in_time(corpus):
    store, ids = corpus
    first = ids[STORY_TITLES[0]]
    got = _related(store, first)
    others = [ids[t] for t in STORY_TITLES[1:]]
    # the story's other reports, nearest in time first (they came 6, 12 and 18 hours later)
    assert [aid for aid, _, _ in got[:3]] == others
    assert all(reason == "same story" for _, reason, _ in got[:3])
    assert first not in [aid for aid, _, _ in got]


def test_related_items_are_relevant_and_say_why(corpus):
    store, ids = corpus
    football = {ids[t] for t in FOOTBALL}
    for title in FOOTBALL:
        for aid, reason, score in _related(store, ids[title]):
            assert REASON.match(reason), reason
            if reason != "same story":
                assert score >= RELEVANCE_FLOOR
            # honest: a football article's neighbours are football, never markets or space
            assert aid in football, (title, aid)
    # and a list is allowed to be short: no filler to reach ten
    assert min(len(_related(store, ids[t])) for t in FOOTBALL) < 10


def test_related_serving_is_a_read_of_the_stored_list(corpus):
    store, ids = corpus
    first = ids[STORY_TITLES[0]]
    with store.read() as session:
        article = get_article(session, first)
        served = DatelineRankers(store).related(session, article, 10)
    assert [(r.article_id, r.reason) for r in served] == [
        (aid, reason) for aid, reason, _ in _related(store, first)
    ]


def test_related_caps_one_source_at_two_while_others_offer_items(corpus):
    store, _ = corpus
    with store.read() as session:
        index = load_corpus_index(session)
    from dateline.enrich.related import RelatedBuilder

    lists = RelatedBuilder(index).lists([int(a) for a in index.ids])
    for aid, picks in lists.items():
        sources = [int(index.source[index.pos[p.article_id]]) for p in picks]
        for source in set(sources):
            if sources.count(source) > SOURCE_CAP:
                # only when no other source had an item above the floor left
                others = {s for s in sources if s != source}
                assert not others, (aid, sources)


def test_related_is_refreshed_when_a_neighbour_arrives(corpus, tmp_path):
    """A new article joins its neighbours' lists at enrich time (refresh_related)."""
    store, ids = corpus
    target = ids[STORY_TITLES[0]]
    with store.write() as session:
        before = [aid for aid, _, _ in _related(store, target)]
        # drop the target's list, then refresh only a story neighbour: the target comes back
        session.query(RelatedItem).filter(RelatedItem.article_id == target).delete()
    with store.write() as session:
        refresh_related(session, [ids[STORY_TITLES[1]]])
    assert [aid for aid, _, _ in _related(store, target)] == before


# --- Ranking ----------------------------------------------------------------------------------


def test_ranking_without_readers_leads_with_the_widely_covered_story(corpus):
    store, ids = corpus
    with store.read() as session:
        ranked = DatelineRankers(store).ranking(session, CLOCK, 8)
    story = {ids[t] for t in STORY_TITLES}
    assert ranked[0].article_id in story
    assert ranked[0].reason == "covered by 4 sources"
    # one article per story
    assert sum(r.article_id in story for r in ranked) == 1
    with store.read() as session:
        stories = [get_article(session, r.article_id).story_id for r in ranked]
    assert len([s for s in stories if s is not None]) == len({s for s in stories if s})


def test_ranking_counts_a_reader_once_ignores_bursts_and_weighs_reactions(corpus):
    store, ids = corpus
    rankers = DatelineRankers(store)
    a, b, c = (ids[t] for t in (TOPICS["space"][0], TOPICS["space"][1], TOPICS["markets"][1]))
    loyal = _reader(store)
    for hour in range(1, 6):  # the same reader, five different hours: one reader
        _views(store, loyal, [a], hours_ago=hour)
    scraper = _reader(store)
    # every article within a minute: a burst (over BURST_VIEWS_PER_HOUR), none counts
    everything = list(ids.values())
    assert len(everything) > BURST_VIEWS_PER_HOUR
    buf = EventBuffer(store, flush_seconds=60)
    for n, aid in enumerate(everything):
        buf.record_view(aid, reader_key(scraper), scraper, CLOCK - timedelta(hours=2, seconds=-n))
    buf.flush()
    fan = _reader(store)
    _views(store, fan, [c])
    toggle_reaction(store, fan, c, CLOCK - timedelta(minutes=30))
    with store.read() as session:
        scores = engagement(session, CLOCK)
    assert scores[a].readers == 1
    assert b not in scores  # the scraper's views do not count
    assert scores[c].score > scores[a].score  # a reaction weighs more than views
    with store.read() as session:
        ranked = [r.article_id for r in rankers.ranking(session, CLOCK, 8)]
    assert ranked.index(c) < ranked.index(a)


def test_engagement_decays_by_the_documented_half_life(corpus):
    """One view weighs 0.5 ^ (hours since / 24), within the 1.5 % of its clock hour's
    middle; outside the 7-day window it weighs nothing. At any minute of the hour."""
    store, ids = corpus
    later = CLOCK + timedelta(days=60, minutes=17)  # none of the other tests' events count
    a, b, c = list(ids.values())[:3]
    rid = _reader(store)
    buf = EventBuffer(store, flush_seconds=60)
    for aid, hours in ((a, 1), (b, 24), (c, 24 * 8)):
        buf.record_view(aid, reader_key(rid), rid, later - timedelta(hours=hours))
    buf.flush()
    for now in (later, later + timedelta(hours=5, minutes=31)):
        with store.read() as session:
            scores = engagement(session, now)
        hours_a = (now - later).total_seconds() / 3600 + 1
        assert scores[a].score == pytest.approx(0.5 ** (hours_a / 24), rel=0.015)
        assert scores[b].score == pytest.approx(0.5 ** ((hours_a + 23) / 24), rel=0.015)
        assert c not in scores  # eight days old: outside the window
        assert scores[a].readers == scores[b].readers == 1


def test_ranking_demotes_a_content_farm(corpus):
    store, ids = corpus
    target = ids[TOPICS["markets"][5]]  # led by the "courier" site
    with store.read() as session:
        before = [r.article_id for r in DatelineRankers(store).ranking(session, CLOCK, 30)]
    with store.write() as session:
        session.execute(update(Source).where(Source.name == "Courier").values(score=0.1))
    try:
        with store.read() as session:
            after = [r.article_id for r in DatelineRankers(store).ranking(session, CLOCK, 30)]
        assert after.index(target) > before.index(target) or target not in after
    finally:
        with store.write() as session:
            session.execute(update(Source).where(Source.name == "Courier").values(score=None))


# --- Recommendation ---------------------------------------------------------------------------


def _reco(store: Store, rid: str | None, **kw) -> list:
    with store.read() as session:
        return DatelineRankers(store).recommendation(session, rid, CLOCK, 8, **kw)


def test_a_football_reader_gets_football_never_what_they_read(corpus):
    store, ids = corpus
    rid = _reader(store)
    read = [ids[t] for t in FOOTBALL[:3]]
    _views(store, rid, read)
    got = _reco(store, rid)
    shown = [r.article_id for r in got]
    assert not set(shown) & set(read)
    football = {ids[t] for t in FOOTBALL}
    assert sum(a in football for a in shown[:3]) >= 2, [r.reason for r in got]
    assert any(r.reason.startswith(("because you read", "more in")) for r in got)


def test_the_article_being_read_counts_on_the_second_page(corpus):
    """No history yet, reading a space article: the list is already about space."""
    store, ids = corpus
    current = ids[TOPICS["space"][0]]
    got = _reco(store, _reader(store), current=current, exclude=frozenset({current}))
    space = {ids[t] for t in TOPICS["space"]}
    assert current not in [r.article_id for r in got]
    assert sum(r.article_id in space for r in got[:3]) >= 2


def test_cold_start_is_a_diverse_popular_mix_one_per_story(corpus):
    store, _ = corpus
    got = _reco(store, None)
    with store.read() as session:
        details = [get_article(session, r.article_id) for r in got]
    assert len(got) == 8
    assert len({d.category for d in details}) >= 3
    stories = [d.story_id for d in details if d.story_id is not None]
    assert len(stories) == len(set(stories))
    assert all(re.match(r"^(top story in|popular in|newest in) ", r.reason) for r in got)


def test_mutes_less_like_this_and_followed_stories(corpus):
    store, ids = corpus
    rid = _reader(store)
    _views(store, rid, [ids[FOOTBALL[0]], ids[STORY_TITLES[1]]])
    with store.write() as session:
        ctl.set_control(session, rid, ctl.MUTE_CATEGORY, "Business", CLOCK)
        ctl.set_control(session, rid, ctl.MUTE_SOURCE, str(_source_id(store, "Herald")), CLOCK)
        ctl.set_control(session, rid, ctl.LESS_LIKE, str(ids[FOOTBALL[1]]), CLOCK)
    got = _reco(store, rid)
    shown = [r.article_id for r in got]
    with store.read() as session:
        details = {a: get_article(session, a) for a in shown}
    assert all(d.category != "Business" for d in details.values())
    assert all(source_of(store, a) != "Herald" for a in shown)
    assert ids[FOOTBALL[1]] not in shown
    # the story read at +6h may return only with a newer report: +12h or +18h, not +0h
    assert ids[STORY_TITLES[0]] not in shown
    newer = [r for r in got if r.article_id in (ids[STORY_TITLES[2]], ids[STORY_TITLES[3]])]
    assert all(r.reason.startswith("new in the story") for r in newer)
    # pause: the non-personal mix; resume and reset: the controls are gone
    with store.write() as session:
        ctl.set_paused(session, rid, True, CLOCK)
    paused = _reco(store, rid)
    assert paused and all(
        re.match(r"^(top story in|popular in|newest in) ", r.reason) for r in paused
    )
    with store.write() as session:
        ctl.reset(session, rid, CLOCK + timedelta(seconds=1))
    with store.read() as session:
        assert ctl.controls_of(session, [rid])[rid].muted_categories == frozenset()


def _source_id(store: Store, name: str) -> int:
    with store.read() as session:
        return int(session.query(Source.id).filter(Source.name == name).scalar())


# --- the site: controls, "For you", "Top stories" ---------------------------------------------


@pytest.fixture
def site_client(corpus, tmp_path):
    """The real app over the corpus (in process), a browser's User-Agent, a reader cookie."""
    from http_util import BROWSER_UA, app_client

    store, ids = corpus
    with app_client(store, tmp_path, CLOCK.isoformat()) as c:
        c.headers["User-Agent"] = BROWSER_UA
        c.get("/")  # the reader cookie
        yield c, store, ids


def _page(c, article_id: int) -> lxml_html.HtmlElement:
    r = c.get(f"/a/{article_id}")
    if r.status_code in (301, 302, 307, 308):
        r = c.get(r.headers["location"])
    assert r.status_code == 200
    return lxml_html.fromstring(r.text)


def _reco_ids(page) -> list[int]:
    hrefs = page.xpath("//section[contains(@class,'list-recommendation')]//li/a/@href")
    return [int(h.split("/")[2]) for h in hrefs]


def _settle(c) -> None:
    c.app.state.site.refresher.drain()


def test_less_like_this_is_a_form_that_works_without_javascript(site_client):
    c, _store, ids = site_client
    for title in FOOTBALL[:2]:
        _page(c, ids[title])
    _settle(c)
    page = _page(c, ids[FOOTBALL[2]])
    forms = page.xpath("//section[contains(@class,'list-recommendation')]//form[@class='less']")
    assert forms, "each recommended item has its own form"
    target = int(forms[0].xpath("./input[@name='article']/@value")[0])
    csrf = forms[0].xpath("./input[@name='csrf']/@value")[0]
    # without the token: refused, nothing changes
    assert c.post("/me/less", data={"article": str(target)}).status_code == 403
    back = f"/a/{ids[FOOTBALL[2]]}"
    r = c.post(
        "/me/less",
        data={"article": str(target), "csrf": csrf},
        headers={"referer": f"http://testserver{back}"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == back
    # the very next page: gone, and its story with it
    assert target not in _reco_ids(_page(c, ids[FOOTBALL[3]]))
    controls = c.get("/me", params={"format": "json"}).json()["controls"]
    assert [a["id"] for a in controls["less_like"]] == [target]


def test_pause_reset_and_the_api_twins(site_client):
    c, _store, ids = site_client
    for title in TOPICS["space"][:3]:
        _page(c, ids[title])
    token = c.get("/api/v1/reader").json()["csrf_token"]
    refused = c.post("/api/v1/reader/controls", json={"kind": "mute_category", "value": "x"})
    assert refused.status_code == 403
    muted = c.post(
        "/api/v1/reader/controls",
        json={"kind": "mute_category", "value": "Science"},
        headers={"x-csrf-token": token},
    )
    assert muted.status_code == 200 and muted.json()["muted_categories"] == ["science"]
    listed = c.get("/api/v1/recommendations").json()["items"]
    assert listed and all(i["article"]["category"] != "Science" for i in listed)
    bad = c.post(
        "/api/v1/reader/controls",
        json={"kind": "mute_source", "value": "not-an-id"},
        headers={"x-csrf-token": token},
    )
    assert bad.status_code == 422
    paused = c.post("/api/v1/reader/pause", json={"paused": True}, headers={"x-csrf-token": token})
    assert paused.json()["paused"] is True
    cold = c.get("/api/v1/recommendations").json()["items"]
    assert all(re.match(r"^(top story in|popular in|newest in) ", i["reason"]) for i in cold)
    # the form twin: /me shows the state and resumes without JavaScript
    me = lxml_html.fromstring(c.get("/me").text)
    form = me.xpath("//form[@action='/me/pause']")[0]
    assert form.xpath("./input[@name='paused']/@value") == ["0"]
    csrf = form.xpath("./input[@name='csrf']/@value")[0]
    resumed = c.post("/me/pause", data={"paused": "0", "csrf": csrf}, follow_redirects=False)
    assert resumed.status_code == 303
    reset = c.post("/api/v1/reader/reset", headers={"x-csrf-token": token}).json()
    assert reset["muted_categories"] == [] and reset["paused"] is False and reset["reset_at"]


def test_home_has_top_stories_with_sources_and_for_you_after_reading(site_client):
    c, _store, ids = site_client
    home = lxml_html.fromstring(c.get("/").text)
    top = home.xpath("//section[@class='top-stories']//li")
    assert top and "4 sources" in top[0].text_content()
    assert not home.xpath("//section[contains(@class,'list-recommendation')]")  # no history
    for title in FOOTBALL[:2]:
        _page(c, ids[title])
    _settle(c)
    home = lxml_html.fromstring(c.get("/").text)
    section = home.xpath("//section[contains(@class,'list-recommendation')]")
    assert section and section[0].xpath("./h2/text()") == ["For you"]
    shown = _reco_ids(home)
    assert shown and not set(shown) & {ids[t] for t in FOOTBALL[:2]}


def test_a_view_never_makes_the_next_page_wait_nor_show_the_read_article(site_client):
    """Background work queued up: the next page does not wait for the reader's rebuild;
    their old list serves meanwhile, never with what they just read."""
    c, _store, ids = site_client
    site = c.app.state.site
    for title in FOOTBALL[:2]:
        _page(c, ids[title])
    _settle(c)
    before = _reco_ids(_page(c, ids[FOOTBALL[2]]))
    _settle(c)
    gate = threading.Event()
    site.refresher.schedule("busy", lambda: gate.wait(10))  # a slow job ahead of the rebuild
    try:
        read = before[0]
        _page(c, read)  # the view: the reader's state is superseded, its rebuild queued
        built = site.reader_states.builds
        after = _reco_ids(_page(c, ids[FOOTBALL[3]]))
        assert read not in after
        assert len(after) == 8
        assert site.reader_states.builds == built, "the old list served: nothing was built"
    finally:
        gate.set()
    _settle(c)
    fresh = _reco_ids(_page(c, ids[FOOTBALL[4]]))
    assert read not in fresh and fresh


def test_a_view_through_another_worker_reaches_this_ones_cached_list(site_client, tmp_path):
    """Two workers over one store: a view worker B flushes reaches worker A through the
    change log. A keeps serving its cached list meanwhile, never with the read article,
    and rebuilds it."""
    from http_util import app_client

    a, store, ids = site_client
    for title in FOOTBALL[:2]:
        _page(a, ids[title])
    _settle(a)
    shown = _reco_ids(_page(a, ids[FOOTBALL[2]]))
    _settle(a)
    site_a = a.app.state.site
    with app_client(store, tmp_path, CLOCK.isoformat()) as b:  # the same secret: one reader
        b.headers["User-Agent"] = a.headers["User-Agent"]
        b.cookies.update(a.cookies)
        read = shown[0]
        _page(b, read)
        b.app.state.site.events.flush()
    gate = threading.Event()
    site_a.refresher.schedule("busy", lambda: gate.wait(10))  # A's rebuild waits its turn
    try:
        site_a.poll_reader_changes()
        built = site_a.reader_states.builds
        assert read not in _reco_ids(_page(a, ids[FOOTBALL[3]]))
        assert site_a.reader_states.builds == built, "the cached list served, no page waited"
    finally:
        gate.set()
    _settle(a)
    assert read not in _reco_ids(_page(a, ids[FOOTBALL[4]]))


def test_a_reader_with_no_history_gets_the_list_around_the_article_on_its_page(site_client):
    """The first page is already about what the reader chose to read (not the cold mix,
    one per category), the same list for every reader without history."""
    c, _store, ids = site_client
    football = {ids[t] for t in FOOTBALL}
    page = _page(c, ids[FOOTBALL[0]])
    shown = _reco_ids(page)
    assert shown and ids[FOOTBALL[0]] not in shown
    assert sum(a in football for a in shown[:3]) >= 2, shown
    why = page.xpath("//section[contains(@class,'list-recommendation')]//span[@class='why']")
    assert why and all(
        not re.match(r"^(top story in|popular in|newest in) ", w.text_content()) for w in why[:3]
    ), "the cold mix's reasons"
