"""Entities: NER fixes on the seed pages, alias merging, linking on both engines."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from dateline.demo import demo_corpus_path
from dateline.enrich.entities import (
    ArticleEntityGroup,
    enrich_article_entities,
    entity_key,
    group_mentions,
    link_entities,
)
from dateline.enrich.entity_queries import entity_page, find_entities
from dateline.enrich.ner import ORG, PERSON, PLACE, Mention, analyse, extract_mentions
from dateline.pipeline import extract_records, ingest_many
from dateline.store.models import Article, ArticleEntity, Entity, EntityAlias
from dateline.store.queries import article_entities


def seed_record(path, settings) -> dict:
    [record] = list(extract_records(str(path), settings))
    return record


def groups_of(record: dict) -> dict[str, ArticleEntityGroup]:
    mentions = extract_mentions(record["title"], record["body"], language=record["language"])
    return {g.name: g for g in group_mentions(mentions)}


# --- NER and alias merging within an article (no database) ------------------------------


def test_seed_000_people_places_and_dateline(seed_000, settings):
    record = seed_record(seed_000, settings)
    mentions = extract_mentions(record["title"], record["body"])
    first = min((m for m in mentions if not m.in_title), key=lambda m: m.start)
    assert (first.text, first.kind, first.start) == ("Moscow", PLACE, 0)  # "MOSCOW (AP) —"
    assert not any(m.text in ("MOSCOW", "AP") for m in mentions)
    groups = groups_of(record)
    assert groups["Choe Son Hui"].kind == PERSON  # the model says "Choe Son" + NORP "Hui"
    assert not any(name in groups for name in ("Choe Son", "Hui"))
    assert groups["Kim Jong Un"].kind == PERSON
    assert groups["Kim Jong Un"].aliases == {"Kim Jong Un", "Kim"}
    assert "Kim" not in groups
    assert groups["Sergei Lavrov"].aliases == {"Sergei Lavrov", "Lavrov"}
    assert groups["Vladimir Putin"].aliases == {"Vladimir Putin", "Putin"}
    for place in ("North Korea", "Russia", "Moscow", "Pyongyang", "Ukraine"):
        assert groups[place].kind == PLACE, place
    assert groups["North Korea"].in_title  # "North Korea’s top diplomat…", possessive trimmed
    assert "North Korean" not in groups  # NORP: a nationality is not the place


def test_seed_004_lavrov_tagged_org_is_the_person(seed_004, settings):
    groups = groups_of(seed_record(seed_004, settings))
    lavrov = groups["Sergey Lavrov"]
    assert lavrov.kind == PERSON and lavrov.key == "sergei lavrov"
    assert "Lavrov" in lavrov.aliases and lavrov.mentions >= 7
    assert groups["United States"].aliases == {"US", "U.S."}
    assert groups["Moscow"].kind == PLACE


def test_non_english_articles_get_no_entities_and_a_reason():
    [result] = analyse([("Lawrow trifft Choe in Moskau", "MOSKAU — Sergej Lawrow …", "de")])
    assert result.mentions == []
    assert "English" in (result.reason or "")
    assert extract_mentions("Putin in Moskau", "Wladimir Putin sagte …", language="de") == []
    [english] = analyse([("Putin in Moscow", "Vladimir Putin said.", "en-GB")])
    assert english.reason is None and english.mentions


def test_keys_fold_transliterations_and_spellings():
    assert entity_key(PERSON, "Sergey Lavrov") == entity_key(PERSON, "Sergei Lavrov")
    assert entity_key(PERSON, "Aleksandr Lukashenko") == entity_key(PERSON, "Alexander Lukashenko")
    assert entity_key(PERSON, "Volodymyr Zelenskyy") == entity_key(PERSON, "Volodymyr Zelensky")
    assert entity_key(PERSON, "Kim Jong-un") == entity_key(PERSON, "Kim Jong Un")
    assert entity_key(PERSON, "Recep Tayyip Erdoğan") == "recep tayyip erdogan"
    assert entity_key(PLACE, "U.S.") == entity_key(PLACE, "the United States")
    assert entity_key(PERSON, "Karl Marx") != entity_key(PERSON, "Karl Marks")


def mention(text: str, kind: str, start: int, *, in_title: bool = False) -> Mention:
    return Mention(text, kind, start, start + len(text), in_title)


def test_bare_name_goes_to_the_person_named_last_before_it():
    groups = group_mentions(
        [
            mention("Kim Jong Un", PERSON, 0),
            mention("Kim Yo Jong", PERSON, 100),
            mention("Kim", PERSON, 200),  # after Kim Yo Jong: her
            mention("World Health Organization", ORG, 300),
            mention("WHO", ORG, 327),  # "World Health Organization (WHO)"
            mention("Kurdistan Workers' Party", ORG, 400),
            mention("PKK", ORG, 426),  # bracketed, initials differ
            mention("John R. Bolton", PERSON, 500),
            mention("John Bolton", PERSON, 600),
        ]
    )
    by_name = {g.name: g for g in groups}
    assert by_name["Kim Yo Jong"].aliases == {"Kim Yo Jong", "Kim"}
    assert by_name["Kim Jong Un"].aliases == {"Kim Jong Un"}
    assert by_name["World Health Organization"].aliases >= {"WHO"}
    assert by_name["Kurdistan Workers' Party"].aliases >= {"PKK"}
    assert by_name["John R. Bolton"].aliases == {"John R. Bolton", "John Bolton"}
    assert len(groups) == 5


def names_of(title: str, body: str) -> dict[str, ArticleEntityGroup]:
    return {g.name: g for g in group_mentions(extract_mentions(title, body))}


def demo_article(article_id: str) -> dict:
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as fh:
        return next(row for line in fh if (row := json.loads(line))["id"] == article_id)


def test_antarctica_demo_page_has_one_las_estrellas_and_one_antarctica():
    # the model splits "Las" GPE + "Estrellas" GPE and tags "the Antarctic continent" ORG
    row = demo_article("wn-211fbbadbdf0")
    groups = names_of(row["title"], row["body"])
    assert groups["Las Estrellas"].kind == PLACE
    assert groups["Antarctica"].kind == PLACE
    assert groups["Antarctica"].aliases == {"Antarctica", "Antarctic"}
    assert not {"Las", "Estrellas", "Antarctic"} & groups.keys()


def test_split_place_only_spaces_apart_is_one_place():
    groups = names_of(
        "Virus cases reported",
        "Health officials reported one more case in Las Estrellas' village on Thursday.",
    )
    assert groups["Las Estrellas"].kind == PLACE  # the model: "Las" GPE, "Estrellas" GPE
    assert groups["Las Estrellas"].aliases == {"Las Estrellas"}
    assert not {"Las", "Estrellas"} & groups.keys()


def test_adjacent_places_that_are_two_names_stay_two():
    groups = names_of("Leaders meet", "The leaders met in Paris, France and then flew to London.")
    assert {"Paris", "France", "London"} <= groups.keys() and "Paris France" not in groups
    groups = names_of("Trade talks", "Delegates from France and Germany met in Brussels.")
    assert {"France", "Germany", "Brussels"} <= groups.keys()
    assert not any(" " in name for name in groups)
    # only spaces apart, but the article names "India" on its own too
    groups = names_of(
        "Talks end",
        "Talks between India Pakistan officials ended on Monday. India said they were useful.",
    )
    assert {"India", "Pakistan"} <= groups.keys() and "India Pakistan" not in groups
    # a headline's juxtaposed countries: the pair is not in the body
    groups = names_of("Russia Ukraine talks resume", "Delegates met in Istanbul on Monday.")
    assert {"Russia", "Ukraine"} <= groups.keys() and "Russia Ukraine" not in groups


def test_adjective_of_a_place_named_in_the_article_is_that_place():
    groups = names_of(
        "Ice shelf melts", "Scientists in Antarctica studied the Antarctic ice sheet."
    )
    assert list(groups) == ["Antarctica"]  # the model: two LOC entities
    assert groups["Antarctica"].aliases == {"Antarctica", "Antarctic"}
    assert groups["Antarctica"].mentions == 2
    # no evidence in the article: the adjective stays as it is
    groups = names_of("Lichens survive", "Lichens can grow high up in Antarctic mountain ranges.")
    assert "Antarctic" in groups and "Antarctica" not in groups
    # an ocean is not the "-ica" town named beside it
    groups = group_mentions([mention("Pacific", PLACE, 0), mention("Pacifica", PLACE, 20)])
    assert {g.name for g in groups} == {"Pacific", "Pacifica"}


def test_nationality_adjective_never_becomes_the_country():
    groups = names_of(
        "American officials visit",
        "American officials met their counterparts in America on Monday.",
    )
    assert groups["United States"].aliases == {"America"}  # "American" is NORP: dropped
    assert not any("American" in g.aliases for g in groups.values())
    # even when the model calls it a place, "American" is not merged into America
    groups = {
        g.name: g
        for g in group_mentions([mention("American", PLACE, 0), mention("America", PLACE, 30)])
    }
    assert groups["United States"].aliases == {"America"}
    assert groups["American"].aliases == {"American"}


# --- linking across articles, on both engines ------------------------------------------------


def add_article(store, title: str, body: str = "", language: str | None = "en") -> int:
    body = body or title
    with store.write() as session:
        row = Article(
            title=title,
            body=body,
            language=language,
            body_hash=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
            first_seen_at=datetime(2024, 1, 1),
            word_count=len(body.split()),
        )
        session.add(row)
        session.flush()
        return row.id


def link(store, article_id: int, mentions: list[Mention]) -> list[int]:
    with store.write() as session:
        return link_entities(session, article_id, mentions)


def entity(store, entity_id: int) -> tuple[str, str, int]:
    with store.read() as session:
        e = session.get(Entity, entity_id)
        return e.kind, e.name, e.article_count


def test_seed_pages_share_one_lavrov(store, settings, seed_000, seed_004):
    report = ingest_many([str(seed_000), str(seed_004)], store, settings)
    ids = [item.article_id for item in report.items]
    assert len(ids) == 2 and all(ids)
    for article_id in ids:
        with store.write() as session:
            assert enrich_article_entities(session, article_id).reason is None
    with store.read() as session:
        lavrovs = session.scalars(
            select(Entity).where(Entity.kind == PERSON, Entity.key.like("%lavrov%"))
        ).all()
        assert len(lavrovs) == 1
        lavrov = lavrovs[0]
        assert lavrov.name == "Sergei Lavrov" and lavrov.article_count == 2
        aliases = set(
            session.scalars(select(EntityAlias.alias).where(EntityAlias.entity_id == lavrov.id))
        )
        assert aliases >= {"Sergei Lavrov", "Sergey Lavrov", "Lavrov"}
        page = entity_page(session, lavrov.id)
        assert page is not None
        assert {a.id for a in page.articles} == set(ids)
        assert "Sergey Lavrov" in page.aliases
        assert "Kim Jong Un" in {r.name for r in page.related}
        assert [e.id for e in find_entities(session, "Lavrov")] == [lavrov.id]
        assert find_entities(session, "Sergey Lavrov")[0].id == lavrov.id
        for name in ("Choe Son Hui", "Kim Jong Un", "Vladimir Putin"):
            assert session.scalar(select(Entity.kind).where(Entity.name == name)) == PERSON
        moscow = find_entities(session, "Moscow", kinds=[PLACE])[0]
        assert (moscow.kind, moscow.article_count) == (PLACE, 2)
        assert not session.scalar(select(func.count()).where(Entity.key == "ap"))
        first = article_entities(session, ids[0])
        assert {"North Korea", "Moscow"} <= {e.name for e in first[:3]}  # title entities first
        north_korea = find_entities(session, "North Korea")[0]
        assert (north_korea.kind, north_korea.article_count) == (PLACE, 2)
        russia = find_entities(session, "Russia")[0]
        assert (russia.kind, russia.article_count) == (PLACE, 2)


def test_relinking_is_idempotent_and_counts_follow(store):
    a = add_article(store, "one")
    b = add_article(store, "two")
    mentions = [mention("Sergei Lavrov", PERSON, 0), mention("Lavrov", PERSON, 40)]
    first = link(store, a, mentions)
    assert link(store, a, mentions) == first
    link(store, b, [mention("Sergey Lavrov", PERSON, 0), mention("Moscow", PLACE, 30)])
    [lavrov] = first
    assert entity(store, lavrov) == (PERSON, "Sergei Lavrov", 2)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(ArticleEntity)) == 3
        row = session.get(ArticleEntity, (a, lavrov))
        assert (row.mentions, row.in_title) == (2, False)
    # re-enriching b with other mentions replaces its links and moves the counts
    [putin] = link(store, b, [mention("Vladimir Putin", PERSON, 0, in_title=True)])
    assert entity(store, lavrov)[2] == 1
    assert entity(store, putin) == (PERSON, "Vladimir Putin", 1)
    with store.read() as session:
        moscow = session.scalar(select(Entity).where(Entity.key == "moscow"))
        assert moscow.article_count == 0
        assert find_entities(session, "Moscow") == []  # unlinked entities are not offered
        assert session.get(ArticleEntity, (b, putin)).in_title


def test_bare_surname_links_across_articles_only_when_unambiguous(store):
    a = add_article(store, "a")
    b = add_article(store, "b")
    c = add_article(store, "c")
    d = add_article(store, "d")
    [lavrov] = link(store, a, [mention("Sergei Lavrov", PERSON, 0)])
    assert link(store, b, [mention("Lavrov", PERSON, 0)]) == [lavrov]  # one Lavrov known
    ids_c = link(store, c, [mention("Kim Jong Un", PERSON, 0), mention("Kim", PERSON, 20)])
    ids_d = link(store, d, [mention("Kim Yo Jong", PERSON, 0), mention("Kim", PERSON, 20)])
    assert len(ids_c) == len(ids_d) == 1 and ids_c != ids_d
    e = add_article(store, "e")
    [bare] = link(store, e, [mention("Kim", PERSON, 0)])  # two Kims known: neither
    assert bare not in ids_c + ids_d
    assert entity(store, bare) == (PERSON, "Kim", 1)
    with store.read() as session:
        kims = find_entities(session, "Kim", kinds=[PERSON])
        assert {k.id for k in kims} == {bare, *ids_c, *ids_d}
        assert kims[0].id == bare  # the exact name first


def test_non_english_article_is_skipped_with_a_reason_and_loses_old_links(store):
    article_id = add_article(store, "Putin trifft Kim", "MOSKAU — Wladimir Putin …", "de")
    link(store, article_id, [mention("Vladimir Putin", PERSON, 0)])
    with store.write() as session:
        result = enrich_article_entities(session, article_id)
    assert result.entity_ids == [] and "English" in (result.reason or "")
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(ArticleEntity)) == 0
        assert session.scalar(select(Entity.article_count)) == 0


def test_linking_a_missing_article_fails_loudly(store):
    with pytest.raises(LookupError), store.write() as session:
        link_entities(session, 999_999, [mention("Moscow", PLACE, 0)])


def test_org_and_place_link_across_articles_by_unique_alias(store):
    a = add_article(store, "a")
    b = add_article(store, "b")
    [kcna] = link(
        store,
        a,
        [mention("Korean Central News Agency", ORG, 0), mention("KCNA", ORG, 28)],
    )
    assert link(store, b, [mention("KCNA", ORG, 0)]) == [kcna]
    assert entity(store, kcna) == (ORG, "Korean Central News Agency", 2)


def test_concurrent_linkers_share_entities_and_keep_counts(store):
    import threading

    ids = [add_article(store, f"article {n}") for n in range(4)]
    mentions = [
        mention("Sergei Lavrov", PERSON, 0),
        mention("Moscow", PLACE, 20),
        mention("North Korea", PLACE, 40),
        mention("United Nations", ORG, 60),
    ]
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def work(article_id: int) -> None:
        try:
            barrier.wait()
            link(store, article_id, mentions)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.read() as session:
        rows = session.execute(select(Entity.name, Entity.article_count)).all()
    assert sorted(rows) == sorted(
        [("Sergei Lavrov", 4), ("Moscow", 4), ("North Korea", 4), ("United Nations", 4)]
    )
