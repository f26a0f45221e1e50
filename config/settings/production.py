"""Production: every required value comes from the environment, with no defaults.

A missing or invalid variable stops the process before it serves anything, with
one message that names all of them (see config/environment.py).
"""

from config.environment import require_production_environment
from config.sentry import configure_sentry

from .base import *
from .base import env, tune_database

_config = require_production_environment(env)

# ------------------------------------------------------------------ required
SECRET_KEY = _config.secret_key
ALLOWED_HOSTS = _config.allowed_hosts
DATABASES = {"default": tune_database(_config.database)}
REDIS_URL = _config.redis_url
CACHES["default"] = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": "aihub",
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
EMAIL_BACKEND = _config.email["EMAIL_BACKEND"]
EMAIL_HOST = _config.email.get("EMAIL_HOST", "")
EMAIL_PORT = _config.email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _config.email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _config.email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_config.email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_config.email.get("EMAIL_USE_SSL", False))

DEBUG = False
ENVIRONMENT_NAME = env.str("ENVIRONMENT_NAME", default="production")

# ------------------------------------------------------------------ HTTPS behind a TLS proxy
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes and metrics scrapes come over plain HTTP from inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken"

# ------------------------------------------------------------------ static files
STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}

# ------------------------------------------------------------------ logging, monitoring
LOGGING = build_logging(fmt=env.str("LOG_FORMAT", default="json"), level=LOG_LEVEL)

configure_sentry(
    dsn=SENTRY_DSN,
    environment=ENVIRONMENT_NAME,
    release=RELEASE,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
