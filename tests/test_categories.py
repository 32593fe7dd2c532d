"""The category classifier: taxonomy, shipped model, seeds, languages, reproducible training."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from dateline.enrich.categories import (
    CATEGORIES,
    MODEL_RESOURCE,
    TAXONOMY,
    CategoryModel,
    CategoryPrediction,
    default_embedder,
    default_model,
    model_text,
)
from dateline.enrich.train_categories import (
    HUFFPOST_DROPPED,
    HUFFPOST_TO_TAXONOMY,
    PROTOTYPES,
    CachedEmbedder,
    Recipe,
    stratified_split,
    train,
    wikinews_label,
)
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument

# Invented for these tests (not in the training prototypes): headline, lead.
HAND_WRITTEN: dict[str, list[tuple[str, str]]] = {
    "world": [
        (
            "Ceasefire collapses as shelling resumes near the frontier",
            "Artillery fire hit villages on both sides overnight, officials in the two countries said, a day after mediators announced a truce.",
        ),
        (
            "Foreign minister flies to Tokyo for talks on the disputed islands",
            "The visit is the first by a senior diplomat in five years as the neighbours try to ease tensions over fishing rights.",
        ),
        (
            "Thousands flee as rebels seize a provincial capital",
            "Aid agencies said families were crossing into the neighbouring country on foot as fighting spread.",
        ),
    ],
    "politics": [
        (
            "House Republicans unveil their plan to cut taxes before the midterms",
            "The proposal faces opposition from Democrats in the Senate, where the party lacks the votes to pass it.",
        ),
        (
            "Governor vetoes the redistricting bill passed by the legislature",
            "The veto sets up a fight with lawmakers who say the new map would give voters fairer representation.",
        ),
        (
            "Prime minister calls a snap election after losing the budget vote",
            "Voters will go to the polls in six weeks after the coalition collapsed over spending cuts.",
        ),
    ],
    "business": [
        (
            "Carmaker's profit drops as sales slump in Europe",
            "The company's shares fell 6 percent after it cut its forecast for the year, citing weak demand and higher costs.",
        ),
        (
            "Fed holds interest rates steady but signals cuts later this year",
            "Markets rallied after the central bank said inflation was cooling and the labour market remained strong.",
        ),
        (
            "Retail giant to buy grocery chain for $9 billion",
            "The deal, expected to close next year, would create the country's second-largest supermarket group.",
        ),
    ],
    "technology": [
        (
            "Smartphone maker unveils a foldable phone with a bigger battery",
            "The device runs the latest version of Android and goes on sale next month for $1,299.",
        ),
        (
            "Ransomware attack takes down a software company's cloud service",
            "Customers were unable to log in for two days while engineers restored systems from backups.",
        ),
        (
            "New chatbot app tops the download charts",
            "The app uses a large language model to answer questions and write code for its users.",
        ),
    ],
    "science": [
        (
            "Telescope spots water vapour on a planet 120 light years away",
            "Astronomers say the finding makes the exoplanet a target for the search for signs of life.",
        ),
        (
            "Fossil of a feathered dinosaur found in Mongolia",
            "Palaeontologists say the well-preserved skeleton sheds light on how birds evolved from reptiles.",
        ),
    ],
    "health": [
        (
            "Measles cases rise as vaccination rates fall",
            "Public health officials urged parents to make sure their children had received both doses of the vaccine.",
        ),
        (
            "New drug cuts the risk of heart attack in trial",
            "Patients who took the daily pill had a third fewer heart attacks than those on a placebo, doctors reported.",
        ),
    ],
    "environment": [
        (
            "Record heat wave fuels wildfires across the west",
            "Firefighters battled blazes in three states as temperatures topped 110 degrees and drought left forests dry.",
        ),
        (
            "Countries agree to phase out coal to cut carbon emissions",
            "Negotiators at the climate conference said the pledge was a step toward limiting global warming.",
        ),
    ],
    "crime": [
        (
            "Man charged with murder after a stabbing at a bus stop",
            "Police said the suspect was arrested a few blocks away and the victim died in hospital.",
        ),
        (
            "Former mayor sentenced to 10 years for bribery",
            "A federal judge said the official had taken cash from contractors in exchange for city contracts.",
        ),
    ],
    "sports": [
        (
            "Yankees beat Red Sox in extra innings",
            "A two-run homer in the 11th inning gave New York its fifth straight win.",
        ),
        (
            "Serena advances to the Wimbledon semifinal",
            "The champion won in straight sets and will face the second seed on Thursday.",
        ),
        (
            "Manchester United sack their manager after a 4-0 defeat",
            "The club said it would name an interim coach before the weekend's league match.",
        ),
    ],
    "entertainment": [
        (
            "Taylor Swift announces new album and stadium tour",
            "The singer told fans the record, her eleventh, will be released in October.",
        ),
        (
            "Marvel film breaks box office records in its opening weekend",
            "The superhero movie earned $350 million worldwide, the studio said.",
        ),
        (
            "Netflix renews its hit drama for a third season",
            "The show's stars will return next year, the streaming service announced.",
        ),
    ],
    "lifestyle": [
        (
            "15 cozy soup recipes for chilly nights",
            "From lentil stew to chicken noodle, these easy dinners are ready in under an hour.",
        ),
        (
            "The best things to do on a weekend in Paris",
            "Where to eat, what to see and the neighbourhoods worth exploring on a short trip.",
        ),
        (
            "How to get your toddler to eat vegetables",
            "Parents and nutritionists share tips for picky eaters at the dinner table.",
        ),
    ],
}

FRENCH = (
    "Le gouvernement annonce une réforme des retraites",
    "Le Premier ministre a présenté mercredi un projet de loi qui repousse l'âge légal de "
    "départ à la retraite, provoquant la colère des syndicats qui appellent à la grève.",
)
GERMAN = (
    "Bundesregierung beschließt neues Klimaschutzgesetz",
    "Das Kabinett hat am Mittwoch ein Gesetz verabschiedet, das den Ausstoß von Treibhausgasen "
    "bis zum Ende des Jahrzehnts deutlich senken soll.",
)


@pytest.fixture(scope="module")
def model() -> CategoryModel:
    return default_model()


def _seed_article(path: Path) -> ExtractedArticle:
    doc = RawDocument(data=path.read_bytes(), origin=str(path), kind=InputKind.TEXT_DUMP)
    (article,) = list(extract_document(doc))
    assert isinstance(article, ExtractedArticle)
    return article


def test_taxonomy_is_fixed_and_documented() -> None:
    assert CATEGORIES == (
        "world", "politics", "business", "technology", "science", "health",
        "environment", "crime", "sports", "entertainment", "lifestyle",
    )  # fmt: skip
    assert all(TAXONOMY[c].strip() and "\n" not in TAXONOMY[c] for c in CATEGORIES)
    assert set(PROTOTYPES) == set(CATEGORIES)
    assert set(HUFFPOST_TO_TAXONOMY.values()) <= set(CATEGORIES)
    assert not set(HUFFPOST_TO_TAXONOMY) & set(HUFFPOST_DROPPED)


def test_model_file_loads_from_package_data(model: CategoryModel) -> None:
    resource = resources.files("dateline").joinpath(MODEL_RESOURCE)
    assert resource.is_file()
    assert len(resource.read_bytes()) < 2_000_000
    assert resources.files("dateline").joinpath("data/models/README.md").is_file()
    assert model.classes == CATEGORIES
    assert model.weights.coef.shape == (len(CATEGORIES), 384)
    assert model.metadata["embedding_model"].endswith("all-MiniLM-L6-v2")


def test_probabilities_sum_to_one(model: CategoryModel) -> None:
    prediction = model.predict("Stocks slide as oil prices jump", "Wall Street fell on Monday.")
    assert isinstance(prediction, CategoryPrediction)
    assert set(prediction.scores) == set(CATEGORIES)
    assert sum(prediction.scores.values()) == pytest.approx(1.0, abs=1e-6)
    category, probability = prediction
    assert category == max(prediction.scores, key=lambda c: prediction.scores[c])
    assert probability == pytest.approx(prediction.scores[category])
    assert prediction.reason is None


@pytest.mark.parametrize("seed", ["seed_000", "seed_004"])
def test_seed_pages_are_world_or_politics(
    seed: str, request: pytest.FixtureRequest, model: CategoryModel
) -> None:
    article = _seed_article(request.getfixturevalue(seed))
    prediction = model.predict(article.title, article.body, language=article.language)
    assert prediction.category in {"world", "politics"}, prediction.scores
    # World and politics overlap (a foreign minister's talks are both): the two together
    # must carry the prediction, whichever wins.
    assert prediction.scores["world"] + prediction.scores["politics"] > 0.8


def test_hand_written_examples_mostly_right(model: CategoryModel) -> None:
    items = [(label, title, lead) for label, rows in HAND_WRITTEN.items() for title, lead in rows]
    predictions = model.predict_many([(t, lead) for _, t, lead in items])
    wrong = [
        (label, title, p.category)
        for (label, title, _), p in zip(items, predictions, strict=True)
        if p.category != label
    ]
    assert len(wrong) <= len(items) * 0.2, wrong
    # Every class is predicted right at least once.
    right = {
        label for (label, _, _), p in zip(items, predictions, strict=True) if p.category == label
    }
    assert right == set(CATEGORIES), wrong


def test_given_vectors_are_used_instead_of_embedding(model: CategoryModel) -> None:
    """enrich hands over the stored MiniLM vectors: those items are not embedded again, the
    others are, and the predictions are the same as embedding everything."""
    items = [(t, lead) for rows in HAND_WRITTEN.values() for t, lead in rows][:6]
    embedded: list[str] = []

    def counting(texts: Sequence[str]) -> np.ndarray:
        embedded.extend(texts)
        return default_embedder(texts)

    counted = CategoryModel(model.weights, counting)
    stored = default_embedder([model_text(t, lead) for t, lead in items[:4]])
    given = [*stored, None, None]
    predictions = counted.predict_many(items, vectors=given)
    assert embedded == [model_text(t, lead) for t, lead in items[4:]]
    expected = model.predict_many(items)
    for got, want in zip(predictions, expected, strict=True):
        assert got.category == want.category
        assert got.probability == pytest.approx(want.probability, abs=1e-5)
    with pytest.raises(ValueError, match="one entry per item"):
        counted.predict_many(items, vectors=given[:2])


def test_non_english_gets_none_with_reason(model: CategoryModel) -> None:
    for title, text in (FRENCH, GERMAN):
        prediction = model.predict(title, text)
        assert prediction.category is None
        assert prediction.reason is not None and "English" in prediction.reason
        assert prediction.scores == {}
    # A language given by extraction is trusted over detection.
    declined = model.predict("Stocks slide as oil prices jump", "Wall Street fell.", language="es")
    assert declined.category is None and "'es'" in (declined.reason or "")
    assert model.predict("", "").reason == "no text"


def test_wikinews_mapping() -> None:
    assert wikinews_label(["Sports", "Basketball", "United States"]) == "sports"
    assert wikinews_label(["Science and technology", "Internet", "FLOSS"]) == "technology"
    assert wikinews_label(["Space", "Science and technology", "Physics"]) == "science"
    assert wikinews_label(["Politics and conflicts", "United States"]) == "politics"
    assert wikinews_label(["Politics and conflicts", "China", "Japan"]) == "world"
    assert wikinews_label(["Environment", "Science and technology"]) == "environment"
    assert wikinews_label(["United States", "Christmas"]) is None


def test_stratified_split_is_seeded_and_stratified() -> None:
    labels = ["a"] * 50 + ["b"] * 10 + ["c"] * 5
    train_a, held_a = stratified_split(labels, seed=3)
    train_b, held_b = stratified_split(labels, seed=3)
    assert np.array_equal(held_a, held_b) and np.array_equal(train_a, train_b)
    assert sorted([labels[i] for i in held_a]).count("b") == 2
    assert set(train_a).isdisjoint(held_a) and len(train_a) + len(held_a) == len(labels)


@pytest.mark.slow
def test_training_is_reproducible_on_a_small_sample() -> None:
    data = shared_path("corpora/news-category/news_category_subset.jsonl.gz")
    embed = CachedEmbedder(default_model().embed)
    recipe = Recipe(headline_copies=0, use_wikinews=False)
    first, metrics = train(data, recipe=recipe, embed=embed, limit=500)
    second, _ = train(data, recipe=recipe, embed=embed, limit=500)
    assert np.array_equal(first.coef, second.coef)
    assert np.array_equal(first.intercept, second.intercept)
    assert metrics["rows"] == 500 and metrics["rows_held_out"] > 0
    # The embedding itself is deterministic too (MiniLM in inference mode on the CPU).
    sample = [next(iter(embed.memo))]
    texts = ["Senate passes the bill", "Team wins the cup final"]
    assert sample and np.array_equal(default_model().embed(texts), default_model().embed(texts))
