"""Story clustering, online: each article joins the running story it fits best, or opens one.

**The core** (:class:`OnlineStoryClusterer`, in memory, no database) sees items one at a
time and decides at once; past decisions are never revisited. An item's score against a
story is

    score = MEAN_LINK_WEIGHT · mean cosine to the story's members   (average link)
          + (1 − MEAN_LINK_WEIGHT) · cosine to its nearest member    (single link)
          + word evidence / NATS_PER_POINT
          − time penalty + entity boost

and it joins the best-scoring story when the score reaches the join threshold. The mean link
(computed exactly from the stored mean vector) keeps a story on topic; the nearest-member
link lets a thread grow along its newest turn (a story is a thread, not a ball). Both are
cosines of L2-normalised MiniLM vectors (:mod:`dateline.enrich.embed`).

**Two thresholds**, by what was embedded: ``JOIN_THRESHOLD`` for an item embedded from its
headline alone (calibrated on the headline benchmark, ``bench/stories.py``) and
``ARTICLE_JOIN_THRESHOLD`` for an article embedded from its headline and lead (calibrated
on hand-labelled whole articles over two years, ``bench/story_articles.py``). The second is
higher, for two measured reasons: headlines with their leads score higher against each
other than headlines alone do (over all pairs of the demo corpus's articles, nearly all
unrelated, the 99th percentile of the cosine is 0.44 against 0.39), and an archive that
runs for months holds many look-alike events (two fires, two hurricanes, two obituaries a
week apart) that the headline benchmark's two-day sample does not, so a join must be
surer.

**Words** — embeddings know topics, stories are carried by names: the word evidence
(:mod:`dateline.enrich.story_words`) is the log-likelihood ratio of the headline's words
under the story's word counts against an unseen story, a Dirichlet multinomial mixture as
in short-text stream clustering (MStream). It keeps two celebrity stories apart and pulls
a headline that shares the story's rare names in. On the benchmark's dev half it took the
streaming BCubed F1 from 0.838 to 0.877 (mean of 8 arrival orders).

**Time** — stories are running threads that may last months, so there is no hard window:
the penalty grows smoothly with the gap between the article's date and the nearest date
already in the story, ``DECAY_MAX · (1 − 2^(−gap / HALF_LIFE_DAYS))``. A week costs ~0.04
(close follow-ups join), three months ~0.29 (only clearly matching articles continue the
thread), two years the full ``DECAY_MAX`` (only near-restatements would). Items without a
date (the benchmark) pay nothing.

**Merges** — a single pass cannot undo an early split: when a story's first headlines
happen to fall either side of the threshold it opens twice, and both fragments then grow.
After each join, if the story (of at least ``MERGE_MIN_SIZE`` members) has a mean vector
within ``MERGE_THRESHOLD`` cosine (less the time penalty between the two stories' date
ranges) of another such story, the smaller is merged into the larger: later articles find
one story. The core never relabels the items already decided (the benchmark's rule); the
database moves the merged story's articles and keeps its id as a redirect
(``stories.merged_into``), so links and feed subscriptions to it still work.

**Splits** — the opposite mistake: a story takes in the first headline of another event
because it scored just over the threshold ("Taylor Swift tops the music rich list, beating
Justin Timberlake" joining a Bieber–Gomez story on "Justin" and celebrity), and from then on
that event's later headlines find it there by their nearest member and shared words, so
the two grow as one (a chain). After each join that merged nothing, the story's window is
divided in two (spherical 2-means, seeded by its mean and the member farthest from it); if
the smaller part has ``SPLIT_MIN_SIZE`` members, its mean is below ``SPLIT_MAX_COSINE`` to
the rest's, and its members score on average below the join threshold less
``SPLIT_MARGIN`` against the rest (by the same score, with the rest's words, entities and
dates: they would not have joined it on their own), the part leaves as a story of its own
and later articles of that event find it. The core leaves the items already decided where
they were; the database moves the part's articles to the new story (a re-clustering of the
past, as merges are). The bar used is the clusterer's own (the headline one, the lower, for
the store): a split needs stronger evidence than a join.

**Entities** — optional. An :data:`EntityProvider` maps article ids to entity keys (e.g.
``"PERSON:sergey lavrov"``); the boost is ``ENTITY_WEIGHT`` × the share of the article's
entities that are among the story's key entities. :func:`store_entities` reads the
``article_entities`` table (filled by the entities stage) and returns nothing while it is
empty, so clustering works with or without entities; pass ``entities=no_entities`` to turn
the signal off, or any callable of the same shape to plug in another extractor.

**Persistence** — :class:`StoryClusterer` runs the same core against the database:
``assign(session, article_id)`` (idempotent: an article that has a story keeps it) and
``rebuild(session, since)`` (forget the range's assignments, replay it in date order;
story addresses survive it: a rebuilt story takes the id of the old story it shares most
articles with, and an old id whose story is gone redirects to the story that took most of
its articles, see :mod:`.addresses`).
One clusterer is kept for a whole enrich run and holds the stories in memory: every live
story's mean, size and dates, and the newest ``MEMBER_WINDOW`` members of the stories it
scored most lately (up to ``HELD_MEMBERS`` members). Every write of a story row raises
its ``revision`` above all others, under one lock (:func:`lock_stories`), so per article
the clusterer reads only the rows changed since it last looked (by itself or by another
process); a count of live stories catches rows deleted since. An article therefore costs
a scan of the means in memory and the members of candidate stories not held yet, and
writing the story it joins reads none of that story's members. A held clusterer decides
exactly as a new one would (tested); entity links changed by another process while it
runs are seen when the story next changes. Stories keep a label (the title of the member
closest to the story mean, among its newest ``MEMBER_WINDOW``), key entities (of those
members), first/last seen (article dates), the mean vector and the size;
:func:`story_timeline` lists members by date.

**Modules** — one job each; the core is pure (numpy and the word model), the rest is the
store side:

- :mod:`.scoring`: the calibrated constants and the score arithmetic (pure);
- :mod:`.state`: a member, a story's running state, a decision (pure);
- :mod:`.table`: the core's storage of story rows (pure);
- :mod:`.core`: :class:`OnlineStoryClusterer`, the streaming clusterer (pure);
- :mod:`.stream`: :func:`cluster_stream`, the benchmark's entry point (pure);
- :mod:`.entities`: the optional entity signal (store);
- :mod:`.rows`: story rows, the lock, revisions, dates and member reads (store);
- :mod:`.labels`: labels, key entities and timelines (store);
- :mod:`.addresses`: which story keeps which id across a rebuild (store);
- :mod:`.clusterer`: :class:`StoryClusterer`, the core held across an enrich run (store).

This package re-exports the names used elsewhere in the project; the rest live in their
modules.
"""

from dateline.enrich.stories.clusterer import StoryClusterer
from dateline.enrich.stories.core import OnlineStoryClusterer
from dateline.enrich.stories.entities import no_entities
from dateline.enrich.stories.labels import refresh_story, story_timeline
from dateline.enrich.stories.scoring import (
    ARTICLE_JOIN_THRESHOLD,
    DECAY_MAX,
    JOIN_THRESHOLD,
    KEY_ENTITIES,
    MEMBER_WINDOW,
    merge_partner,
    range_gap_days,
    time_penalty,
    top_entities,
)
from dateline.enrich.stories.stream import cluster_stream

__all__ = [
    "ARTICLE_JOIN_THRESHOLD",
    "DECAY_MAX",
    "JOIN_THRESHOLD",
    "KEY_ENTITIES",
    "MEMBER_WINDOW",
    "OnlineStoryClusterer",
    "StoryClusterer",
    "cluster_stream",
    "merge_partner",
    "no_entities",
    "range_gap_days",
    "refresh_story",
    "story_timeline",
    "time_penalty",
    "top_entities",
]
