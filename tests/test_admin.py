"""The operator's actions on both engines: through the library, the admin API (real HTTP,
a bearer token) and the command line. Hide an article, merge and split stories, mark a
source as a wire or a farm, pause and remove a subscription."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select

from conftest import _serve_in_thread, cli_env
from dateline.clock import utc_now
from dateline.enrich.sources import is_wire_own, score_sources
from dateline.enrich.stories.manual import merge_stories, split_story
from dateline.errors import InputError, NotFound
from dateline.pipeline import ingest_many
from dateline.store.models import Article, Source, Story
from dateline.store.moderation import hide_article, mark_source, unhide_article
from dateline.store.subscriptions import add_subscription
from http_util import BROWSER_UA
from test_cli import run

TOKEN = "t" * 40
BODIES = [
    "The harbour opens next spring after three years of delays and a long funding dispute.",
    "Farmers expect a record apple harvest this autumn thanks to a mild and rainy winter.",
    "Night buses will run on weekends from next month, answering a petition of workers.",
    "A museum reopened its natural history wing with a whale skeleton restored by volunteers.",
]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "url": f"https://news.example/{n}",
                    "title": f"Story number {n}",
                    "body": body,
                    "site_name": "News Example",
                }
            )
            for n, body in enumerate(BODIES)
        )
        + "\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def admin_site(store, corpus, tmp_path):
    from dateline.settings import load_settings
    from dateline.web.app import create_app

    settings = load_settings(
        environ={"DATELINE_DATA_DIR": str(tmp_path / "data"), "DATELINE_DATABASE_URL": store.url},
        overrides={
            "enrich_on_ingest": False,
            "admin_token": TOKEN,
            "page_cache_seconds": 0.1,
            "site_clock": "2026-11-01T00:00:00",
        },
    )
    assert ingest_many([str(corpus)], store, settings).ok
    server, thread, base = _serve_in_thread(create_app(settings, store))
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def ids(store) -> list[int]:
    with store.read() as session:
        return sorted(session.scalars(select(Article.id)))


def make_stories(store, groups: list[list[int]]) -> list[int]:
    """Stories by hand (the clusterer needs the embedding model; these actions do not)."""
    made = []
    with store.write() as session:
        for members in groups:
            story = Story(label="x", size=len(members), updated_at=datetime(2026, 1, 1))
            session.add(story)
            session.flush()
            for article_id in members:
                session.get(Article, article_id).story_id = story.id
            made.append(int(story.id))
    return made


def listed(base: str) -> list[int]:
    time.sleep(0.3)  # the site's next corpus check
    with httpx.Client(base_url=base, headers={"User-Agent": BROWSER_UA}) as c:
        return sorted(i["id"] for i in c.get("/api/v1/articles").json()["items"])


# --- the library -------------------------------------------------------------------------------


def test_a_hidden_article_leaves_every_list_and_keeps_its_copies(admin_site, store, tmp_path):
    first = ids(store)[0]
    with store.write() as session:
        hide_article(session, first, "copyright complaint", utc_now())
    assert first not in listed(admin_site)
    with httpx.Client(base_url=admin_site, headers={"User-Agent": BROWSER_UA}) as c:
        assert c.get(f"/api/v1/articles/{first}").status_code == 404
        assert c.get(f"/a/{first}").status_code == 404
        hits = c.get("/api/v1/search", params={"q": "harbour"}).json()["items"]
        assert first not in [h["article"]["id"] for h in hits]
        assert f"/a/{first}/" not in c.get("/sitemap-1.xml").text
    # a copy of its text, from another site, attaches to it and stays hidden with it
    copy = tmp_path / "copy.jsonl"
    copy.write_text(
        json.dumps({"url": "https://farm.example/x", "title": "Copied", "body": BODIES[0]}) + "\n",
        encoding="utf-8",
    )
    from dateline.settings import load_settings

    report = ingest_many([str(copy)], store, load_settings(overrides={"enrich_on_ingest": False}))
    assert report.items[0].article_id == first
    assert first not in listed(admin_site)
    with store.write() as session:
        unhide_article(session, first)
    assert first in listed(admin_site)


def test_stories_merge_and_split(store, corpus, settings):
    assert ingest_many([str(corpus)], store, settings).ok
    a1, a2, a3, a4 = ids(store)
    one, two = make_stories(store, [[a1, a2], [a3, a4]])
    with store.write() as session:
        merge_stories(session, one, two)
    with store.read() as session:
        assert session.get(Story, one).size == 4
        assert session.get(Story, two).merged_into == one
        assert set(session.scalars(select(Article.story_id))) == {one}
    with store.write() as session:
        new = int(split_story(session, one, [a3, a4]).id)
    with store.read() as session:
        assert session.get(Story, one).size == 2 and session.get(Story, new).size == 2
        assert session.get(Article, a3).story_id == new
    with store.write() as session, pytest.raises(InputError, match="not in story"):
        split_story(session, one, [a3])
    with store.write() as session, pytest.raises(InputError, match="not none or all"):
        split_story(session, one, [a1, a2])
    with store.write() as session, pytest.raises(NotFound):
        merge_stories(session, one, two)  # two is a redirect now


def test_an_operators_mark_beats_the_measures(store, corpus, settings):
    assert ingest_many([str(corpus)], store, settings).ok
    with store.read() as session:
        source_id = session.scalar(select(Source.id))
    with store.write() as session:
        assert mark_source(session, source_id, "farm").score == 0.0
        score_sources(session, utc_now())  # the measures run again: the mark holds
    with store.read() as session:
        source = session.get(Source, source_id)
        assert source.score == 0.0 and "operator" in source.score_details["operator"]
    with store.write() as session:
        mark_source(session, source_id, "wire")
        assert is_wire_own(session.get(Source, source_id), "AP")
        mark_source(session, source_id, None)
        scores = score_sources(session, utc_now())
    assert scores[source_id] > 0.0  # measured again
    with store.write() as session, pytest.raises(ValueError, match="wire or farm"):
        mark_source(session, source_id, "blog")


# --- the admin API ------------------------------------------------------------------------------


def test_the_admin_api_wants_the_token(admin_site, store):
    first = ids(store)[0]
    url = f"/api/v1/admin/articles/{first}/hide"
    with httpx.Client(base_url=admin_site) as c:
        assert c.post(url, json={}).status_code == 403
        wrong = c.post(url, json={}, headers={"Authorization": "Bearer " + "x" * 40})
        assert wrong.status_code == 403 and first in listed(admin_site)
        done = c.post(url, json={"reason": "spam"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert done.status_code == 200, done.text
    assert first not in listed(admin_site)
    with store.write() as session:
        sub = add_subscription(session, "https://news.example/feed", "feed", utc_now())
        sub_id = sub.subscription.id
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=admin_site, headers=auth) as c:
        assert c.post(f"/api/v1/admin/articles/{first}/unhide").status_code == 200
        with store.read() as session:
            source_id = session.scalar(select(Source.id))
        assert (
            c.post(f"/api/v1/admin/sources/{source_id}/kind", json={"kind": "farm"}).status_code
            == 200
        )
        paused = c.post(f"/api/v1/admin/subscriptions/{sub_id}/pause", json={"paused": True})
        assert paused.status_code == 200
        assert c.delete(f"/api/v1/admin/subscriptions/{sub_id}").status_code == 200
        assert c.delete(f"/api/v1/admin/subscriptions/{sub_id}").status_code == 404
        assert c.post("/api/v1/admin/articles/999999/hide", json={}).status_code == 404
    with store.read() as session:
        assert session.get(Source, source_id).operator_kind == "farm"
    assert first in listed(admin_site)


def test_the_admin_api_is_off_without_a_token(live_site):
    with httpx.Client(base_url=live_site.url) as c:
        off = c.post(
            "/api/v1/admin/articles/1/hide", json={}, headers={"Authorization": "Bearer x"}
        )
    assert off.status_code == 403 and "off" in off.json()["error"]["message"]


# --- the command line ---------------------------------------------------------------------------


def test_the_command_line(database_url, corpus, tmp_path):
    env = cli_env(database_url, tmp_path)
    assert run("ingest", str(corpus), env=env).returncode == 0
    hidden = run("admin", "hide", "1", "--reason", "test", env=env)
    assert hidden.returncode == 0 and "article 1 hidden" in hidden.stdout, hidden.stderr
    missing = run("admin", "hide", "999", env=env)
    assert missing.returncode == 1 and "No article 999" in missing.stderr
    marked = run("admin", "mark-source", "1", "blog", env=env)
    assert marked.returncode == 1 and "wire or farm" in marked.stderr
    assert run("admin", "mark-source", "1", "wire", env=env).returncode == 0
    assert run("admin", "unhide", "1", env=env).returncode == 0
