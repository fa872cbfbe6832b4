# Two entry points, each creating the local .venv it needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The plugin tests call the `mypy` executable: it must be the venv's.
export PATH := $(BIN):$(PATH)

.PHONY: demo test lint typecheck bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Editable installs in setuptools' compat mode: a plain path entry that mypy can follow
# (the default mode's import hook is invisible to mypy run from another folder).
EDITABLE := --config-settings editable_mode=compat -e

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(EDITABLE) '.[mypy]'
	touch $@

# The oldest supported mypy, beside the venv: the plugin's tests run under it too.
MYPY_OLDEST := $(shell sed -n 's/^OLDEST_MYPY = "\(.*\)"/\1/p' shapely_nn/mypy_plugin/__init__.py)

$(VENV)/.installed-test: pyproject.toml shapely_nn/mypy_plugin/__init__.py | $(BIN)/python
	$(BIN)/python -m pip install -q $(EDITABLE) '.[test]'
	rm -rf $(VENV)/mypy-$(MYPY_OLDEST)
	$(BIN)/python -m pip install -q --no-deps --target $(VENV)/mypy-$(MYPY_OLDEST) mypy==$(MYPY_OLDEST)
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/python -m shapely_nn demo

# --dist loadfile: the blocks of a docs page share one namespace, so a page stays on one worker.
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n 2 --dist loadfile
	$(MAKE) --no-print-directory typecheck lint

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy shapely_nn shapely_nn_dims

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check shapely_nn shapely_nn_dims

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(EDITABLE) '.[docs]'
	touch $@

docs: $(VENV)/.installed-docs
	$(BIN)/mkdocs build --strict --site-dir site

bench: $(VENV)/.installed-test
	for b in checks recurrent attention transformer seq2seq mypy; do $(BIN)/python -m benchmarks.bench_$$b; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
