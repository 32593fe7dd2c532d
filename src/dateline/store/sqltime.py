"""Time arithmetic in SQL that the two engines spell differently.

Aggregating by the hour in the database (rather than fetching every event's timestamp)
is what keeps a refresh over a week of events cheap: the rows a query returns are then
per article and hour, not per event, and no timestamp is parsed in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_hours(FunctionElement[int]):  # noqa: N801 (a SQL function's spelling)
    """Whole hours since 1970-01-01 of a naive UTC timestamp column (``readers.hour_bucket``
    of the same time)."""

    type = Integer()
    name = "epoch_hours"
    inherit_cache = True


@compiles(epoch_hours)
def _epoch_hours_sqlite(element: epoch_hours, compiler: Any, **kw: Any) -> str:
    # strftime('%s') reads the stored "YYYY-MM-DD HH:MM:SS[.ffffff]" text as UTC.
    arg = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%s', {arg}) AS INTEGER) / 3600)"


@compiles(epoch_hours, "postgresql")
def _epoch_hours_postgresql(element: epoch_hours, compiler: Any, **kw: Any) -> str:
    # EXTRACT(EPOCH) of a timestamp without time zone counts from 1970-01-01 00:00 as is.
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {arg}) / 3600) AS INTEGER)"
