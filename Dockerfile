# syntax=docker/dockerfile:1
# AI Competitor Insight Hub: one image for web, Celery workers, beat, the bot and migrations.
#   docker build --build-arg GIT_SHA="$(git rev-parse HEAD)" -t aihub .

# ---------------------------------------------------------------- builder
FROM python:3.11-slim-bookworm AS builder

ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /src
# Only the dependency manifests: the venv layer is rebuilt when the lock changes,
# not on every code change. The project itself is not a package (tool.uv.package = false).
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project

# ---------------------------------------------------------------- runtime
FROM python:3.11-slim-bookworm AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    READ_DOT_ENV_FILE=false

RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid app \
        --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Production settings refuse to load without their variables, so this one step
# gets throwaway values that exist only for its duration; none reaches the image.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    ALLOWED_HOSTS=build.invalid \
    EMAIL_URL=consolemail:// \
    python manage.py collectstatic --noinput \
    && python -m compileall -q -j 0 /app

# Last, so a new commit does not invalidate the layers above.
ARG GIT_SHA=""
ENV RELEASE=${GIT_SHA}
LABEL org.opencontainers.image.title="AI Competitor Insight Hub" \
      org.opencontainers.image.revision=${GIT_SHA}

USER 10001:10001
EXPOSE 8000

# Liveness of the web process; other roles (workers, beat, bot) override it in compose.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "config.wsgi:application"]
