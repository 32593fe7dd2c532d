"""Baseline (b) of bench/serving.py: FastAPI + Jinja2 rendering the site's article page
from contexts prebuilt in memory (no database, no list computed per request).

``uvicorn serving_baseline:app_from_environment --factory --workers 2`` (run by
serving.py). At start-up each worker builds the full typed context of ``BENCH_CONTEXTS``
articles once (from ``DATELINE_DATA_DIR``); each request picks one by the URL's id and
renders the site's own templates: article.html, the Ranking list through the
``ranked_list`` macro, reaction.html and recommendation.html — the whole page with Jinja.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

CONTEXTS = int(os.environ.get("BENCH_CONTEXTS", "200"))


def app_from_environment() -> FastAPI:
    from dateline.settings import load_settings
    from dateline.store.db import Store
    from dateline.store.queries import slugify
    from dateline.web.site import (
        RANKING_MARKER,
        REACTION_MARKER,
        RECOMMENDATION_MARKER,
        VIEWS_MARKER,
        Site,
        credit_for,
    )

    settings = load_settings()
    store = Store(settings.resolved_database_url)
    site = Site(settings, store)
    reader = os.environ.get("BENCH_READER") or None
    prebuilt = []
    with store.read() as session:
        for aid in [int(x) for x in os.environ["BENCH_IDS"].split(",")][:CONTEXTS]:
            page = site.article_page(session, aid, reader)
            if page is None:
                continue
            prebuilt.append(
                {
                    "page": page,
                    "lang": page.article.language,
                    "category_slug": slugify(page.article.category),
                    "credit": credit_for(page.article),
                    "json_ld": site.json_ld(page.article),
                    "current_category": page.article.category,
                    "nav": site.nav(),
                }
            )
    store.dispose()
    env = site.templates
    article = env.get_template("article.html")
    reaction = env.get_template("reaction.html")
    reco = env.get_template("recommendation.html")
    ranked_list = env.get_template("_macros.html").module.ranked_list  # type: ignore[attr-defined]
    app = FastAPI()

    @app.get("/a/{article_id}/{slug}")
    async def page(article_id: int, slug: str) -> HTMLResponse:
        ctx = prebuilt[article_id % len(prebuilt)]
        p = ctx["page"]
        a = p.article
        html = (
            article.render(**ctx)
            .replace(VIEWS_MARKER, f"{a.views:,} view{'s' if a.views != 1 else ''}", 1)
            .replace(
                REACTION_MARKER,
                reaction.render(
                    article_id=a.id, csrf="x" * 32, reacted=p.reacted, count=a.reactions
                ),
                1,
            )
            .replace(RANKING_MARKER, str(ranked_list(p.ranking, a.id)), 1)
            .replace(RECOMMENDATION_MARKER, reco.render(lst=p.recommendation, article_id=a.id), 1)
        )
        return HTMLResponse(html)

    return app
