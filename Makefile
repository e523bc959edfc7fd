# The two entry points of the README: `make demo` and `make test`. Both set up everything a
# fresh machine lacks (a virtualenv with the project and its tools; Kafka's jars via Maven).

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml scripts/require-system-tools | sha1sum | cut -c1-12)
PYTHON ?= python3
# Test runs keep their bytecode and Hypothesis's files outside the checkout too
# (tests/conftest.py: where the rest goes).
TEST_ENV := PYTHONPYCACHEPREFIX=$(HOME)/.cache/airlock-tests/pycache \
            HYPOTHESIS_STORAGE_DIRECTORY=$(HOME)/.cache/airlock-tests/hypothesis

.PHONY: setup tools demo test unit lint install-check accelerate bench clean

$(STAMP): pyproject.toml scripts/require-system-tools
	@bash scripts/require-system-tools
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# The deployment tests' CLI that neither apt nor pip provides: helm, built from the Go module
# proxy into .tools/bin (promtool and prometheus come with scripts/require-system-tools).
tools:
	@bash scripts/install-helm

setup: $(STAMP) tools

demo: setup
	$(BIN)/airlock demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Everything that needs no broker and no JDK.
unit: setup
	$(TEST_ENV) $(BIN)/python -m pytest -m "not kafka" -q -n 2

test: lint install-check
	bash scripts/checkout-unchanged env $(TEST_ENV) $(BIN)/python -m pytest

# The wheel installs without a compiler into a clean virtualenv, and scans.
install-check: setup
	PYTHON=$(PYTHON) bash scripts/install-check

# The optional accelerator (setup.py): the per-event modules compiled in place with mypyc. Needs
# gcc and the Python headers; a compiled module older than its source refuses to import.
accelerate: setup
	AIRLOCK_MYPYC=1 $(BIN)/python setup.py --quiet build_ext --inplace
	@# The copy in place keeps the time of the build's object, which may be older than a source
	@# edited since: every module was just built from its current source, so mark them all so.
	@touch detectors/*.so streams/*.so

bench: setup
	$(BIN)/python -m bench.evaluate
	$(BIN)/python -m bench.throughput --megabytes 20
	$(BIN)/python -m bench.process
	$(BIN)/python -m bench.cache
	$(BIN)/python -m bench.pipeline

clean:
	-$(BIN)/airlock kafka down
	rm -rf $(VENV) .airlock build
	rm -f detectors/*.so streams/*.so
