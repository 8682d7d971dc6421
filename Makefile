# Two commands matter: `make run` (the local cloud with a demo stream) and `make test` (everything, on a fresh machine).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv system-deps lint check test test-fast run bench catalog build deploy locks clean

ENV ?= default
# sam build for the python3.13 runtime needs a python3.13 on PATH (pyenv has one on the project's machines).
PY313 := $(shell command -v pyenv >/dev/null 2>&1 && echo "$$(pyenv root)/versions/3.13.0/bin:")

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium drives the browser tests (Playwright cannot download a browser here); an arm64 `strip`
# lets `sam build` drop the symbol tables of the functions' native code (packaging/package_function.py).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v aarch64-linux-gnu-strip >/dev/null 2>&1 || command -v llvm-strip >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils-aarch64-linux-gnu >/dev/null; }

lint: venv
	$(BIN)/ruff check src functions app_profile tests bench packaging
	$(BIN)/ruff format --check src functions app_profile tests bench packaging
	$(BIN)/mypy src functions app_profile tests

# `vcn check` proves that no notification can be dropped between PutEvents and a subscriber (README, "vcn
# check"), and prices traffic.yaml. `make check` fails when it does, and `make test` runs it first and stops
# there (CHECK_REQUIRED=0 on the command line goes on after a failure, to see the tests too).
CHECK_REQUIRED ?= 1
CHECK := $(BIN)/vcn check --template template.yaml --traffic traffic.yaml

check: venv
	$(CHECK)

# One worker more than the machine has cores, each test file on one of them (files share their local cloud
# through module fixtures). Many tests wait on subprocesses, sockets and timers: on 2 cores, 2 workers kept
# the CPUs 75 % busy and took 540 s, 3 workers 92 % and 443 s (bench/README.md, "Test suite"). Files start in
# the order tests/conftest.py gives (what installs packages first, then the long ones), not xdist's.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: venv system-deps lint
	$(CHECK) || [ "$(CHECK_REQUIRED)" = 0 ]
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: venv
	$(BIN)/pytest -m "not browser and not slow"

run: venv
	$(BIN)/vcn local up --demo

bench: venv
	$(BIN)/python -m bench

# The console's web/catalog.json is generated from the domain catalog; a test fails while it is stale.
catalog: venv
	PYTHONPATH=functions $(BIN)/python -m vehicle_config.console_catalog > web/catalog.json.tmp
	mv web/catalog.json.tmp web/catalog.json

build: venv
	PATH="$(PY313)$$PATH" $(BIN)/sam build --config-env $(ENV)

# Each function's wheels, pinned with hashes for every platform (Lambda's arm64, and this machine for the
# bench), from packaging/requirements/<name>.in; resolved for Lambda's Python 3.13 on arm64.
locks: venv
	for spec in packaging/requirements/*.in; do \
	  $(BIN)/uv pip compile "$$spec" --python-version 3.13 --python-platform aarch64-manylinux_2_28 \
	    --generate-hashes --no-header --quiet -o "packaging/locks/$$(basename "$$spec" .in).txt" || exit 1; \
	done

# samconfig.toml holds every parameter of the environment; the API key extends itself (ApiKeyKeeperFunction).
deploy: build
	$(BIN)/sam deploy --config-env $(ENV)

clean:
	rm -rf $(VENV) .aws-sam .vcn .pytest_cache .mypy_cache .ruff_cache
