"""The crawler: subscriptions polled politely, alone on SQLite or together on PostgreSQL.

It sits above the pipeline stages, like :mod:`dateline.pipeline`: it fetches (ingest's
fetcher and SSRF guard), hands documents to the pipeline, and runs enrich in batches.
"""
