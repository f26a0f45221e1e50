# Single entry point for developers and CI. Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
# Use the operating system's certificate store (corporate CAs included).
export UV_SYSTEM_CERTS := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test test-fast test-browser lint format bench check-deploy audit secrets-check migrations-check messages clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The stamp makes `install` a no-op until the lock changes.
$(VENV)/.installed: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --locked --inexact --python $(BIN)/python
	@touch $@

install: $(VENV)/.installed

run: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py sync_periodic_tasks
	$(BIN)/python manage.py load_catalogue
	$(BIN)/python manage.py ensure_demo_superuser
	@echo "AI Competitor Insight Hub: http://127.0.0.1:$(PORT)/  (Ctrl-C stops everything)"
	PORT=$(PORT) $(BIN)/honcho --procfile deploy/Procfile.dev start web worker beat $(if $(TELEGRAM_BOT_TOKEN),bot)

test: install
	$(BIN)/pytest -n auto --dist loadfile $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -n auto --dist loadfile -m "not slow" $(PYTEST_ARGS)

# Only the browser tests (also part of `make test`). They drive the system's Chromium,
# installed with apt-get when missing and run as root; CHROMIUM_PATH picks another
# Chromium or Chrome. Screenshots land in artifacts/screenshots/.
test-browser: install
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

# Is this tree fit to deploy? Django's deployment checklist under production settings,
# the Dockerfile, workflows and deploy scripts linted, the production compose stack and
# the deploy script's rollback (config/tests/test_deploy_*.py), the alert rules, and a
# real gunicorn with production settings probed over HTTP (deploy/check_deploy.py).
# The environment is throwaway but valid; PostgreSQL and Redis on loopback.
check-deploy: PROD_ENV = DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(40))')" \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	ALLOWED_HOSTS=hub.example.com \
	EMAIL_URL=smtp+tls://mailer:secret@smtp.example.com:587
check-deploy: install
	$(PROD_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck
	$(BIN)/shellcheck deploy/deploy.sh deploy/backup.sh .ci/run
	@if docker compose version >/dev/null 2>&1; then \
		echo "docker compose config -q (base + production)"; \
		AIHUB_IMAGE=ghcr.io/example/aihub:check POSTGRES_PASSWORD=check $(PROD_ENV) \
			docker compose -f docker-compose.yml -f docker-compose.prod.yml config -q; \
	else \
		echo "docker compose is not installed: the merged-YAML tests below stand in for it"; \
	fi
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest -q -p no:randomly \
		$(wildcard config/tests/test_deploy_*.py config/tests/test_metrics_rules.py)
	@if command -v promtool >/dev/null 2>&1; then \
		promtool check rules deploy/prometheus/alerts.yml; \
	else \
		echo "promtool is not installed: config/tests/test_metrics_rules.py checked the alert rules"; \
	fi
	$(PROD_ENV) $(BIN)/python deploy/check_deploy.py --serve

# Known vulnerabilities in every locked dependency (dev tools included), from PyPI's
# advisory data: needs the network. --strict fails when a package cannot be looked up,
# so an unreachable index never passes as "no vulnerabilities".
audit: install
	@requirements="$$(mktemp)"; trap 'rm -f "$$requirements"' EXIT; \
	$(BIN)/uv export --locked --no-emit-project --quiet --output-file "$$requirements" && \
	$(BIN)/pip-audit --strict --disable-pip --progress-spinner off --requirement "$$requirements"

# New secrets in tracked files, against the reviewed .secrets.baseline. The hook runs
# on a copy: it rewrites a baseline whose line numbers drifted (exit 3), which is not
# a finding; exit 1 is. Regenerate after reviewing:
#   .venv/bin/detect-secrets scan --baseline .secrets.baseline $$(git ls-files)
#   .venv/bin/detect-secrets audit .secrets.baseline
secrets-check: install
	@baseline="$$(mktemp)"; trap 'rm -f "$$baseline"' EXIT; cp .secrets.baseline "$$baseline"; \
	mapfile -d '' files < <(git ls-files -z -- ':!uv.lock' ':!*.mo' ':!.secrets.baseline'); \
	$(BIN)/detect-secrets-hook --baseline "$$baseline" "$${files[@]}"; status=$$?; \
	if [ "$$status" -eq 0 ] || [ "$$status" -eq 3 ]; then echo "secrets-check: no new secrets"; \
	else echo "secrets-check: new secrets above; remove them, or review and add them to .secrets.baseline" >&2; exit 1; fi

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	$(BIN)/python manage.py makemessages -l ru --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
