# Developer and CI entry points. `make run` and `make test` are the two commands of the README.
# uv manages the Python environment (.venv) from uv.lock; it is installed with pip when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv on PATH, else pip's user install (~/.local/bin), else the uv Python module (`python3 -m uv`,
# which is also what the `uv` target installs when none of these exists yet).
UV ?= $(shell command -v uv 2>/dev/null \
	|| { test -x "$$HOME/.local/bin/uv" && echo "$$HOME/.local/bin/uv"; } \
	|| echo "$(PYTHON) -m uv")
# --frozen: use uv.lock exactly as committed, never re-lock.
UV_RUN = $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help run test test-python test-client lint fmt schema schema-check migrate worker uv sync client order-status bench bench-deep bench-all

help: ## List the targets
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\n", $$1, $$2}'

uv: ## Make sure uv is available (installs it with pip if not)
	@$(UV) --version >/dev/null 2>&1 || { \
		echo "uv not found: installing it with pip (python: $(PYTHON))"; \
		$(PYTHON) -m pip install --user --quiet uv 2>/dev/null \
		|| $(PYTHON) -m pip install --user --quiet --break-system-packages uv \
		|| pip install --quiet uv; \
	}
	@$(UV) --version >/dev/null 2>&1 || { \
		echo "could not run uv as '$(UV)'; install it (https://docs.astral.sh/uv/) and retry," \
			"or pass its path: make UV=/path/to/uv ..." >&2; \
		exit 1; \
	}

sync: uv
	$(UV) sync --frozen

client: ## Build the web client (npm ci / npm run build only when the lock / sources changed)
	@scripts/client-build.sh

run: sync ## Build the web client if needed, migrate, seed, serve it at http://127.0.0.1:8000/
	@scripts/client-build.sh --keep-going
	$(UV_RUN) python -m app.serve

test: sync ## Run every suite: Python (PYTEST_ARGS="-k refund -x"), client unit tests, browser suite
	@rc=0; \
	$(UV_RUN) pytest -q -p no:cacheprovider $(PYTEST_ARGS) || { echo "pytest failed" >&2; rc=1; }; \
	$(MAKE) --no-print-directory test-client || { echo "client suites failed" >&2; rc=1; }; \
	exit $$rc

test-python: sync ## Only the Python suites
	$(UV_RUN) pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The client's suites need Node.js 20+ (a missing Node is a failure here, unlike `make run`) and
# Debian's Chromium for Playwright (its own browser download cannot work offline).
test-client: sync ## Only the web client's suites: Vitest unit tests, then the Playwright browser suite
	@command -v npm >/dev/null || { echo "make test-client: Node.js 20+ and npm are required" >&2; exit 1; }
	scripts/client-build.sh
	scripts/ensure-chromium.sh
	cd client && npx vitest run
	cd client && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test

lint: sync ## ruff format check, ruff lint, mypy (strict) on domain/ adapters/ app/, import rules
	$(UV_RUN) ruff format --check .
	$(UV_RUN) ruff check .
	$(UV_RUN) mypy domain adapters app
	$(UV_RUN) lint-imports

fmt: sync ## Format the code and apply ruff's safe fixes
	$(UV_RUN) ruff format .
	$(UV_RUN) ruff check --fix .

schema: sync ## Write schema.graphql from the code
	$(UV_RUN) python -m app.schema_export

schema-check: sync ## Check schema.graphql against every released schema (docs/schema/released-*.graphql)
	$(UV_RUN) python -m app.schema_compat

migrate: sync ## Apply database migrations (DATABASE_URL, default: the SQLite file in data/)
	$(UV_RUN) alembic upgrade head

worker: sync ## Run the refund and webhook workers and the case scheduler (production; embedded mode runs them in-process)
	$(UV_RUN) python -m app.worker

order-status: sync ## Move a demo order, e.g. make order-status ORDER=ord-alice-3 STATUS=DELIVERED
	@if [ -z "$(ORDER)" ] || [ -z "$(STATUS)" ]; then \
		echo "usage: make order-status ORDER=ord-alice-3 STATUS=SHIPPED|DELIVERED|CANCELLED" >&2; \
		exit 2; \
	fi
	$(UV_RUN) python -m adapters.order_system.operator_cli "$(ORDER)" "$(STATUS)" \
		$(if $(ORDER_SYSTEM_SIM_URL),--url "$(ORDER_SYSTEM_SIM_URL)")

bench: sync ## The benchmark harness: the pages and postMessage against floors and peers (PostgreSQL + Redis, a few minutes; rewrites docs/bench-list-cases.md)
	$(UV_RUN) python -m bench.harness $(BENCH_ARGS)

bench-deep: sync ## A keyset page at depth 1,000,000 generated rows vs page 1, with the plans (PostgreSQL; rewrites docs/bench-deep-pages.md)
	$(UV_RUN) python -m bench.deep_pages $(BENCH_ARGS)

bench-all: sync ## Every script of bench/ (harness, deep pages, fan-out, refund throughput, faults)
	@rc=0; for script in bench/*.py; do \
		name=$$(basename $$script .py); \
		case "$$name" in _*) continue;; esac; \
		echo "== bench/$$name.py"; \
		$(UV_RUN) python -m "bench.$$name" $(BENCH_ARGS) || rc=$$?; \
	done; exit $$rc
