# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PEOPLE ?= 1000
SEED ?= 42
SIZE ?= M
ENGINE ?= duckdb
export CDP_WAREHOUSE ?= $(CURDIR)/data/warehouse/cdp.duckdb

.PHONY: setup run test lint bench dev browser java clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,spark]"
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser test; Playwright's own browser download cannot work offline.
browser:
	@command -v chromium >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: chromium missing and cannot be installed; browser tests will be skipped"; fi; }

# A Java runtime for local Spark (ENGINE=spark and its tests); pyspark brings Spark itself.
java:
	@command -v java >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null) \
	      || echo "warning: could not install a Java runtime; Spark tests will be skipped"; \
	  else echo "warning: java missing and cannot be installed; Spark tests will be skipped"; fi; }

data/landing/.generated: | setup
	@if [ -z "$$(ls -A data/landing 2>/dev/null | grep -v '^.generated$$')" ]; then \
	  $(BIN)/cdp generate --people $(PEOPLE) --seed $(SEED) --out data; fi
	touch $@

run: setup data/landing/.generated
	CDP_ENGINE=$(ENGINE) $(BIN)/cdp run

test: setup browser java
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# make bench [SIZE=S|M|L] [REPEAT=3] [STAGES=chain,identity_peers]: docs/benchmarks.md
REPEAT ?= 3
STAGES ?=
bench: setup
	$(BIN)/python -m benchmarks --size $(SIZE) --engine $(ENGINE) --repeat $(REPEAT) \
	  $(if $(STAGES),--stages $(STAGES))

dev: setup data/landing/.generated
	$(BIN)/cdp dev

clean:
	rm -rf data/landing data/truth data/warehouse data/.dlt data/activation data/dagster_home dbt_project/target
