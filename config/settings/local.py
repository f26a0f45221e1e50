"""A laptop with nothing installed: SQLite, a file-based broker, readable logs."""

from config.sentry import configure_sentry

from .base import *
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY", default="local-development-only-key-not-for-production-use-0123456789"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
TEMPLATES[0]["OPTIONS"]["debug"] = DEBUG  # type: ignore[index]

VAR_DIR.mkdir(exist_ok=True)
for _folder in ("queue", "control"):
    (VAR_DIR / "broker" / _folder).mkdir(parents=True, exist_ok=True)

# The local-memory cache is per process, which is fine for one developer's
# runserver but not a shared limit; production uses Redis.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

configure_sentry(
    dsn=SENTRY_DSN,
    environment=ENVIRONMENT_NAME,
    release=RELEASE,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)

# Static files are served from the app folders, without collectstatic.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
