"""The co-reading signal (rank/collab.py) and its offline ranker (rank/offline.py): real
fits with ``implicit`` on small made-up readerships, and the no-look-ahead rule."""

from __future__ import annotations

import pickle
import random
import warnings
from datetime import datetime, timedelta

import implicit.utils
import numpy as np
import pytest
import scipy.sparse
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from dateline.rank import offline, offline_suite
from dateline.rank.collab import CoReadingModel, fit_coreading

A = list(range(100, 120))  # group A's articles
B = list(range(200, 220))  # group B's, read by nobody who reads A's
T0 = datetime(2026, 11, 2, 9, 0, 0)


def two_groups(seed: int = 0, readers: int = 60, per_reader: int = 8):
    """Each reader reads ``per_reader`` articles of their own group only."""
    rng = random.Random(seed)
    reads = []
    for r in range(readers):
        group = A if r % 2 else B
        reads += [(f"r{r}", article, 1.0) for article in rng.sample(group, per_reader)]
    return reads


@pytest.fixture(scope="module")
def model() -> CoReadingModel:
    """Two factors: the data's own structure (two groups). With many more factors than
    that on 40 articles, each reader's fold-in fits the noise of their few reads (32
    factors rank unread A articles above B's only ~60 % of the time here)."""
    fitted = fit_coreading(two_groups(), factors=2, seed=3)
    assert fitted is not None
    return fitted


def test_a_reader_of_one_group_is_offered_that_groups_unread_articles(model):
    history, unread = A[:5], A[5:]
    scores = model.scores(history, unread + B)
    assert scores[: len(unread)].min() > scores[len(unread) :].max()


def test_a_reader_the_fit_never_saw_is_folded_in_from_their_reads(model):
    assert model.knows(A[0]) and not model.knows(999)
    # a new reader of B's articles, and reads weighted toward the recent ones
    scores = model.scores(B[:3], [*A, *B[3:]], weights=[0.5, 1.0, 2.0])
    assert scores[len(A) :].min() > scores[: len(A)].max()


def test_the_fold_in_is_the_step_implicit_itself_takes(model):
    """Same closed form as implicit's recalculate_user: (YᵀCY + λI)⁻¹ YᵀCp."""
    history, weights = [A[0], A[3], B[1], A[0]], [1.0, 2.0, 1.0, 0.5]
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(
            factors=model.item_factors.shape[1],
            regularization=model.regularization,
            alpha=model.alpha,
        )
    als.item_factors = model.item_factors
    rows = np.searchsorted(model.article_ids, [A[0], A[3], B[1]])
    reader = scipy.sparse.csr_matrix(
        (np.array([1.5, 2.0, 1.0], dtype=np.float32), ([0, 0, 0], rows)),
        shape=(1, len(model.article_ids)),
    )
    expected = np.asarray(als.recalculate_user(0, reader)).ravel()
    folded = model.reader_vector(history, weights)
    assert folded is not None
    np.testing.assert_allclose(folded, expected, rtol=1e-3, atol=1e-4)


def test_what_the_model_does_not_know_scores_nan(model):
    scores = model.scores(A[:3], [A[5], 999, -1, B[0]])
    assert np.isnan(scores[1]) and np.isnan(scores[2])
    assert not np.isnan(scores[0]) and not np.isnan(scores[3])
    assert np.isnan(model.scores([999, 998], [A[0], B[0]])).all(), "no known read: no signal"
    assert np.isnan(model.scores([], [A[0]])).all()


def test_readers_of_an_article_also_read_its_group(model):
    neighbours = model.also_read(A[0], k=5)
    assert len(neighbours) == 5 and A[0] not in [a for a, _ in neighbours]
    assert all(a in A for a, _ in neighbours)
    assert [s for _, s in neighbours] == sorted((s for _, s in neighbours), reverse=True)
    assert model.also_read(999) == []
    assert len(model.also_read(A[0], k=1000)) == len(model.article_ids) - 1


def test_the_fit_is_deterministic_and_ignores_the_order_of_the_reads():
    reads = two_groups()
    first = fit_coreading(reads, factors=8, seed=5)
    shuffled = reads[:]
    random.Random(1).shuffle(shuffled)
    again = fit_coreading(shuffled, factors=8, seed=5)
    other = fit_coreading(reads, factors=8, seed=6)
    assert first is not None and again is not None and other is not None
    assert np.array_equal(first.item_factors, again.item_factors)
    assert not np.array_equal(first.item_factors, other.item_factors)
    assert first.item_factors.dtype == np.float32


def test_sparse_ids_score_as_dense_ones(model):
    """Ids spread wide are looked up by binary search, dense ones by a table: same scores."""
    spread = [(r, a * 1_000_003, w) for r, a, w in two_groups()]
    wide = fit_coreading(spread, factors=2, seed=3)
    assert wide is not None
    candidates = [*A, *B, 999]
    dense_scores = model.scores(A[:4], candidates)
    wide_scores = wide.scores([a * 1_000_003 for a in A[:4]], [c * 1_000_003 for c in candidates])
    np.testing.assert_array_equal(dense_scores, wide_scores)


def test_the_model_pickles(model):
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.scores(A[:3], A + B), model.scores(A[:3], A + B))


def test_too_little_co_reading_is_no_model():
    assert fit_coreading([]) is None
    assert fit_coreading([("r1", 1, 1.0), ("r1", 2, 1.0)]) is None, "one reader"
    disjoint = [("r1", 1, 1.0), ("r1", 2, 1.0), ("r2", 3, 1.0), ("r2", 4, 1.0)]
    assert fit_coreading(disjoint) is None, "nothing read by two readers"
    one_shared = [*disjoint, ("r2", 1, 1.0)]
    assert fit_coreading(one_shared) is None, "one article read by two readers"
    assert fit_coreading([*one_shared, ("r1", 3, 1.0)]) is not None
    assert fit_coreading([*one_shared, ("r1", 3, 0.0)]) is None, "a zero weight is no read"


def test_the_fit_warns_nothing_and_prints_nothing(monkeypatch, capfd):
    """implicit warns once per process when BLAS runs threads: make this fit the one that
    checks, with every warning an error (as the suite's filterwarnings has it)."""
    monkeypatch.setattr(implicit.utils, "_checked_blas_config", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_coreading(two_groups(), iterations=3) is not None
    out, err = capfd.readouterr()
    assert out == "" and err == "", "no progress bar"


# The offline ranker ---------------------------------------------------------------------


def imp(n: int, user: str, hours: float, history: str, shown: str) -> offline.Impression:
    items = tuple(t.rpartition("-")[0] for t in shown.split())
    labels = tuple(int(t.rpartition("-")[2]) for t in shown.split())
    at = T0 + timedelta(hours=hours)
    return offline.Impression(n, user, at, tuple(history.split()), items, labels)


class Recorder:
    """The real ranker, with each line's scores kept."""

    def __init__(self, ranker: offline.Ranker) -> None:
        self.ranker, self.name = ranker, ranker.name
        self.scores: dict[int, list[float]] = {}

    def score(self, impression):
        self.scores[impression.line] = list(self.ranker.score(impression))
        return self.scores[impression.line]

    def learn(self, impression) -> None:
        self.ranker.learn(impression)


EARLY = [
    imp(1, "u1", 0, "N1 N2", "N3-1 N5-0"),
    imp(2, "u2", 1, "N1 N2", "N3-1 N5-0"),
    imp(3, "u3", 2, "N1", "N2-0 N3-1 N4-0 N5-0"),  # the line under test
]
# co-reading of N4 and N5 with N1, only after line 3; line 4 is in line 3's very second
LATER = [
    imp(4, "u4", 2, "N1 N4", "N5-1 N2-0"),
    imp(5, "u5", 3, "N1 N4 N5", "N4-1 N3-0"),
    imp(6, "u6", 3, "N4 N5", "N1-1 N2-0"),
]
NEWS = {n: offline.News(n, "news", f"Title {n}") for n in ("N1", "N2", "N3", "N4", "N5")}


@pytest.mark.parametrize("retrain_hours", [0.0, 24.0])
def test_the_collaborative_ranker_never_uses_a_click_after_a_line(retrain_hours):
    runs = {}
    for name, log in (("early", EARLY), ("all", EARLY + LATER)):
        recorder = Recorder(offline.CollaborativeRanker(seed=0, retrain_hours=retrain_hours))
        offline.evaluate(NEWS, log, recorder)
        runs[name] = recorder.scores
    assert runs["all"][3] == runs["early"][3]
    assert runs["early"][3][1] > 0, "lines 1 and 2 were learned: N3 is co-read with N1"
    assert runs["early"][3][2:] == [0.0, 0.0], "N4, N5: never read before line 3"
    # what line 3 would have seen with the later lines learned: they do change it
    leaky = offline.CollaborativeRanker(seed=0, retrain_hours=retrain_hours)
    for impression in EARLY + LATER:
        leaky.learn(impression)
    assert list(leaky.score(EARLY[2])) != runs["early"][3]


def test_the_collaborative_ranker_refits_on_schedule_and_folds_in_between():
    ranker = offline.CollaborativeRanker(seed=0, retrain_hours=24)
    for impression in EARLY[:2]:
        ranker.learn(impression)
    first = ranker.score(imp(7, "u7", 2, "N1", "N3-1 N4-0"))
    assert first[0] > 0 and first[1] == 0.0
    for impression in LATER:  # N4 co-read with N1, learned, but the fit is 1 hour old
        ranker.learn(impression)
    assert ranker.score(imp(8, "u8", 3, "N1", "N3-1 N4-0"))[1] == 0.0, "no refit yet"
    # fold-in between fits: the reader's own newer reads count ("u1" clicked N3 at line 1)
    known_reader = ranker.score(imp(9, "u1", 4, "N1", "N3-0 N5-1"))
    stranger = ranker.score(imp(10, "u9", 4, "N1", "N3-0 N5-1"))
    assert known_reader[0] != stranger[0]
    refitted = ranker.score(imp(11, "u8", 26, "N1", "N3-1 N4-0"))
    assert refitted[1] != 0.0, "a day later the fit knows N4"


def test_make_ranker_knows_the_collaborative_ranker():
    assert "collaborative" in offline_suite.RANKERS
    assert offline_suite.make_ranker("collaborative", seed=2).name == "collaborative"
