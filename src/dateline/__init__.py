"""Dateline: a self-hostable news aggregator and recommender.

The pipeline reads top to bottom: ``ingest`` (bytes and where they came from) →
``extract`` (clean article fields) → ``store`` (SQLite or PostgreSQL).  Later stages
(``enrich``, ``rank``, ``web``) build on the same domain objects.
"""

import logging

__version__ = "0.1.0"

# A library never configures logging; only the CLI installs handlers.
logging.getLogger(__name__).addHandler(logging.NullHandler())
