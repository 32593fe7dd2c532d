"""Recording what readers see: views, list impressions and clicks, into the event buffer.

Kept apart from serving pages because its rules are about counting, not rendering: a
view is counted once per viewer, article and hour (:mod:`dateline.web.seen_views` spares
the database the duplicates), bots are never counted, and impressions and clicks are
stored for a stable sample of viewers only (``impression_sample_rate``).
"""

from __future__ import annotations

import zlib
from datetime import datetime

from dateline.web.page_parts import Shown
from dateline.web.site_core import SiteCore
from dateline.web.viewer import ReaderContext


class ViewRecording(SiteCore):
    def record_article_view(
        self,
        reader: ReaderContext,
        article_id: int,
        clicked_from: tuple[str, int, int] | None = None,
        shown: Shown = (),
        at: datetime | None = None,
    ) -> None:
        """Count a view at ``at`` (default: now; buffered; deduplicated per viewer and hour
        by the database).

        A counted view also records the lists the page showed (``shown``: list name and
        article ids in position order) as impressions, and a click on a list link
        (``clicked_from``) marks its impression clicked — both for the sampled viewers
        only (``impression_sample_rate``), so clicks and impressions stay consistent.
        """
        if reader.bot:
            return
        now = self.now() if at is None else at
        known = None if reader.new else reader.reader_id
        key = reader.viewer_key
        if self.seen_views.first(article_id, key, now) and self.view_bound.allow(
            reader.address, article_id, now.timestamp()
        ):
            self.events.record_view(article_id, key, known, now)
            if reader.reader_id:
                # the reader's next page knows this read before the view is flushed
                self.recent_reads.add(reader.reader_id, article_id, now)
            if known:
                # a new cookie has no cached parts yet: its next page builds them (every
                # cookieless request would otherwise queue a rebuild for nobody)
                self.reader_read(known)
            if shown and self.samples(key):
                for name, ids in shown:
                    if ids:
                        items = [(pos, aid) for pos, aid in enumerate(ids, 1)]
                        self.events.record_impressions(key, known, name, items, now)
        if clicked_from is not None and known and self.samples(key):
            list_name, position, _shown_on = clicked_from
            self.events.record_click(key, known, list_name, position, article_id, now)

    def samples(self, viewer_key: str) -> bool:
        """Whether this viewer's impressions and clicks are stored (a stable choice)."""
        rate = self.impression_rate
        if rate >= 1.0:
            return True
        return zlib.crc32(viewer_key.encode()) < rate * 2**32
