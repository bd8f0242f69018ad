# make run: set up and start the portal with demo data on http://127.0.0.1:5000
# make test: set up and run linters and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000
# Test processes: each takes whole files (their module fixtures, servers and Redis
# databases stay in one process). TEST_PROCESSES=0 runs everything in this one.
TEST_PROCESSES ?= 2

.PHONY: run test install install-test translations db demo lint format messages bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/activate
	$(BIN)/pip install --quiet -e ".[test]"

translations: install
	$(FLASK) translate compile

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo

# The web server and the worker (notices, deadlines, digest, purge) together:
# Ctrl-C stops both, and the worker stops whenever the web server does.
run: translations demo
	@echo "Portal on http://$(HOST):$(PORT)/ with its worker  (Ctrl-C stops both)"
	@export PORTAL_PUBLIC_URL=$${PORTAL_PUBLIC_URL:-http://$(HOST):$(PORT)}; \
	$(FLASK) check || true; \
	$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	PORTAL_BIND=$(HOST):$(PORT) $(BIN)/gunicorn --config deploy/gunicorn.conf.py wsgi:app

lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-test
	$(FLASK) translate compile
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

# Extract new strings and merge them into translations/*/messages.po.
messages: install
	$(FLASK) translate update

# Timings that are measured, not asserted (benchmarks/): one report, kept in
# benchmarks/RESULTS.md. Besides the test packages it needs Debian's wrk, chromium and
# nginx-light, installed here when missing if make runs as root (as .ci/run does).
BENCH_PACKAGES := wrk chromium nginx-light
bench: install-test
	@missing=$$(for p in $(BENCH_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make bench needs: apt-get install" $$missing; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(FLASK) translate compile
	$(BIN)/python benchmarks/run.py --write

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
	find translations -name '*.mo' -delete
