"""The corpus revision: one counter the enrich stage bumps, web workers read.

See :class:`dateline.store.models.CorpusState`. Bumping is one ``UPDATE`` of one row
(PostgreSQL's row lock orders concurrent enrich runs; SQLite's writer lock already does).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dateline.store.models import CorpusState

ROW = 1


def corpus_revision(session: Session) -> int:
    """The current revision (0 before the first bump)."""
    return int(session.scalar(select(CorpusState.revision).where(CorpusState.id == ROW)) or 0)


def bump_corpus_revision(session: Session) -> None:
    """Tell web workers that stored articles changed in ways no new page shows."""
    done = session.execute(
        update(CorpusState).where(CorpusState.id == ROW).values(revision=CorpusState.revision + 1)
    )
    if not getattr(done, "rowcount", 0):
        session.add(CorpusState(id=ROW, revision=1))
    session.flush()


__all__ = ["bump_corpus_revision", "corpus_revision"]
