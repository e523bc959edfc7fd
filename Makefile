# The two entry points of the README: `make demo` and `make test`. Both set up everything a
# fresh machine lacks (a virtualenv with the project and its tools; Kafka's jars via Maven).

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTHON ?= python3

# The modules on the scan's and the worker's per-event path, compiled to C extensions with
# mypyc (shipped with mypy) from the same type-checked sources: the scan does about a fifth
# fewer Python-side instructions. Interpreted Python runs the same code wherever they are not
# built. A compiled module is imported before its .py, so both are rebuilt whenever a source
# changes (and tests/conftest.py refuses to run against a stale one).
COMPILED := $(addprefix detectors/,engine.py masking.py validators.py rules.py source_code.py \
              pattern_shape.py) $(addprefix streams/,pipeline.py policy.py ocsf.py metrics.py)
EXT      := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
# The engine's binding to the Hyperscan library, in C (setup.py); pip builds it on install too.
BINDING  := detectors/hyperscan_binding$(EXT)

.PHONY: setup tools build demo test lint unit integration bench clean

$(STAMP): pyproject.toml
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

$(COMPILED:.py=$(EXT)) &: $(COMPILED) $(STAMP)
	@mkdir -p build
	@echo "mypyc: compiling $(words $(COMPILED)) modules (log: build/mypyc.log)"
	@$(BIN)/python scripts/compile.py $(COMPILED) >build/mypyc.log 2>&1 || { cat build/mypyc.log; exit 1; }
	@# mypyc copies a module it did not need to rebuild with its old time: mark all current.
	@touch $(COMPILED:.py=$(EXT))

$(BINDING): detectors/hyperscan_binding.c setup.py $(STAMP)
	@mkdir -p build
	@$(BIN)/python setup.py --quiet build_ext --inplace >build/binding.log 2>&1 || { cat build/binding.log; exit 1; }
	@touch $@  # the copy keeps the build's time, truncated to the second

build: $(COMPILED:.py=$(EXT)) $(BINDING)

demo: build
	$(BIN)/airlock demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint build
	$(BIN)/python -m pytest

bench: build
	$(BIN)/python -m bench.evaluate
	$(BIN)/python -m bench.throughput --megabytes 20
	$(BIN)/python -m bench.process
	$(BIN)/python -m bench.cache
	$(BIN)/python -m bench.pipeline

clean:
	-$(BIN)/airlock kafka down
	rm -rf $(VENV) .airlock build
	rm -f detectors/*.so streams/*.so
