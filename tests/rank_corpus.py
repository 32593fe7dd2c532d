"""A small real corpus for the rank tests: saved through the store, enriched for real.

Four topics from five sites, plus one story carried by four independent sites and one
site scored as a content farm. Nothing is mocked: vectors come from the bundled MiniLM,
stories from the streaming clusterer, entities from spaCy, categories from our model.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dateline.enrich import dedup
from dateline.enrich.run import enrich_articles
from dateline.extract.model import ClaimedDate, ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.settings import load_settings
from dateline.store.db import Store
from dateline.store.models import Article, Page, Source
from dateline.store.repository import save_article

CLOCK = datetime(2026, 3, 10, 12, 0)

STORY = [
    (
        "wire",
        "North Korea's top diplomat Choe Son Hui meets Sergei Lavrov in Moscow",
        "Choe Son Hui held talks with Russian Foreign Minister Sergei Lavrov in Moscow on "
        "Monday, as Pyongyang and the Kremlin deepen ties. Kim Jong Un sent greetings.",
    ),
    (
        "daily",
        "Lavrov hosts North Korean foreign minister Choe Son Hui for Moscow talks",
        "Russia's Sergei Lavrov welcomed Choe Son Hui to Moscow, where the two discussed "
        "a visit by Kim Jong Un and cooperation between Russia and North Korea.",
    ),
    (
        "herald",
        "Kim Jong Un's envoy Choe Son Hui in Moscow for talks with Lavrov",
        "The North Korean foreign minister arrived in Moscow for talks with Sergei Lavrov; "
        "officials said Kim Jong Un may travel to Russia later this year.",
    ),
    (
        "tribune",
        "Moscow talks: Lavrov and North Korea's Choe pledge closer Russia ties",
        "Sergei Lavrov and Choe Son Hui pledged closer relations between Russia and North "
        "Korea after talks in Moscow, state media in Pyongyang reported.",
    ),
]

TOPICS = {
    "football": [
        "Arsenal beat Chelsea 2-1 in a tense Premier League derby at the Emirates",
        "Liverpool striker scores twice as Liverpool thrash Everton in the Merseyside derby",
        "Manchester United sack their manager after a fifth Premier League defeat",
        "Tottenham sign a Brazilian winger for a club record transfer fee",
        "Premier League title race tightens as Manchester City draw at Newcastle",
        "Champions League: Real Madrid knock out Bayern Munich on penalties",
    ],
    "space": [
        "NASA's Artemis rocket completes a fuelling test ahead of the Moon launch",
        "Astronomers using the James Webb telescope find water vapour on a distant exoplanet",
        "SpaceX launches sixty Starlink satellites from Cape Canaveral",
        "European Space Agency probe sends first close images of Jupiter's moon Europa",
        "Mars rover Perseverance collects a new rock sample from an ancient river delta",
        "Astronauts on the International Space Station begin a six-hour spacewalk",
    ],
    "markets": [
        "Stocks fall on Wall Street as inflation data lifts bond yields",
        "Oil prices jump after OPEC agrees to cut production again",
        "Central bank raises interest rates by a quarter point to fight inflation",
        "Dollar strengthens against the euro as investors await jobs data",
        "Shares in chip maker surge after record quarterly earnings",
        "Gold price hits a record high as investors seek safety",
    ],
}
# Each topic's articles come from these sites in turn (so one site carries several).
TOPIC_SITES = ["daily", "daily", "daily", "herald", "tribune", "courier"]


def _save(store: Store, site: str, title: str, body: str, at: datetime, n: int) -> None:
    item = ExtractedArticle(
        title=title,
        paragraphs=[body, f"More on this report (item {n}) will follow."],
        url=f"https://{site}.example/news/{n}",
        site_name=site.title(),
        claimed_date=ClaimedDate(at),
        language="en",
    )
    raw = RawDocument(
        data=f"{title}\n{body}".encode(),
        origin=f"https://{site}.example/news/{n}",
        kind=InputKind.TEXT_DUMP,
        url=f"https://{site}.example/news/{n}",
    )
    with store.write() as session:
        save_article(session, item, raw, signature_of=dedup.signature_of)


def build_corpus(store: Store) -> dict[str, int]:
    """Save and enrich the corpus; returns title → article id."""
    n = 0
    start = CLOCK - timedelta(hours=36)  # inside Ranking's coverage window (48 h)
    for i, (site, title, body) in enumerate(STORY):
        n += 1
        _save(store, site, title, body, start + timedelta(hours=6 * i), n)
    for topic, titles in TOPICS.items():
        for i, title in enumerate(titles):
            n += 1
            body = f"{title}. Reporters covering {topic} followed the news closely."
            at = start + timedelta(hours=3 * i + 1)
            _save(store, TOPIC_SITES[i], title, body, at, n)
    settings = load_settings(environ={"DATELINE_SITE_CLOCK": CLOCK.isoformat()})
    enrich_articles(store, settings)
    with store.read() as session:
        rows = session.query(Article.id, Article.title).all()
    return {title: int(aid) for aid, title in rows}


def source_of(store: Store, article_id: int) -> str:
    with store.read() as session:
        row = (
            session.query(Source.name)
            .join(Page, Page.source_id == Source.id)
            .join(Article, Article.lead_page_id == Page.id)
            .filter(Article.id == article_id)
            .one()
        )
    return str(row[0])
