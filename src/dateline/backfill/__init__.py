"""Backfills on Dask: extraction, MinHash and embeddings on the workers, every decision
made by one writer in input order, so the result matches a one-process ingest."""
