# The two entry points of the README: `make demo` and `make test`. Both set up everything a
# fresh machine lacks (a virtualenv with the project and its tools; Kafka's jars via Maven).

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTHON ?= python3

.PHONY: setup demo test lint unit integration bench clean

$(STAMP): pyproject.toml
	@bash scripts/require-system-tools
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/airlock demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench.evaluate
	$(BIN)/python -m bench.throughput --megabytes 20
	$(BIN)/python -m bench.process
	$(BIN)/python -m bench.pipeline

clean:
	-$(BIN)/airlock kafka down
	rm -rf $(VENV) .airlock
