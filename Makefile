# Descent Lab: `make run` serves the app, `make test` runs every test (browser tests included).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench chromium vendor-plotly

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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

test: $(VENV)/.installed chromium
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy app/engine
	$(BIN)/python -m pytest

bench: $(VENV)/.installed chromium
	$(BIN)/python bench/api_and_engine.py
	$(BIN)/python bench/render_2d.py
	$(BIN)/python bench/lecture_hall.py
	$(BIN)/python bench/maps.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/transfer.py

# The partial plotly.js in static/vendor/plotly/ (committed: serving and testing need no node).
# Rebuild it after changing tools/plotly (its entries, or the plotly.js pinned in package.json,
# which should match the plotly.js of the python plotly package: tests/api/test_site.py checks).
vendor-plotly:
	cd tools/plotly && npm ci --no-audit --no-fund && node build.mjs
