"""Story clustering: constructed time cases, idempotence, rebuild, and the two seed pages.

The model loads once per session (embed.py caches it per process); database tests run on
both engines through the ``store`` fixture.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, func, select, update

from dateline.enrich.embed import (
    article_embedding_status,
    article_text_for_embedding,
    embed_texts,
    load_vectors,
    store_vector,
    vector_from_bytes,
)
from dateline.enrich.stories import (
    ARTICLE_JOIN_THRESHOLD,
    DECAY_MAX,
    JOIN_THRESHOLD,
    KEY_ENTITIES,
    MEMBER_WINDOW,
    OnlineStoryClusterer,
    StoryClusterer,
    cluster_stream,
    merge_partner,
    no_entities,
    range_gap_days,
    refresh_story,
    story_timeline,
    time_penalty,
    top_entities,
)
from dateline.enrich.story_words import headline_words, word_evidence
from dateline.store.models import Article, Story

DAY0 = datetime(2024, 1, 16, 9, 0)

QUAKE_1 = (
    "Strong earthquake strikes central Chile, killing at least 12",
    "A magnitude 7.4 earthquake struck central Chile on Monday, toppling buildings in "
    "Valparaiso and killing at least 12 people, officials said.",
)
QUAKE_2 = (
    "Chile earthquake death toll rises as rescuers search rubble in Valparaiso",
    "Rescuers in Chile searched collapsed buildings in Valparaiso for survivors of the "
    "magnitude 7.4 earthquake, as the death toll rose to 40.",
)
UNRELATED = (
    "Apple unveils new MacBook Air with faster chip",
    "Apple on Monday introduced a thinner MacBook Air laptop powered by its latest "
    "processor, with prices starting at $1,099.",
)


def _article(session, title: str, body: str, when: datetime) -> int:
    row = Article(
        title=title,
        body=body,
        body_hash=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
        language="en",
        published_at=when,
        first_seen_at=when,
        word_count=len(body.split()),
    )
    session.add(row)
    session.flush()
    return int(row.id)


def _clusterer() -> StoryClusterer:
    return StoryClusterer(entities=no_entities)


def _arc(degrees: float) -> np.ndarray:
    """A unit vector at ``degrees`` in one plane: cosines are exact and easy to reason about."""
    v = np.zeros(384, dtype=np.float32)
    v[0], v[1] = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return v


# Two threads open 80° apart (cosine 0.17: separate stories) and grow towards each other in
# 5° steps, each item joining its own side by its nearest member. At 35° the means are
# 47.5° apart (cosine 0.68 >= MERGE_THRESHOLD): the 8-item story absorbs the 7-item one.
ARC = [0, 80] + [a for k in range(1, 8) for a in (5 * k, 80 - 5 * k)]
ARC_TITLES = [f"Zq{a}x" for a in ARC]  # one unseen word each: the words favour no side


def test_embeddings_are_normalised_float32() -> None:
    vectors = embed_texts(["One headline", "Another headline about something else"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_text_for_embedding_is_title_and_lead() -> None:
    body = "\n".join(["word " * 100] * 5)
    text = article_text_for_embedding("A title", body)
    assert text.startswith("A title. word")
    assert len(text.split()) == 2 + 120


def test_non_english_is_not_embedded() -> None:
    assert article_embedding_status("fr", "Le président a annoncé une réforme") is not None
    assert article_embedding_status("en", "The president announced a reform") is None


def test_time_penalty_is_gentle_then_saturates() -> None:
    assert time_penalty(None) == 0.0
    assert time_penalty(7) < 0.05
    assert 0.2 < time_penalty(90) < 0.35
    assert time_penalty(730) == pytest.approx(DECAY_MAX, abs=0.01)


def test_core_without_dates_is_pure_similarity() -> None:
    vectors = embed_texts([QUAKE_1[0], QUAKE_2[0], UNRELATED[0]])
    core = OnlineStoryClusterer()
    a, b, c = (core.add(v) for v in vectors)
    assert a.new and not b.new and b.story == a.story
    assert c.new and c.story != a.story


def test_headline_words_fold_case_stop_words_possessives_and_plurals() -> None:
    assert headline_words("Chrysler Recalls 25,000 Jeeps: Lohan’s docu-series and the Boss") == [
        "chrysler",
        "recall",
        "25",
        "000",
        "jeep",
        "lohan",
        "docu",
        "serie",
        "boss",
    ]
    assert headline_words("") == [] and headline_words("The and of, to!") == []


def test_word_evidence_rewards_the_story_that_uses_the_words() -> None:
    lohan = {"lohan": 12, "lindsay": 9, "docu": 5, "oprah": 4}
    cyrus = {"miley": 14, "cyrus": 12, "concert": 5, "underwear": 3}
    evidence = word_evidence([lohan, cyrus, {}], [30, 34, 0], ["lindsay", "lohan", "interview"])
    # by hand: P(words | story) / P(words | unseen story) under the Dirichlet prior
    mass = 4000 * 0.2
    by_hand = math.log((9.2 * 12.2 * 0.2) / (830 * 831 * 832)) - math.log(
        0.2**3 / (mass * (mass + 1) * (mass + 2))
    )
    assert evidence[0] == pytest.approx(by_hand)
    assert evidence[0] > 5  # two of the story's own names: strong evidence
    assert evidence[1] < 0  # a big story that never used them: evidence against
    assert evidence[2] == pytest.approx(0.0)  # an empty story is the prior itself
    assert word_evidence([lohan], [30], []).tolist() == [0.0]
    # more uses of a word, more evidence
    more = word_evidence([{"lohan": 2}, {"lohan": 20}], [20, 20], ["lohan"])
    assert more[1] > more[0] > 0


def test_words_decide_between_two_equally_similar_stories() -> None:
    """Embeddings alike (one topic), names different: the words pick the story.

    The vectors are identical (cosine 1), and the threshold sits just above that, so only
    word evidence can tip a join either way.
    """
    base = np.zeros(8, dtype=np.float32)
    base[0] = 1.0
    core = OnlineStoryClusterer(dim=8, threshold=1.05)
    lohan = core.add(base, words=headline_words("Lindsay Lohan docu-series premieres on OWN"))
    cyrus = core.add(base, words=headline_words("Miley Cyrus concert costume mishap"), new_key=7)
    assert lohan.new and cyrus.new and cyrus.story == 7
    follow = core.add(base, words=headline_words("Lohan says docu-series shows her integrity"))
    assert not follow.new and follow.story == lohan.story
    other = core.add(base, words=headline_words("Miley Cyrus fan sneaks backstage"))
    assert not other.new and other.story == cyrus.story
    # without words the same vectors cannot clear the threshold
    assert core.add(base).new


def test_cluster_stream_lets_entities_tip_a_close_call() -> None:
    """Two stories 90° apart and an item half way (equal links, unseen words): without
    entities the tie goes to the lower key, with them to the story that shares them."""
    vectors = np.stack([_arc(0), _arc(90), _arc(45)])
    titles = ["Zq1x", "Zq2x", "Zq3x"]
    assert cluster_stream(vectors, titles).labels == [0, 1, 0]
    entities = [{"PERSON:someone"}, {"ORG:other body"}, {"ORG:other body"}]
    assert cluster_stream(vectors, titles, entities=entities).labels == [0, 1, 1]


def test_key_entity_ties_do_not_depend_on_arrival_order() -> None:
    """A story whose entities all tie (each named once) must score an item alike however
    its members arrived: ties go by key, not by the order sets happened to iterate in
    (which changes with Python's hash seed between processes)."""
    names = [f"PLACE:town {n:02d}" for n in range(KEY_ENTITIES + 1)]

    def score_of(order: list[str]) -> float:
        core = OnlineStoryClusterer(regroup=False)
        for name in order:  # one story: the same vector every time
            core.add(_arc(0), entities={name}, words=["zqx"])
        assert len(core) == 1
        return core.scores(_arc(0), entities={names[0]}, words=["zqx"])[0][1]

    assert score_of(names) == score_of(names[::-1])
    assert top_entities(Counter(names))[0] == (names[0], 1)


def test_cluster_stream_keeps_name_stories_apart() -> None:
    titles = [
        "Lindsay Lohan opens up in Oprah docu-series",
        "Miley Cyrus performs in her underwear after costume change",
        "Lohan tells Oprah she wants integrity",
        "Miley Cyrus laughs off wardrobe malfunction on tour",
        "First look at Lindsay Lohan's OWN series",
        "Cyrus costume change goes wrong in concert",
    ]
    labels = cluster_stream(embed_texts(titles), titles).labels
    assert labels[0] == labels[2] == labels[4]
    assert labels[1] == labels[3] == labels[5]
    assert labels[0] != labels[1]


def test_converging_stories_merge_and_later_items_find_one() -> None:
    core = OnlineStoryClusterer()
    decisions = [core.add(_arc(a), words=[t.lower()]) for a, t in zip(ARC, ARC_TITLES, strict=True)]
    assert decisions[1].new, "80° apart: two stories at first"
    merges = [(i, d) for i, d in enumerate(decisions) if d.merged is not None]
    assert [(ARC[i], d.story, d.merged) for i, d in merges] == [(35, 0, 1)]
    assert core.story_keys == [0] and len(core) == 1
    assert core.add(_arc(45)).story == 0
    # without merging the two halves stay apart and the gap item picks one
    apart = OnlineStoryClusterer(regroup=False)
    labels = [apart.add(_arc(a)).story for a in ARC]
    assert sorted(set(labels)) == [0, 1] and len(apart) == 2


def test_a_story_is_scored_on_its_newest_members_and_its_whole_mean() -> None:
    core = OnlineStoryClusterer()
    words = [["budget"]] * 5 + [["strike"]] * MEMBER_WINDOW  # oldest first
    core.add_story(7, [_arc(0)] * len(words), words=words)

    def score(*headline: str) -> float:
        return core.scores(_arc(0), words=list(headline))[0][1]

    # the five "budget" headlines have left the window: that word is now as unseen as any
    assert score("budget") == pytest.approx(score("zzyzx"))
    assert score("strike") > score("budget") + 0.1
    # a story loaded from the store brings its whole mean (members: only the newest)
    whole = OnlineStoryClusterer()
    whole.add_story(8, [_arc(0)], mean=_arc(60), size=500)
    assert whole.scores(_arc(0))[0][1] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)


def test_merge_partner_wants_close_means_and_close_dates() -> None:
    close, far = np.stack([_arc(40)]), np.stack([_arc(60)])  # cosines 0.77 and 0.50
    assert merge_partner(_arc(0), close, [None]) == 0
    assert merge_partner(_arc(0), close, [7.0]) == 0
    assert merge_partner(_arc(0), close, [365.0]) is None  # a year apart costs 0.44
    assert merge_partner(_arc(0), far, [None]) is None
    assert merge_partner(_arc(0), np.zeros((0, 384), dtype=np.float32), []) is None


def test_range_gap_is_zero_for_overlapping_ranges() -> None:
    week = (DAY0, DAY0 + timedelta(days=7))
    assert range_gap_days(week, (DAY0 + timedelta(days=3), DAY0 + timedelta(days=30))) == 0.0
    assert range_gap_days(week, (DAY0 + timedelta(days=10), DAY0 + timedelta(days=11))) == 3.0
    assert range_gap_days((DAY0 + timedelta(days=10), DAY0 + timedelta(days=11)), week) == 3.0
    assert range_gap_days(week, (None, None)) is None


# A chain: a story of six headlines at 0°; a headline of another event at 62° (cosine
# 0.47) joins it, being just over the join threshold; the event's next headlines (75°, 88°)
# join through it (their nearest member). Against the first six alone the three score
# 0.47, 0.26 and 0.03 (mean 0.25, under the bar less the margin), and their mean is 75°
# from the rest's (cosine 0.26): the third of them splits them off.
CHAIN = [0, 0, 0, 0, 0, 0, 62, 75, 88, 90, 5]
CHAIN_TITLES = [f"Zq{n}x" for n in range(len(CHAIN))]  # unseen words: they favour no side


def test_a_story_splits_off_a_chained_event() -> None:
    core = OnlineStoryClusterer()
    decisions = [
        core.add(_arc(a), words=[t.lower()], ref=n)
        for n, (a, t) in enumerate(zip(CHAIN, CHAIN_TITLES, strict=True))
    ]
    assert [d.story for d in decisions[:8]] == [0] * 8, "62° and 75° join the first story"
    assert decisions[8].split == (0, 1) and decisions[8].story == 1
    assert sorted(decisions[8].moved) == [6, 7, 8]
    assert decisions[9].story == 1 and decisions[10].story == 0  # later items find each
    assert core.story(0).size == 7 and core.story(1).size == 4
    np.testing.assert_allclose(core.mean(0), _arc(0) * 6 / 7 + _arc(5) / 7, atol=1e-6)
    # without regrouping the chain goes on
    apart = OnlineStoryClusterer(regroup=False)
    assert {apart.add(_arc(a)).story for a in CHAIN} == {0}


def test_split_needs_a_part_that_would_not_have_joined() -> None:
    # a thread spread evenly over 60°: its halves are 30° apart, one story
    core = OnlineStoryClusterer()
    assert {core.add(_arc(a), words=[f"zq{a}x"]).story for a in range(0, 61, 5)} == {0}
    assert core.split_part(0) is None
    # the chain's part, but two members only: too few to be a story
    small = OnlineStoryClusterer()
    for n, a in enumerate([0, 0, 0, 0, 0, 0, 62, 75]):
        small.add(_arc(a), words=[f"zq{n}x"])
    assert small.split_part(0) is None


def test_cluster_stream_carries_splits_back() -> None:
    stream = cluster_stream(np.stack([_arc(a) for a in CHAIN]), CHAIN_TITLES)
    assert stream.labels == [0] * 8 + [1, 1, 0]
    assert stream.splits == [(0, 1)]
    assert stream.relabelled() == [0] * 6 + [1, 1, 1, 1, 0]


def test_regrouped_labels_are_the_stories_at_the_end() -> None:
    """Merges and splits in one stream, carried back: each row ends in the story holding it."""
    angles = [*ARC, *[180 + a for a in CHAIN]]  # the chain half a turn away from the arc
    titles = [f"Zq{n}x" for n in range(len(angles))]
    vectors = np.stack([_arc(a) for a in angles])
    stream = cluster_stream(vectors, titles)
    assert stream.merges and stream.splits
    core = OnlineStoryClusterer()
    for n, title in enumerate(titles):
        core.add(vectors[n], words=headline_words(title), ref=n)
    holder = {m.ref: key for key in core.story_keys for m in core.story(key).window}
    assert stream.relabelled() == [holder[n] for n in range(len(angles))]
    assert stream.labels != stream.relabelled()


def test_converging_stories_merge_in_the_store_and_leave_a_redirect(store) -> None:
    with store.write() as session:
        ids = []
        for n, (degrees, title) in enumerate(zip(ARC, ARC_TITLES, strict=True)):
            ids.append(_article(session, title, f"Item at {degrees} degrees.", DAY0))
            store_vector(session, ids[-1], _arc(degrees))
            session.get(Article, ids[-1]).first_seen_at = DAY0 + timedelta(minutes=n)
        result = _clusterer().assign_many(session, ids)
        assert len(set(result.values())) == 1  # where each article is now
        kept = result[ids[0]]
        assert kept is not None and session.get(Story, kept).size == len(ARC)
        gone = session.execute(select(Story).where(Story.id != kept)).scalars().all()
        assert [(s.merged_into, s.size, s.centroid) for s in gone] == [(kept, 0, None)]
        homes = set(session.execute(select(Article.story_id).where(Article.id.in_(ids))).scalars())
        assert homes == {kept}
        # the same decision as the in-memory core, applied to the past
        core = cluster_stream(np.stack([_arc(a) for a in ARC]), ARC_TITLES).relabelled()
        assert len(set(core)) == 1
        # idempotent
        assert set(_clusterer().assign_many(session, ids).values()) == {kept}
        # a rebuild re-clusters the range: one live story holds every article, and every
        # other address left redirects to it (which id it keeps is tested with rebuilds)
        _clusterer().rebuild(session, DAY0 - timedelta(days=1))
        stories = session.execute(select(Story.id, Story.size, Story.merged_into)).all()
        live = {s.id for s in stories if s.merged_into is None}
        assert sum(s.size for s in stories) == len(ARC) and len(live) == 1
        assert all(s.merged_into in live for s in stories if s.merged_into is not None)


def test_a_chained_event_splits_off_in_the_store(store) -> None:
    """Headline-only items (no lead: the headline threshold), as the core's chain above."""
    with store.write() as session:
        ids = []
        for n, (degrees, title) in enumerate(zip(CHAIN, CHAIN_TITLES, strict=True)):
            ids.append(_article(session, title, "", DAY0 + timedelta(minutes=n)))
            store_vector(session, ids[-1], _arc(degrees))
        result = _clusterer().assign_many(session, ids)
        first, split = result[ids[0]], result[ids[6]]
        assert first is not None and split is not None and first != split
        assert [result[i] for i in ids] == [first] * 6 + [split] * 4 + [first]
        stories = {s.id: s for s in session.execute(select(Story)).scalars()}
        assert set(stories) == {first, split}
        assert (stories[first].size, stories[split].size) == (7, 4)
        assert stories[split].label == CHAIN_TITLES[7]  # 75°: the member nearest its mean (79°)
        assert stories[split].first_seen_at == DAY0 + timedelta(minutes=6)
        assert stories[first].last_seen_at == DAY0 + timedelta(minutes=10)
        written = {k: (v.centroid, v.label, v.size) for k, v in stories.items()}
        for story_id, (centroid, label, size) in written.items():  # as a full refresh would
            refresh_story(session, story_id)
            story = session.get(Story, story_id)
            assert (story.label, story.size) == (label, size)
            np.testing.assert_allclose(  # running sums against a fresh mean: the last bits
                vector_from_bytes(story.centroid), vector_from_bytes(centroid), atol=1e-6
            )
        # the core's grouping, carried back; and idempotent
        core = cluster_stream(np.stack([_arc(a) for a in CHAIN]), CHAIN_TITLES).relabelled()
        assert len(set(core)) == 2 and core == [0 if result[i] == first else 1 for i in ids]
        assert _clusterer().assign_many(session, ids) == result


def test_same_topic_a_week_apart_joins(store) -> None:
    with store.write() as session:
        first = _article(session, *QUAKE_1, DAY0)
        second = _article(session, *QUAKE_2, DAY0 + timedelta(days=7))
        clusterer = _clusterer()
        s1, s2 = clusterer.assign(session, first), clusterer.assign(session, second)
        assert s1 is not None and s1 == s2
        story = session.get(Story, s1)
        assert story.size == 2
        assert story.first_seen_at == DAY0 and story.last_seen_at == DAY0 + timedelta(days=7)
        assert [e.article_id for e in story_timeline(session, s1)] == [first, second]


def test_same_topic_two_years_apart_opens_a_new_story(store) -> None:
    with store.write() as session:
        first = _article(session, *QUAKE_1, DAY0)
        later = _article(session, *QUAKE_2, DAY0 + timedelta(days=730))
        clusterer = _clusterer()
        s1, s2 = clusterer.assign(session, first), clusterer.assign(session, later)
        assert s1 is not None and s2 is not None and s1 != s2


def test_unrelated_article_the_same_day_does_not_join(store) -> None:
    with store.write() as session:
        first = _article(session, *QUAKE_1, DAY0)
        other = _article(session, *UNRELATED, DAY0 + timedelta(hours=2))
        clusterer = _clusterer()
        assert clusterer.assign(session, first) != clusterer.assign(session, other)


def test_assign_is_idempotent(store) -> None:
    with store.write() as session:
        ids = [
            _article(session, *QUAKE_1, DAY0),
            _article(session, *QUAKE_2, DAY0 + timedelta(days=1)),
            _article(session, *UNRELATED, DAY0 + timedelta(days=1)),
        ]
        clusterer = _clusterer()
        first = clusterer.assign_many(session, ids)
        stories_before = session.execute(select(Story.id, Story.size)).all()
        again = clusterer.assign_many(session, ids)
        assert again == first
        assert session.execute(select(Story.id, Story.size)).all() == stories_before


def test_rebuild_reproduces_the_grouping(store) -> None:
    with store.write() as session:
        ids = [
            _article(session, *QUAKE_1, DAY0),
            _article(session, *UNRELATED, DAY0 + timedelta(hours=1)),
            _article(session, *QUAKE_2, DAY0 + timedelta(days=3)),
        ]
        clusterer = _clusterer()
        before = clusterer.assign_many(session, ids)
        after = clusterer.rebuild(session, DAY0 - timedelta(days=1))

        def grouping(result: dict[int, int | None]) -> set[frozenset[int]]:
            groups: dict[int | None, set[int]] = {}
            for article_id, story_id in result.items():
                groups.setdefault(story_id, set()).add(article_id)
            return {frozenset(g) for g in groups.values()}

        assert grouping(after) == grouping(before)
        assert grouping(before) == {frozenset({ids[0], ids[2]}), frozenset({ids[1]})}
        # stories emptied by the rebuild are gone; sizes add up
        assert sum(session.execute(select(Story.size)).scalars()) == 3


@pytest.mark.parametrize(("body", "joins"), [("A lead paragraph.", False), ("", True)])
def test_store_threshold_depends_on_what_was_embedded(store, body: str, joins: bool) -> None:
    """An article embedded with its lead must be surer to join than a headline alone.

    Cosine 0.49 lies between the two thresholds: a headline-only item joins on it, an
    article does not (the words are unseen, so they weigh nothing either way).
    """
    cosine = 0.49
    assert JOIN_THRESHOLD < cosine < ARTICLE_JOIN_THRESHOLD
    with store.write() as session:
        first = _article(session, "Zqfirstx", "A lead paragraph.", DAY0)
        store_vector(session, first, _arc(0))
        second = _article(session, "Zqsecondx", body, DAY0 + timedelta(hours=1))
        store_vector(session, second, _arc(math.degrees(math.acos(cosine))))
        result = _clusterer().assign_many(session, [first, second])
    assert (result[first] == result[second]) is joins


def test_story_labels_cover_the_demo_corpus() -> None:
    """The hand-labelled threads that bench/story_articles.py scores: one row per article."""
    import csv
    import gzip
    import json

    from dateline.demo import demo_corpus_path

    path = Path(__file__).parent / "data" / "stories" / "wikinews_stories.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as fh:
        corpus = {a["id"]: a for a in map(json.loads, fh)}
    assert sorted(r["id"] for r in rows) == sorted(corpus)
    assert all(r["title"] == corpus[r["id"]]["title"] for r in rows)
    thread_of: dict[str, set[str]] = {}
    for r in rows:
        thread_of.setdefault(r["event"], set()).add(r["thread"])
    assert all(len(threads) == 1 for threads in thread_of.values()), "an event in two threads"
    sizes = Counter(r["thread"] for r in rows)
    assert sum(1 for r in rows if sizes[r["thread"]] > 1) > 50


def test_seed_pages_share_a_story_but_are_different_articles(
    store, seed_000: Path, seed_004: Path, tmp_path: Path
) -> None:
    from dateline.pipeline import ingest_many
    from dateline.settings import load_settings

    settings = load_settings(environ={"DATELINE_DATA_DIR": str(tmp_path / "data")})
    ingest_many([str(seed_000), str(seed_004)], store, settings)
    with store.write() as session:
        ids = [int(i) for i in session.execute(select(Article.id)).scalars()]
        assert len(ids) == 2, "the seeds are different articles, not copies"
        result = StoryClusterer().assign_many(session, ids)
        vectors = load_vectors(session, ids)
        assert len(vectors) == 2
        similarity = float(vectors[ids[0]] @ vectors[ids[1]])
        assert similarity >= JOIN_THRESHOLD
        assert result[ids[0]] is not None and result[ids[0]] == result[ids[1]]
        story = session.get(Story, result[ids[0]])
        assert story.size == 2
        assert "North Korea" in story.label


# --- the clusterer's in-memory stories ---------------------------------------------------


def _plane(degrees: float, plane: int) -> np.ndarray:
    """Like ``_arc``, in the plane of dimensions (2·plane, 2·plane + 1)."""
    v = np.zeros(384, dtype=np.float32)
    v[2 * plane] = math.cos(math.radians(degrees))
    v[2 * plane + 1] = math.sin(math.radians(degrees))
    return v


# Two converging threads in one plane (they merge), a tight thread in another, a chain in
# a third (articles: the chain opens at 55°, over the article threshold, and splits off at
# 85°), and items that arrive out of date order (hours): each is (plane, degrees, hour).
STREAM = [
    *[(0, a, 2 * n) for n, a in enumerate(ARC)],
    *[(1, 3 * k, 40 + k) for k in range(6)],
    (1, 7, 35),  # older than the thread's newest: its members must be read afresh
    (0, 40, 1),
    (1, 2, 60),
    *[(2, a, 70 + n) for n, a in enumerate([0, 0, 0, 0, 0, 0, 55, 70, 85, 88, 5])],
]


def _stream_articles(session) -> list[int]:
    ids = []
    for n, (plane, degrees, hour) in enumerate(STREAM):
        ids.append(_article(session, f"Zq{n}x", f"Item {n}.", DAY0 + timedelta(hours=hour)))
        store_vector(session, ids[-1], _plane(degrees, plane))
    return ids


def _stories_by_members(session) -> dict[frozenset[int], tuple]:
    """Each live story as (size, mean bytes, label, key entities, first, last), by members."""
    out = {}
    for story in session.execute(select(Story).where(Story.size > 0)).scalars():
        members = session.execute(select(Article.id).where(Article.story_id == story.id))
        out[frozenset(members.scalars())] = (
            story.size,
            story.centroid,
            story.label,
            story.key_entities,
            story.first_seen_at,
            story.last_seen_at,
        )
    return out


@pytest.mark.parametrize("held", [50_000, 1])
def test_stories_held_in_memory_decide_as_a_fresh_read_does(store, monkeypatch, held) -> None:
    """One clusterer kept across articles and transactions (holding about ``held``
    members at most) must give exactly what a new clusterer per article gives."""
    import dateline.enrich.stories.clusterer as stories

    monkeypatch.setattr(stories, "HELD_MEMBERS", held)
    with store.write() as session:
        ids = _stream_articles(session)
    kept = _clusterer()
    for article_id in ids:  # one transaction each, in arrival order (not date order)
        with store.write() as session:
            kept.assign(session, article_id)
    with store.read() as session:
        held_result = _stories_by_members(session)
    with store.write() as session:
        session.execute(update(Article).values(story_id=None))
        session.execute(delete(Story))
    for article_id in ids:
        with store.write() as session:
            _clusterer().assign(session, article_id)
    with store.read() as session:
        fresh_result = _stories_by_members(session)
        merged = session.scalar(select(func.count()).where(Story.merged_into.is_not(None)))
    assert held_result == fresh_result
    # the arc merged; the tight thread is one; the chain split in two
    assert len(fresh_result) == 4 and merged == 1
    assert sorted(len(members) for members in fresh_result) == [4, 7, 8, 17]


def test_a_held_clusterer_sees_what_another_writer_did(store) -> None:
    with store.write() as session:
        first = _article(session, "Zq1x", "One.", DAY0)
        second = _article(session, "Zq2x", "Two.", DAY0 + timedelta(hours=1))
        third = _article(session, "Zq3x", "Three.", DAY0 + timedelta(hours=2))
        for n, article_id in enumerate((first, second, third)):
            store_vector(session, article_id, _plane(2 * n, 1))
        unrelated = _article(session, "Zq4x", "Four.", DAY0)
        store_vector(session, unrelated, _plane(0, 5))
    held = _clusterer()
    with store.write() as session:
        held.assign(session, unrelated)  # it now holds the stories (one)
    with store.write() as session:
        opened = _clusterer().assign(session, first)  # another process opens a story
    with store.write() as session:
        assert held.assign(session, second) == opened  # ... which the held one finds
    with store.write() as session:  # another rebuild deletes and re-creates stories
        _clusterer().rebuild(session, DAY0 - timedelta(days=1))
        again = session.scalar(select(Article.story_id).where(Article.id == second))
    with store.write() as session:
        assert held.assign(session, third) == again
        assert session.get(Story, again).size == 3


def test_a_rolled_back_story_is_forgotten(store) -> None:
    with store.write() as session:
        first = _article(session, "Zq1x", "One.", DAY0)
        second = _article(session, "Zq2x", "Two.", DAY0 + timedelta(hours=1))
        store_vector(session, first, _plane(0, 1))
        store_vector(session, second, _plane(2, 1))
    held = _clusterer()
    with pytest.raises(RuntimeError), store.write() as session:
        held.assign(session, first)
        raise RuntimeError("the batch failed after the story was written")
    with store.write() as session:
        story = held.assign(session, second)
        assert session.get(Story, story).size == 1  # not joined to the story rolled back
        assert session.scalar(select(func.count()).select_from(Story)) == 1


def test_a_new_story_is_written_as_a_full_refresh_would_write_it(store) -> None:
    with store.write() as session:
        article_id = _article(session, *QUAKE_1, DAY0)
        story_id = _clusterer().assign(session, article_id)
        fields = ("size", "centroid", "first_seen_at", "last_seen_at", "label", "key_entities")
        story = session.get(Story, story_id)
        written = [getattr(story, f) for f in fields]
        refresh_story(session, story_id)
        assert [getattr(story, f) for f in fields] == written
        assert written[0] == 1 and written[4] == QUAKE_1[0]


def test_the_pure_core_and_the_embedder_agree_on_the_vector_length():
    """The core keeps its own copy of the length so that it imports no SQL; they must agree."""
    from dateline.enrich import embed
    from dateline.enrich.stories import scoring

    assert scoring.DIMENSIONS == embed.DIMENSIONS


# --- story addresses across a rebuild (issue 14) -----------------------------------------


def test_rebuilt_stories_claim_old_ids_greedily_by_shared_articles() -> None:
    from dateline.enrich.stories.addresses import claim_ids, successor

    # new story 10 shares most with old 2, then with old 1; 11 shares 3 with old 2 as well
    shared = {(10, 2): 5, (10, 1): 4, (11, 2): 3, (11, 3): 1, (12, 1): 4}
    assert claim_ids(shared, {10, 11, 12}, {1, 2, 3}) == {10: 2, 12: 1, 11: 3}
    # ties: the smaller old id first, then the smaller new id
    assert claim_ids({(10, 2): 2, (10, 1): 2, (11, 1): 2}, {10, 11}, {1, 2}) == {10: 1}
    assert claim_ids({(11, 1): 2, (10, 1): 2}, {10, 11}, {1}) == {10: 1}
    # only vacant ids are taken, only by claimants, never with nothing shared
    assert claim_ids({(10, 1): 5, (10, 2): 1, (11, 3): 0}, {10, 11}, {2, 3}) == {10: 2}
    assert successor([7, 5, 7, None, 5]) == 5 and successor([7, 7, 5]) == 7
    assert successor([None, None]) is None and successor([]) is None


# Three tight threads, one per plane, a day apart; ingested newest thread first, so the
# story ids run against the date order a rebuild replays in.
THREADS = [(5, 2), (3, 0), (4, 1)]  # (plane, day), in arrival order


def _threads(session) -> dict[int, list[int]]:
    """The three threads' articles by plane, assigned in arrival order (one story each)."""
    out: dict[int, list[int]] = {}
    for plane, day in THREADS:
        for k in range(3):
            when = DAY0 + timedelta(days=day, hours=k)
            article_id = _article(session, f"Zqt{plane}{k}x", f"Thread {plane}, {k}.", when)
            store_vector(session, article_id, _plane(2 * k, plane))
            out.setdefault(plane, []).append(article_id)
        _clusterer().assign_many(session, out[plane])
    return out


def _story_rows(session) -> dict[int, tuple]:
    """Every story row as (size, merged_into, label, first, last, members), by id."""
    rows = {}
    for story in session.execute(select(Story)).scalars():
        members = session.execute(select(Article.id).where(Article.story_id == story.id))
        rows[int(story.id)] = (
            story.size,
            story.merged_into,
            story.label,
            story.first_seen_at,
            story.last_seen_at,
            frozenset(members.scalars()),
        )
    return rows


def _live_members(session) -> dict[int, frozenset[int]]:
    return {k: v[5] for k, v in _story_rows(session).items() if v[0] > 0}


def _assert_addresses_kept(session, before: dict[int, frozenset[int]]) -> None:
    """Each story id live before a rebuild shows part of its own articles, redirects to the
    story holding most of them (ties: smaller id), or is gone with all of them storyless."""
    now = _live_members(session)
    home = {a: s for s, members in now.items() for a in members}
    for story_id, members in before.items():
        row = session.get(Story, story_id)
        homes = Counter(home[a] for a in members if a in home)
        if row is None:
            assert not homes, f"/s/{story_id} is gone but its articles have stories"
        elif row.merged_into is None:
            assert now[story_id] & members, f"/s/{story_id} shows another story's articles"
        else:
            best = min(homes, key=lambda s: (-homes[s], s))
            assert row.merged_into == best and row.size == 0, story_id
    for story_id, target in session.execute(
        select(Story.id, Story.merged_into).where(Story.merged_into.is_not(None))
    ):
        assert target in now, f"/s/{story_id} redirects to {target}, which is not a story"


def test_a_rebuild_of_an_unchanged_range_keeps_every_story_id(store) -> None:
    with store.write() as session:
        threads = _threads(session)
        # and a pair of converging threads: one story and the redirect its merge left
        arc = []
        for n, (degrees, title) in enumerate(zip(ARC, ARC_TITLES, strict=True)):
            when = DAY0 + timedelta(days=3, minutes=n)
            arc.append(_article(session, title, f"Item at {degrees}.", when))
            store_vector(session, arc[-1], _arc(degrees))
        _clusterer().assign_many(session, arc)
        before = _story_rows(session)
        assert len(before) == 5 and sum(1 for v in before.values() if v[1] is not None) == 1
        home = {a: k for k, v in before.items() for a in v[5]}
        # the newest thread came first: ids do not follow the dates a rebuild replays in
        assert home[threads[5][0]] < home[threads[3][0]] < home[threads[4][0]]
        result = _clusterer().rebuild(session, DAY0 - timedelta(days=1))
        assert _story_rows(session) == before  # same ids, same members, same rows
        assert result == {a: home[a] for a in result}
        again = _clusterer().rebuild(session, DAY0 - timedelta(days=1))
        assert again == result and _story_rows(session) == before


def cut_thread(
    session, thread_text: tuple[str, str], lone_text: tuple[str, str], names: tuple[str, ...]
) -> tuple[list[int], int, dict[str, int]]:
    """A five-article thread and a lone article, as an earlier clustering left them: the
    thread cut in two. Stories are created in ``names`` order (lone, thread's last two,
    thread's first three), so their ids rise in that order. For rebuild tests."""
    from dateline.store.repository import utcnow

    title, body = thread_text
    thread = [
        _article(session, title.format(k), body.format(k), DAY0 + timedelta(hours=k))
        for k in range(5)
    ]
    for k, article_id in enumerate(thread):
        store_vector(session, article_id, _plane(2 * k, 1))
    alone = _article(session, *lone_text, DAY0 + timedelta(hours=2))
    store_vector(session, alone, _plane(0, 2))
    ids = {}
    for name, members in zip(names, ([alone], thread[3:], thread[:3]), strict=True):
        story = Story(label="", updated_at=utcnow())
        session.add(story)
        session.flush()
        ids[name] = int(story.id)
        for article_id in members:
            session.get(Article, article_id).story_id = story.id
        session.flush()
        refresh_story(session, int(story.id))
    return thread, alone, ids


def test_two_old_stories_rebuilt_as_one_keep_the_larger_ones_id_and_redirect(store) -> None:
    from dateline.store.repository import utcnow

    with store.write() as session:
        thread, alone, ids = cut_thread(
            session, ("Zqm{}x", "Merge {}."), ("Zqalonex", "Alone."), ("z", "y", "x")
        )
        older = Story(label="Merged into y", size=0, merged_into=ids["y"], updated_at=utcnow())
        session.add(older)
        session.flush()
        result = _clusterer().rebuild(session, DAY0 - timedelta(days=1))
        assert {result[a] for a in thread} == {ids["x"]} and result[alone] == ids["z"]
        rows = _story_rows(session)
        assert rows[ids["x"]][0] == 5 and rows[ids["x"]][5] == frozenset(thread)
        assert rows[ids["z"]][5] == frozenset({alone})
        assert rows[ids["y"]][:2] == (0, ids["x"]) and not rows[ids["y"]][5]
        assert rows[int(older.id)][:2] == (0, ids["x"])  # one hop deep
        assert set(rows) == {*ids.values(), int(older.id)}  # no new id


def test_no_story_id_shows_another_storys_articles_after_a_rebuild(store) -> None:
    with store.write() as session:
        ids = _stream_articles(session)
        _threads(session)
    held = _clusterer()
    for article_id in ids:  # in arrival order, not date order: a rebuild regroups
        with store.write() as session:
            held.assign(session, article_id)
    for since in (DAY0 - timedelta(days=1), DAY0 + timedelta(hours=36), DAY0 + timedelta(days=1)):
        with store.write() as session:
            before = _live_members(session)
            _clusterer().rebuild(session, since)
            _assert_addresses_kept(session, before)
