"""A reader's first view, counted before the cookie existed, appears in their history.

Over real HTTP against the real app, on both engines. Every test uses a User-Agent of its
own, so its cookieless views have a client hash no other test shares (all tests come
from 127.0.0.1).
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from dateline.store.models import Article, ArticleStats, Event, Reader
from http_util import BROWSER_UA


def browser(live_site, agent: str) -> httpx.Client:
    return httpx.Client(
        base_url=live_site.url,
        timeout=30,
        follow_redirects=True,
        headers={"User-Agent": agent},
    )


def fresh_agent() -> str:
    return f"{BROWSER_UA} test/{uuid.uuid4().hex}"


def articles(live_site, n: int) -> list[tuple[int, str]]:
    with live_site.store.read() as s:
        rows = s.execute(select(Article.id, Article.title).order_by(Article.id).limit(n)).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def flushed(live_site) -> None:
    live_site.app.state.site.events.flush()


def views(live_site, article_id: int) -> int:
    flushed(live_site)
    with live_site.store.read() as s:
        stats = s.get(ArticleStats, article_id)
        return stats.views if stats else 0


def readers(live_site) -> int:
    flushed(live_site)
    with live_site.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(Reader)) or 0)


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def history_ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200
    return [item["article_id"] for item in response.json()["history"]]


def test_the_first_view_before_the_cookie_is_in_the_readers_history(live_site):
    (first_id, first_title), (second_id, _) = articles(live_site, 2)
    start = views(live_site, first_id)
    with browser(live_site, fresh_agent()) as reader:
        r = reader.get(f"/a/{first_id}")  # no cookie yet
        assert r.status_code == 200
        me = reader.get("/me", params={"format": "json"})
        assert history_ids(me) == [first_id], "the view made before the cookie is the reader's"
        issued = set_cookies(r)
        assert any(c.startswith("dl_reader=") for c in issued)
        assert any(c.startswith("dl_first=") and "httponly" in c.lower() for c in issued)
        assert any(c.startswith("dl_first=;") or 'dl_first=""' in c for c in set_cookies(me))
        assert "dl_first" not in reader.cookies
        assert first_title in reader.get("/me").text
        reader.get(f"/a/{second_id}")
        flushed(live_site)
        assert history_ids(reader.get("/me", params={"format": "json"})) == [
            second_id,
            first_id,
        ]
        reader.get(f"/a/{first_id}")  # again, same hour, now with the cookie
    # Adoption changes whose view it is, not what was counted: once without the cookie,
    # once with it, as before.
    assert views(live_site, first_id) == start + 2
    with live_site.store.read() as s:
        keys = s.scalars(
            select(Event.viewer_key).where(
                Event.article_id == first_id,
                Event.kind == "view",
                Event.reader_id == reader.cookies["dl_reader"],
            )
        ).all()
    assert sorted(k[:2] for k in keys) == ["c:", "r:"]


def test_the_first_view_is_adopted_even_before_it_is_written(live_site):
    (article_id, _), *_ = articles(live_site, 1)
    events = live_site.app.state.site.events
    events.close()  # stop the background flusher: the view stays queued in the worker
    try:
        with browser(live_site, fresh_agent()) as reader:
            reader.get(f"/a/{article_id}")
            assert events.pending > 0
            assert history_ids(reader.get("/me", params={"format": "json"})) == [article_id]
    finally:
        events.start()


def test_a_first_view_goes_only_to_the_reader_it_was_offered_to(live_site):
    """Two people behind one address with one browser version share the client hash."""
    (theirs, _), (mine, _) = articles(live_site, 3)[1:]
    agent = fresh_agent()
    with browser(live_site, agent) as colleague, browser(live_site, agent) as reader:
        colleague.get(f"/a/{theirs}")  # never comes back
        reader.get(f"/a/{mine}")
        assert history_ids(reader.get("/me", params={"format": "json"})) == [mine]
        # The colleague's token, with this reader's cookie, names nothing of theirs.
        stolen = colleague.cookies["dl_first"]
        reader.cookies.set("dl_first", stolen)
        r = reader.get("/about")
        assert any(c.startswith("dl_first=") for c in set_cookies(r)), "cleared"
        assert history_ids(reader.get("/me", params={"format": "json"})) == [mine]


def test_clients_that_never_return_the_cookie_leave_no_reader_rows(live_site):
    (article_id, _), *_ = articles(live_site, 1)
    before = readers(live_site)
    agent = fresh_agent()
    for _ in range(5):
        with browser(live_site, agent) as once:  # a new client each time: no cookie back
            assert once.get(f"/a/{article_id}").status_code == 200
    with browser(live_site, "Googlebot/2.1 (+http://www.google.com/bot.html)") as bot:
        r = bot.get(f"/a/{article_id}")
        assert not any(c.startswith(("dl_reader=", "dl_first=")) for c in set_cookies(r))
    assert readers(live_site) == before
