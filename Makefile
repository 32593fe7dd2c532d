# Two commands do all set-up on a fresh Debian machine with only Python:
#   make demo   – virtualenv, install, load the bundled demo corpus (then serve, later)
#   make test   – virtualenv, install (system packages too), lint, run every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_DATA ?= data/demo
PIP_FLAGS ?= --quiet --disable-pip-version-check

.PHONY: venv lock system-packages lint test test-fast demo bench clean docs

TORCH  := torch==2.13.0
LOCK   := requirements.lock
EXTRAS := ml web scale dev

# The install is the lock: every package at an exact version with its hashes, so a fresh
# machine next month gets the stack the tests passed on. torch is the one exception: the
# lock leaves it out and it is installed first, alone, from the pinned local CPU build
# (pip's hash mode would refuse that wheel, and a resolver left free picks a CUDA build of
# several GB). Its own dependencies are in the lock. The project itself goes in last,
# editable and without dependencies (hash mode refuses an editable install).
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/pip install $(PIP_FLAGS) --no-deps '$(TORCH)'
	$(BIN)/pip install $(PIP_FLAGS) --require-hashes -r $(LOCK)
	$(BIN)/pip install $(PIP_FLAGS) --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

# Refresh the lock after changing a dependency in pyproject.toml (then `make test`).
lock: venv
	$(BIN)/pip install $(PIP_FLAGS) 'pip-tools>=7.4'
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --unsafe-package torch $(addprefix --extra ,$(EXTRAS)) \
		--output-file $(LOCK) pyproject.toml

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
# bench/results/*.json; bench/all.py runs every one with --gate (non-zero on a missed
# floor or target or an invalid run), goes on past a failure and exits 1 if any failed.
# The serving one needs wrk and nginx (installed here when root).
bench: venv
	./scripts/system-packages.sh bench
	$(BIN)/python bench/all.py

docs: venv
	$(BIN)/python scripts/gen_docs.py

clean:
	rm -rf $(VENV) $(DEMO_DATA) .pytest_cache .ruff_cache
