# logitlab's entry points. Each target builds .venv first (Python 3 and make are all a
# fresh machine needs) and installs through constraints.txt, the tested versions.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS ?= dev,torch,onnx

.PHONY: demo test lint bench install clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/logitlab demo

test: $(STAMP)
	$(BIN)/python -m pytest

# ruff (lint and format) over everything; mypy --strict over the typed core
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict src/logitlab/spec.py src/logitlab/functional.py src/logitlab/numpy_engine

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache
