# authgate developer tasks (GNU make). `make` or `make help` lists them.
#
# Everything runs from a virtualenv in $(VENV), created by the first target that needs it.
# What is installed in it comes in sets, each with its own stamp, re-installed whenever
# pyproject.toml changes: the full toolchain (STAMP: every extra + the `dev` dependency
# group; lint, typecheck, docs, the tests), the demo (DEMO_STAMP: only the extras the demo
# imports) and the benchmark peers (BENCH_STAMP). The sets add up in one .venv, so a demo
# venv later used by `make test` gets the toolchain added, and `make demo` after `make test`
# finds its packages already there.

VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip
RUFF        := $(VENV)/bin/ruff
PYTEST      := $(PY) -m pytest
STAMP       := $(VENV)/.installed
DEMO_STAMP  := $(VENV)/.installed-demo
PYTHON      ?= python3
# authgate's extras (pyproject.toml): all of them for the tests, the ones example/ imports
# for the demo (DRF, Ninja, drf-spectacular, RFC 9421 signing, and `requests` for the
# README's signing snippet).
DEV_EXTRAS  := drf,ninja,spectacular,redis,postgres,oauth,httpsig,client
DEMO_EXTRAS := drf,ninja,spectacular,httpsig,client
PORT        ?= 8000
PYTEST_ARGS ?=

SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Passes and lint run one after another, in the order written, even under `make -j`.
.NOTPARALLEL:

.PHONY: help venv install lint format typecheck docs docs-serve test test-sqlite test-str test-postgres test-sesame stress chromium node-tools screenshots demo bench bench-server wrk dist mutate clean distclean

help: ## List the targets
	@echo "usage: make <target>   (extra pytest arguments: make test PYTEST_ARGS='-x -k name')"
	@echo
	@grep -E '^[a-z][a-z-]*( [a-z-]+)*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-22s %s\n", $$1, $$2}'

# --- the virtualenv ----------------------------------------------------------------------

$(PY):
	$(PYTHON) -m venv $(VENV)

# pip >= 25.1 installs PEP 735 dependency groups (--group); a new venv may have an older pip.
PIP_UPGRADE := $(PIP) install --upgrade 'pip>=25.1'

$(STAMP): pyproject.toml | $(PY)
	$(PIP_UPGRADE)
	$(PIP) install -e '.[$(DEV_EXTRAS)]' --group dev
	touch $@

# Only what the demo needs: no test, lint, docs or browser tooling (README: time, size).
# No dependency group either, so the venv's own pip will do: upgrading it would cost a
# download and a few seconds for nothing (STAMP upgrades it when the toolchain comes).
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PIP) install -e '.[$(DEMO_EXTRAS)]'
	touch $@

venv install: $(STAMP) ## Create .venv with authgate (editable), every extra and the dev tools

# --- checks --------------------------------------------------------------------------

lint: $(STAMP) ## ruff check + ruff format --check
	$(RUFF) check .
	$(RUFF) format --check .

format: $(STAMP) ## Reformat and apply ruff's safe fixes
	$(RUFF) format .
	$(RUFF) check --fix .

typecheck: $(STAMP) ## mypy on the package (strict on authgate/core), with django-stubs
	PYTHONPATH=.:example $(VENV)/bin/mypy

docs: $(STAMP) ## Build the documentation site (MkDocs) into site/; warnings fail
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

docs-serve: $(STAMP) ## Serve the documentation on 127.0.0.1:8001 with live reload
	$(VENV)/bin/mkdocs serve -a 127.0.0.1:8001

test: lint typecheck docs test-sqlite test-str test-postgres test-sesame stress ## Lint, mypy, docs, the three test passes, django-sesame's suite, then the load test

test-sqlite: $(STAMP) chromium node-tools ## Pass 1: SQLite, django.contrib.auth User
	@echo "==> pass 1/3: SQLite + local-memory cache, django.contrib.auth User (integer pk)"
	AUTHGATE_TEST_DB=sqlite AUTHGATE_TEST_USER=auth $(PYTEST) $(PYTEST_ARGS)

test-str: $(STAMP) chromium node-tools ## Pass 2: SQLite, custom User with a string pk
	@echo "==> pass 2/3: SQLite + local-memory cache, custom User with a string pk"
	AUTHGATE_TEST_DB=sqlite AUTHGATE_TEST_USER=str $(PYTEST) $(PYTEST_ARGS)

# tests/services.py exits 0 (services up), 3 (down, not CI: it prints one SKIP line and the
# pass is skipped) or 1 (down and CI=true: fail).
test-postgres: $(STAMP) chromium node-tools ## Pass 3: PostgreSQL + Redis, custom User with a UUID pk
	@echo "==> pass 3/3: PostgreSQL + Redis cache, custom User with a UUID pk"
	@status=0; $(PY) tests/services.py || status=$$?; \
	if [ $$status -eq 3 ]; then exit 0; fi; \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	echo "AUTHGATE_TEST_DB=postgres AUTHGATE_TEST_USER=uuid $(PYTEST) $(PYTEST_ARGS)"; \
	AUTHGATE_TEST_DB=postgres AUTHGATE_TEST_USER=uuid $(PYTEST) $(PYTEST_ARGS)

# django-sesame's own test suite against authgate, through a `sesame` package of names only
# (tests/compat/sesame_alias; the runner lists each deliberate difference it excludes, and
# docs/links.md says why). The suite is in django-sesame's repository, not in its PyPI
# sdists, so it runs from a checkout in SESAME_SRC (default .compat/django-sesame,
# git-ignored): `git clone https://github.com/aaugustin/django-sesame .compat/django-sesame`.
# Without one it prints one SKIP line.
SESAME_SRC ?= .compat/django-sesame

test-sesame: $(STAMP) ## django-sesame's test suite through the alias package (needs SESAME_SRC)
	@if [ ! -f "$(SESAME_SRC)/tests/test_utils.py" ]; then \
		echo "SKIP test-sesame: no django-sesame checkout in $(SESAME_SRC) (see the Makefile)"; exit 0; fi; \
	echo "==> django-sesame's tests against authgate ($(SESAME_SRC))"; \
	$(PY) tests/compat/run_sesame_suite.py "$(SESAME_SRC)"

# The browser tests (tests/browser/, Playwright from the dev group) drive Debian's Chromium
# at /usr/bin/chromium; nothing downloads a browser. Without root or apt this only warns: the
# tests then skip with a one-line reason, or fail under CI=true.
chromium: ## Install Debian's Chromium for the browser tests (apt-get, as root)
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "WARNING: /usr/bin/chromium is missing and apt-get is not available: install Chromium there to run the browser tests" >&2; exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "WARNING: /usr/bin/chromium is missing; as root: apt-get install chromium (the browser tests skip until then)" >&2; exit 0; fi; \
	echo "==> installing Debian's chromium for the browser tests"; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# tests/node/: panva's oidc-provider (the real OAuth server of tests/oauth) and the npm
# http-message-signatures signer, installed exactly as the committed lock file says (npm ci,
# from the npm registry; nothing else is downloaded). Re-installed when the lock file changes.
# Without node/npm this only warns: those tests then skip, or fail under CI=true.
NODE_STAMP := tests/node/node_modules/.installed

node-tools: ## Install the Node test tools of tests/node (npm ci)
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "WARNING: npm is missing: the oidc-provider and npm signer tests skip (fail with CI=true)" >&2; exit 0; fi; \
	if [ -f $(NODE_STAMP) ] && [ $(NODE_STAMP) -nt tests/node/package-lock.json ]; then exit 0; fi; \
	echo "==> npm ci in tests/node (oidc-provider, http-message-signatures)"; \
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP)

screenshots: $(STAMP) chromium ## Refresh docs/screenshots/ from the browser tests
	AUTHGATE_SCREENSHOTS_DIR=docs/screenshots AUTHGATE_TEST_DB=sqlite AUTHGATE_TEST_USER=auth \
		$(PYTEST) tests/browser -m browser $(PYTEST_ARGS)

# The demo under gunicorn (4 workers) on PostgreSQL (its own database, authgate_stress,
# created from nothing) and Redis (db 6), driven from a second process for a bounded time
# (STRESS_SECONDS, default 20; STRESS_REQUESTS, default 12000). Same policy as the
# PostgreSQL pass: services down → one SKIP line locally, a failure with CI=true.
stress: $(STAMP) ## Load test: zero 5xx, zero wrong identities, one-time exactly once, last_used current; test-artifacts/stress.json
	@echo "==> stress: the demo under gunicorn on PostgreSQL + Redis, under load and outage"
	$(PY) stress/run.py

# --- the demo ------------------------------------------------------------------------

demo: $(DEMO_STAMP) ## Migrate, seed and serve the example project on 127.0.0.1:PORT (8000)
	cd example && ../$(PY) manage.py migrate --noinput \
		&& ../$(PY) manage.py seed_demo \
		&& PORT=$(PORT) exec ../$(PY) manage.py runserver 127.0.0.1:$(PORT)

# --- benchmarks ----------------------------------------------------------------------

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(PIP) install -e '.[$(DEV_EXTRAS)]' --group dev --group bench
	touch $@

bench: $(BENCH_STAMP) wrk ## authgate vs DRF, knox, simplejwt, api-key, sesame, then bench-server; writes benchmarks/results/
	$(PY) -m benchmarks.run
	$(PY) -m benchmarks.server

# gunicorn (2 sync workers) driven by wrk, 1,000 tokens in rotation, SQLite and PostgreSQL.
bench-server: $(BENCH_STAMP) wrk ## Whole requests under gunicorn + wrk, many tokens; benchmarks/results/server.*
	$(PY) -m benchmarks.server

# The load generator of bench-server: Debian's wrk, installed like chromium (as root).
wrk: ## Install Debian's wrk for bench-server (apt-get, as root)
	@if command -v wrk >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "ERROR: wrk is missing and apt-get is not available: install wrk to run bench-server" >&2; exit 1; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "ERROR: wrk is missing; as root: apt-get install wrk" >&2; exit 1; fi; \
	echo "==> installing Debian's wrk for bench-server"; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk

# --- packaging -----------------------------------------------------------------------

# Isolated builds (setuptools from pyproject's build-system, as a release would use), then
# the checks the package index applies to the metadata and the description.
dist: $(STAMP) ## Build the sdist and the wheel into dist/; twine check --strict both
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

# --- mutation testing ----------------------------------------------------------------

# Mutation testing of authgate/core (tests/mutation/, no extra tooling): each mutant runs in
# its own process forked before anything of authgate is imported (cold caches), against its
# module's own tests, with a CPU-time timeout. CPU-heavy, so niced and not part of `make
# test`; MODULES="paths opaque" runs some modules only, MUTATE_JOBS=2 two mutants at once.
# Fails on a new survivor or a missed score target. Scores and how to triage: CONTRIBUTING.md.
MODULES     ?=
MUTATE_JOBS ?= 1

mutate: $(STAMP) ## Mutation testing of authgate/core; test-artifacts/mutation/report.md
	nice -n 10 $(PY) -m tests.mutation --jobs $(MUTATE_JOBS) $(MODULES)

# --- cleaning ------------------------------------------------------------------------

clean: ## Remove caches and build output (keeps .venv)
	rm -rf .pytest_cache .ruff_cache .mypy_cache .hypothesis build dist site *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
