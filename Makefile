# Descent Lab: `make run` serves the app, `make test` runs every test (browser tests included),
# `make test-fast` the engine and API tests in about a minute. Each sets up .venv from the lock
# (requirements-test.txt); `make lock` refreshes the lock from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The lock tool (only `make lock` runs it) and the platform the locks are for: CI's, the
# developers' and the Docker image's (python:3.11-slim).
UV_VERSION := 0.13.9
LOCK_FOR := --python-version 3.11 --python-platform x86_64-manylinux_2_28
# `make lock` moves every pin to the newest version pyproject.toml allows;
# `make lock UPGRADE=` keeps the pins that still fit (after adding or narrowing a dependency).
UPGRADE ?= --upgrade
# The tiers (tests/conftest.py marks each test by its folder). Engine, API and fuzz tests run
# in process or against one local server per xdist worker: on every core. The live streams
# and the browser time their pacing and hold server-wide limits: one at a time, after.
SERIAL := browser or stream
FAST := not ($(SERIAL) or fuzz)

.PHONY: run test test-fast lint lock bench chromium redis-server vendor-plotly

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Hash-checked: pip refuses a file whose hash is not in the lock, and a dependency that is not
# pinned in it. The app itself goes in editable, with the lock's setuptools.
$(VENV)/.installed: requirements-test.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

run: $(VENV)/.installed
	$(BIN)/python -m uvicorn app.main:app --host 127.0.0.1 --port 8000

# Browser tests drive Debian's Chromium; install it when missing and we can (root + apt).
chromium:
	@if [ -n "$$DESCENT_LAB_CHROMIUM" ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Chromium is missing: run 'sudo apt-get install chromium' or set DESCENT_LAB_CHROMIUM." >&2; \
	  exit 1; \
	fi

# The store tests and the two-worker class run against a real Redis (tests/conftest.py starts
# one per test process): Debian's redis-server, installed the same way when missing.
redis-server:
	@if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's redis-server for the store tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	else \
	  echo "redis-server is missing: run 'sudo apt-get install redis-server'." >&2; \
	  exit 1; \
	fi

lint: $(VENV)/.installed
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

# The serial tiers run even when the parallel ones failed: one run shows every failure.
test: lint chromium redis-server
	$(BIN)/python -m pytest -m "not ($(SERIAL))" -n auto --durations=25; parallel=$$?; \
	$(BIN)/python -m pytest -m "$(SERIAL)" --durations=25 && exit $$parallel

test-fast: $(VENV)/.installed redis-server
	$(BIN)/python -m pytest -m "$(FAST)" -n auto --durations=10

# The build backend is locked too: the editable install above builds without fetching it.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'], sep='\n')" \
	  | $(BIN)/uv pip compile --quiet pyproject.toml - --extra test $(UPGRADE) --generate-hashes $(LOCK_FOR) \
	      --custom-compile-command 'make lock' -o requirements-test.txt
	$(BIN)/uv pip compile --quiet pyproject.toml -c requirements-test.txt --generate-hashes $(LOCK_FOR) \
	  --custom-compile-command 'make lock' -o requirements.txt

bench: $(VENV)/.installed chromium
	$(BIN)/python bench/api_and_engine.py
	$(BIN)/python bench/render_2d.py
	$(BIN)/python bench/lecture_hall.py
	$(BIN)/python bench/live_class.py
	$(BIN)/python bench/same_map.py
	$(BIN)/python bench/maps.py
	$(BIN)/python bench/map_sizing.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/outcome.py
	$(BIN)/python bench/transfer.py
	$(BIN)/python bench/network_streams.py
	$(BIN)/python bench/network_lesson_pace.py
	$(BIN)/python bench/network_step.py
	$(BIN)/python bench/network_landscape.py

# The partial plotly.js in static/vendor/plotly/ (committed: serving and testing need no node).
# Rebuild it after changing tools/plotly (its entries, or the plotly.js pinned in package.json,
# which should match the plotly.js of the python plotly package: tests/api/test_site.py checks).
vendor-plotly:
	cd tools/plotly && npm ci --no-audit --no-fund && node build.mjs
