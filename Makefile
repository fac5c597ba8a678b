# framewatch: `make demo` runs the main job end to end, `make test` runs the whole test suite.
# Both create (or reuse) the virtual environment in .venv first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.framewatch-installed

# Offline by design: models come from PyPI packages, never from a model hub; no telemetry.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: demo test lint typecheck pytest venv clean services

venv: $(STAMP)

# torch goes in first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/framewatch demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Tests use Debian's headless Chromium (the report) and redis-server (the shared crawl frontier);
# install them where we can (root + apt). Without them those tests skip and say why.
services:
	@for pkg in chromium:chromium redis-server:redis-server; do \
	  cmd=$${pkg%%:*}; deb=$${pkg##*:}; \
	  command -v $$cmd >/dev/null 2>&1 && continue; \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	    && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$deb >/dev/null 2>&1 \
	         || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$deb >/dev/null 2>&1; }; }; } \
	  || echo "$$deb could not be installed: the tests that need it will be skipped"; \
	done

pytest: $(STAMP) services
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) framewatch-demo .pytest_cache .mypy_cache .ruff_cache
