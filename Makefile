# rta task runner. `make help` lists the targets; CI runs `make test` (see .ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
JVM_CACHE := $(CURDIR)/.cache/jvm
# The Flink version is pinned once, in jvm/pom.xml; the wheels that carry the
# Flink distribution follow it.
FLINK_VERSION := $(shell sed -n 's:.*<flink.version>\(.*\)</flink.version>.*:\1:p' jvm/pom.xml)

.PHONY: help setup chromium run test test-unit test-integration lint format docs bench bench-docs clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

setup: $(VENV)/.installed $(JVM_CACHE)/.resolved chromium ## Create .venv, install rta, resolve the pinned JVM jars, chromium for the browser tests (idempotent)

$(VENV)/.installed: pyproject.toml jvm/pom.xml
	@command -v $(PYTHON) >/dev/null || { echo "make setup: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	@# --no-deps: only the Flink distribution inside the wheels is used, not PyFlink's
	@# Python API, so its ~470 MB of beam/pandas/pyarrow dependencies are skipped.
	$(BIN)/pip install -q --no-deps apache-flink==$(FLINK_VERSION) apache-flink-libraries==$(FLINK_VERSION)
	touch $@

# package: resolves the pinned jars and builds rta's Flink functions (jvm/flink/src).
$(JVM_CACHE)/.resolved: jvm/pom.xml $(wildcard jvm/*/pom.xml) $(shell find jvm -name '*.java')
	@command -v mvn >/dev/null || { echo "make setup: Maven (mvn) not found; install it (apt-get install maven)"; exit 1; }
	mvn -q -B -f jvm/pom.xml package -Drta.cache=$(JVM_CACHE)
	touch $@

# The dashboard's browser tests drive Debian's chromium (Playwright's own browser
# download does not work here). Checked first, so a second `make setup` costs nothing.
chromium: ## Install Debian's chromium for the browser tests, only when missing
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "$$RTA_CHROMIUM" ] || { \
	  command -v apt-get >/dev/null || { echo "make setup: no chromium and no apt-get; install Chromium and set RTA_CHROMIUM=/path/to/chromium"; exit 1; }; \
	  echo "make setup: installing chromium (apt-get) for the dashboard's browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

run: setup ## Start the whole stack (Kafka, Pinot, Flink + pipeline) and stream events into it; Ctrl-C stops all
	$(BIN)/rta up

test: setup lint test-unit test-integration ## Lint, unit tests, then integration tests on the real stack

test-unit: setup ## Unit tests only (no JVM, seconds)
	$(BIN)/pytest -m "not integration" -q

test-integration: setup ## Integration tests: start the real stack once, run, stop it
	$(BIN)/pytest -m integration -q

lint: setup ## ruff check, ruff format --check and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

format: setup ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

docs: setup ## Regenerate docs/reference/ (settings, CLI) from the code; a unit test checks them
	$(BIN)/python -m rta.reference

bench: setup ## Run every benchmark in bench/ (needs `rta stack up`), then bench-docs
	@# bench/_*.py are helpers and report.py renders the docs: not benchmarks.
	for b in bench/[!_]*.py; do [ $$b = bench/report.py ] || $(BIN)/python $$b || exit 1; done
	$(MAKE) bench-docs

bench-docs: ## Render docs/performance.md's figure tables from bench/results/*.json; a unit test checks them
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) bench/report.py

clean: ## Remove the venv and resolved classpaths (not the stack's data in .rta/)
	rm -rf $(VENV) .cache
