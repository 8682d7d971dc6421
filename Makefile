# Two commands matter: `make run` (the local cloud with a demo stream) and `make test` (everything, on a fresh machine).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv system-deps lint test test-fast run bench deploy clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium drives the browser tests (Playwright cannot download a browser here).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: venv
	$(BIN)/ruff check src functions tests bench
	$(BIN)/ruff format --check src functions tests bench
	$(BIN)/mypy src functions

test: venv system-deps lint
	$(BIN)/pytest

test-fast: venv
	$(BIN)/pytest -m "not browser and not slow"

run: venv
	$(BIN)/vcn local up --demo

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .aws-sam .vcn .pytest_cache .mypy_cache .ruff_cache
