"""The demo: the bundled Wikinews corpus, its simulated readers, and synthetic farm copies.

:mod:`dateline.demo.corpus` loads the corpus and summarises what ``dateline demo`` shows;
:mod:`dateline.demo.farm` writes and ingests the clearly labelled synthetic content-farm
copies of some of its articles.
"""

from __future__ import annotations

from dateline.demo.corpus import (
    WIKINEWS_ATTRIBUTION,
    DemoSummary,
    demo_corpus_path,
    load_demo,
    simulate_demo_readers,
    summarise,
)
from dateline.demo.farm import (
    SYNTHETIC_FARMS,
    SYNTHETIC_KIND,
    generate_farm_pages,
    is_synthetic_source,
    load_farm_copies,
    synthetic_sources,
)

__all__ = [
    "SYNTHETIC_FARMS",
    "SYNTHETIC_KIND",
    "WIKINEWS_ATTRIBUTION",
    "DemoSummary",
    "demo_corpus_path",
    "generate_farm_pages",
    "is_synthetic_source",
    "load_demo",
    "load_farm_copies",
    "simulate_demo_readers",
    "summarise",
    "synthetic_sources",
]
