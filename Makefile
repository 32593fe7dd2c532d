# Two commands do all set-up on a fresh Debian machine with only Python:
#   make demo   – virtualenv, install, load the bundled demo corpus (then serve, later)
#   make test   – virtualenv, install (system packages too), lint, run every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_DATA ?= data/demo
PIP_FLAGS ?= --quiet --disable-pip-version-check

.PHONY: venv system-packages lint test test-fast demo bench clean docs

# torch is pinned in the same requirement set: pip then takes the local CPU build
# instead of the newest release with gigabytes of CUDA packages.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/pip install $(PIP_FLAGS) -e '.[ml,web,scale,dev]' 'torch==2.13.0'
	touch $(STAMP)

venv: $(STAMP)

system-packages:
	./scripts/system-packages.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/dateline

test: venv system-packages lint
	$(BIN)/pytest

demo: venv
	DATELINE_DATA_DIR=$(DEMO_DATA) $(BIN)/dateline demo --serve

# Each benchmark compares with its baseline in the same run, prints a table and writes
# bench/results/*.json. The serving one needs wrk and nginx (installed here when root).
bench: venv
	./scripts/system-packages.sh bench
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/dedup.py --quick
	$(BIN)/python bench/stories.py
	$(BIN)/python bench/story_store.py
	$(BIN)/python bench/story_articles.py
	$(BIN)/python bench/categories.py
	$(BIN)/python bench/entities.py
	$(BIN)/python bench/serving.py

docs: venv
	$(BIN)/python scripts/gen_docs.py

clean:
	rm -rf $(VENV) $(DEMO_DATA) .pytest_cache .ruff_cache
