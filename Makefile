# The README's two commands are `make demo` and `make test`; both create and use .venv here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint alt-pythons browser-deps

demo: $(STAMP_DEMO)
	$(BIN)/eager-jupyter demo

test: $(STAMP_TEST) alt-pythons browser-deps
	$(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check eager_jupyter tests
	$(BIN)/mypy

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_DEMO): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e ".[demo]"
	touch $@

$(STAMP_TEST): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e ".[demo,test]"
	touch $@ $(STAMP_DEMO)

# The pure-Python stages are also tested on CPython 3.12 and 3.13 (their grammar differs), in small
# venvs inside .venv, when pyenv has those interpreters; tests/test_other_pythons.py runs them.
alt-pythons: $(STAMP_TEST)
	@for v in 3.12 3.13; do \
	  py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python3 2>/dev/null | tail -1); \
	  if [ -n "$$py" ] && [ ! -x $(VENV)/py$$v/bin/python ]; then \
	    $$py -m venv $(VENV)/py$$v && $(VENV)/py$$v/bin/python -m pip install -q parso pytest pytest-timeout \
	      || echo "could not set up Python $$v; its tests will be skipped"; \
	  fi; \
	done

# What the browser test (tests/test_widget_browser.py) needs: Debian's chromium, playwright-core
# (npm ci, no browser download), and the labextension built from these sources and linked into .venv
# (`jupyter labextension develop`, so a rebuild shows without reinstalling). Each step runs only when
# something is missing or out of date.
LABEXT_BUILT   := eager_jupyter/labextension/package.json
LABEXT_SOURCES := $(wildcard labextension/src/*.ts labextension/style/*) labextension/package.json \
                  labextension/tsconfig.json eager_jupyter/_version.py
LABEXT_LINK    := $(VENV)/share/jupyter/labextensions/eager-jupyter

browser-deps: $(STAMP_TEST) /usr/bin/chromium tests/browser/node_modules/.package-lock.json $(LABEXT_BUILT)
	@test -L $(LABEXT_LINK) || PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter labextension develop --overwrite .

/usr/bin/chromium:
	apt-get update -q
	apt-get install -y -q chromium

tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

labextension/node_modules/.package-lock.json: labextension/package-lock.json
	cd labextension && npm ci --no-audit --no-fund

$(LABEXT_BUILT): $(LABEXT_SOURCES) labextension/node_modules/.package-lock.json
	cd labextension && npm run build
	touch $@
