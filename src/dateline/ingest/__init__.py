"""Ingest: bytes and where they came from (files, .gz, folders, globs, URLs)."""
