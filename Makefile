# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= ../shared/data
MODEL_DIR := layers/model/triage-model
# sam build runs the layer target from a scratch copy; paths are taken from this Makefile's own folder.
REPO_ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
# Lambda runtime the layers are built for (see template.yaml: python3.12 on arm64).
LAMBDA_PYTHON   ?= 3.12
LAMBDA_PLATFORM ?= manylinux2014_aarch64

.PHONY: demo test lint typecheck cfn-lint check model layers build-DependenciesLayer clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[train,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/triage demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check functions tests
	$(BIN)/ruff format --check functions tests

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

check: lint typecheck cfn-lint test

# Rebuild the bundled model from the Bitext customer-support intents (the committed artifact serves a fresh clone).
model: $(STAMP)
	$(BIN)/triage train --data $(SHARED)/bitext_customer_support/bitext_27k_v11_instruction_intent.csv \
		--text-column text --label-column category --out $(MODEL_DIR)

# `sam build` calls this for DependenciesLayer (BuildMethod: makefile). Wheels are chosen for the Lambda
# platform, never copied from the local virtualenv.
build-DependenciesLayer:
	$(PYTHON) -m pip install --quiet --platform $(LAMBDA_PLATFORM) --implementation cp \
		--python-version $(LAMBDA_PYTHON) --only-binary=:all: --upgrade \
		--target "$(ARTIFACTS_DIR)/python" -r $(REPO_ROOT)layers/deps/requirements.txt

# The same layer built locally, to inspect its size: build/layers/deps/python
layers:
	rm -rf build/layers/deps
	$(MAKE) build-DependenciesLayer ARTIFACTS_DIR=build/layers/deps
	du -sh build/layers/deps/python $(MODEL_DIR)

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
