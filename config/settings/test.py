"""Tests run on real PostgreSQL and Redis (see conftest.py for the reachability check)."""

import os

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

TEST_DATABASE_URL = env.str(
    "TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = env.str("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
DATABASES = {"default": env.db_url_config(TEST_DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Two test runs at once (two checkouts, say) each need their own database name.
TEST_DATABASE_NAME = env.str("TEST_DATABASE_NAME", default="test_aihub")
DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}

# Parallel workers share one Redis database; a per-run, per-worker prefix keeps
# their rate-limit counters and cache entries apart.
_WORKER = f"{TEST_DATABASE_NAME}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
REDIS_URL = TEST_REDIS_URL
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": TEST_REDIS_URL,
        "KEY_PREFIX": f"aihub-test-{_WORKER}",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
}
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Worker processes started by the crash tests and benchmarks send to a local SMTP sink.
if env.str("TEST_EMAIL_URL", default=""):
    _TEST_EMAIL = env.email_url("TEST_EMAIL_URL")
    EMAIL_BACKEND = _TEST_EMAIL["EMAIL_BACKEND"]
    EMAIL_HOST = _TEST_EMAIL["EMAIL_HOST"]
    EMAIL_PORT = _TEST_EMAIL["EMAIL_PORT"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
LOGGING = build_logging(fmt="text", level="WARNING")

# Static files are served from the app folders, without collectstatic.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# High enough never to trip by accident; throttling tests lower them.
API_THROTTLE_RATES = {
    "anon": "100000/minute",
    "user": "100000/minute",
    "auth": "100000/minute",
    "token_create": "100000/minute",
}
