"""Store: SQLAlchemy models, engines and migrations for SQLite and PostgreSQL."""
