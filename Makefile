# Set-up and checks. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# The team store's tests start a throwaway cluster with Debian's PostgreSQL programs.
INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/initdb)
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test lint lint-py lint-ts pytest jest lab bench docs-images clean

$(STAMP): pyproject.toml package.json yarn.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet hatchling editables hatch-nodejs-version "hatch-jupyter-builder>=0.9" "jupyterlab>=4.6,<5"
	$(BIN)/pip install --quiet --no-build-isolation -e ".[test]"
	$(BIN)/jupyter-builder develop --overwrite .
	$(BIN)/jupyter server extension enable --sys-prefix greenhouse_ext
	touch $(STAMP)

# Browser tests drive Debian's Chromium: browsers cannot be downloaded here.
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(INITDB):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql

# The penguins example from exploration to a gated, published, reproduced version.
demo: $(STAMP)
	examples/demo.sh

test: lint pytest jest

lint: lint-py lint-ts

lint-py: $(STAMP)
	$(BIN)/ruff check greenhouse_ext tests benchmarks
	$(BIN)/ruff format --check greenhouse_ext tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

lint-ts: $(STAMP)
	$(BIN)/jlpm run lint:check

pytest: $(STAMP) $(CHROMIUM) $(INITDB)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile

jest: $(STAMP)
	$(BIN)/jlpm run test

lab: $(STAMP)
	$(BIN)/jupyter lab --allow-root --notebook-dir=examples

bench: $(STAMP)
	$(BIN)/python benchmarks/run_overhead.py
	$(BIN)/python benchmarks/diff_bench.py
	$(BIN)/python benchmarks/store_growth.py
	$(BIN)/python benchmarks/sweep_bench.py
	$(BIN)/python benchmarks/team_store.py
	$(BIN)/python benchmarks/schedule_bench.py
	$(BIN)/python benchmarks/ui_bench.py

# The runs view's screenshots in docs/images, taken again by its browser tests.
docs-images: $(STAMP) $(CHROMIUM)
	GREENHOUSE_DOCS_IMAGES=1 $(BIN)/python -m pytest -q -p no:cacheprovider -n 0 \
		tests/ui/test_runs_view.py tests/ui/test_runs_versions.py

clean:
	rm -rf $(VENV) node_modules lib greenhouse_ext/labextension .greenhouse examples/.greenhouse \
		examples/published examples/palmer_penguins/outputs ci-output
