# The README's two commands are `make demo` and `make test`; both create and use .venv here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint alt-pythons

demo: $(STAMP_DEMO)
	$(BIN)/eager-jupyter demo

test: $(STAMP_TEST) alt-pythons
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
