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

.PHONY: install run test test-fast test-browser lint format bench check-deploy migrations-check messages clean

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

# Runs Django's deployment checklist against a throwaway but valid production environment.
check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(40))')" \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	ALLOWED_HOSTS=hub.example.com \
	EMAIL_URL=smtp+tls://mailer:secret@smtp.example.com:587 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	$(BIN)/python manage.py makemessages -l ru --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
