"""Settings shared by every deployment.

All environment reads of the project happen in this package, through the one
``env`` object defined here. Code elsewhere reads ``django.conf.settings``.
"""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
import environ
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

# Lets generic Django classes (forms, managers) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# A developer's .env is honoured; containers get their environment from compose.
if env.bool("READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

# ------------------------------------------------------------------ core
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
ENVIRONMENT_NAME = env.str("ENVIRONMENT_NAME", default="local")
RELEASE = env.str("RELEASE", default="")  # the git SHA, set by the image

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "csp",
    "django_ratelimit",
]
LOCAL_APPS = [
    "config.apps.PlatformConfig",
    "accounts",
    "competitors",
    "news",
    "digests",
    "telegram_bot",
    "webhooks",
    "feeds",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# Health probes come before host validation and the HTTPS redirect: they must
# answer whatever the Host header or scheme.
MIDDLEWARE = [
    "config.request_id.RequestIdMiddleware",
    "config.health.HealthProbeMiddleware",
    "config.metrics.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

# ------------------------------------------------------------------ database
# Without DATABASE_URL the project runs on an embedded SQLite file in WAL mode.
_SQLITE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_SQLITE_URL)}


def tune_database(database: dict[str, object]) -> dict[str, object]:
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        database.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
        database["CONN_HEALTH_CHECKS"] = True
        options = database.setdefault("OPTIONS", {})
        # Page queries are short; JIT compilation added 25-50 ms to each of them.
        if isinstance(options, dict):
            options.setdefault("options", "-c jit=off")
    return database


DATABASES["default"] = tune_database(DATABASES["default"])

# ------------------------------------------------------------------ redis, cache, broker
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "aihub",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # kombu's filesystem transport needs no server: messages are files under var/.
    _BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }

# ------------------------------------------------------------------ celery
# Contract: soft limit < hard limit < broker visibility timeout, so a task that
# overruns is killed before the broker redelivers it to another worker.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_VISIBILITY_TIMEOUT
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_QUEUE_NAMES = ["default", "scrape", "extract", "analysis", "digests", "notifications"]
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in CELERY_QUEUE_NAMES
]

CELERY_TASK_ROUTES = {
    "accounts.email_send": {"queue": "notifications"},
    "news.source_fetch": {"queue": "scrape"},
    "news.item_extract_full_text": {"queue": "extract"},
    "news.items_analyse": {"queue": "analysis"},
    "news.analyse_pending": {"queue": "analysis"},
    "digests.*": {"queue": "digests"},
    "digests.notifications_for_items": {"queue": "notifications"},
    "digests.check_trends": {"queue": "notifications"},
    "digests.push_notifications": {"queue": "notifications"},
    "digests.purge_notifications": {"queue": "notifications"},
}

# Declared here, synced to django_celery_beat by `manage.py sync_periodic_tasks`
# (also run after every migrate). Operators pause or retime entries in admin;
# the sync never overrides those choices. Each entry: task, every N seconds, queue.
PERIODIC_TASKS: dict[str, dict[str, object]] = {
    "platform: beat heartbeat": {
        "task": "config.tasks.beat_heartbeat",
        "every_seconds": 60,
        "queue": "default",
    },
    "news: dispatch due sources": {
        "task": "news.dispatch_due_sources",
        "every_seconds": 60,
        "queue": "default",
    },
    "news: analyse pending items": {
        "task": "news.analyse_pending",
        "every_seconds": 300,
        "queue": "analysis",
    },
    # One entry for every user's digest: it finds who is due (next_digest_at).
    "digests: dispatch due digests": {
        "task": "digests.dispatch_due",
        "every_seconds": 300,
        "queue": "digests",
    },
    "digests: channel digest": {
        "task": "digests.channel_digest",
        "every_seconds": 300,
        "queue": "digests",
    },
    "notifications: category trends and busy companies": {
        "task": "digests.check_trends",
        "every_seconds": 900,
        "queue": "notifications",
    },
    "notifications: send to Telegram": {
        "task": "digests.push_notifications",
        "every_seconds": 300,
        "queue": "notifications",
    },
    "notifications: purge old read ones": {
        "task": "digests.purge_notifications",
        "every_seconds": 86400,
        "queue": "notifications",
    },
}

# ------------------------------------------------------------------ templates, static
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "debug": DEBUG,
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# ------------------------------------------------------------------ i18n
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_NAME = "aihub_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# ------------------------------------------------------------------ auth
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
EMAIL_VERIFICATION_TIMEOUT = 60 * 60 * 24 * 3

# ------------------------------------------------------------------ email
_EMAIL = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL.get("EMAIL_HOST", "")
EMAIL_PORT = _EMAIL.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_EMAIL.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_EMAIL.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="AI Competitor Insight Hub <hub@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ------------------------------------------------------------------ rate limits
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "config.ratelimit.rate_limited"
# How many reverse proxies append to X-Forwarded-For in front of the app. 0 means
# clients connect directly and REMOTE_ADDR is the client; the header is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "config.ratelimit.client_ip"
LOGIN_RATE = env.str("LOGIN_RATE", default="5/m")
SIGNUP_RATE = env.str("SIGNUP_RATE", default="10/h")
PASSWORD_RESET_RATE = env.str("PASSWORD_RESET_RATE", default="5/h")
# Per user; the web wizard and the API share each count.
COMPETITOR_SCAN_RATE = env.str("COMPETITOR_SCAN_RATE", default="10/h")
TELEGRAM_LINK_RATE = env.str("TELEGRAM_LINK_RATE", default="10/h")
# Per client address, counted before the secret is checked; Telegram retries a 429.
TELEGRAM_WEBHOOK_RATE = env.str("TELEGRAM_WEBHOOK_RATE", default="600/m")

# ------------------------------------------------------------------ security headers
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# One strict policy for every response: no inline code, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# ------------------------------------------------------------------ REST framework
REST_FRAMEWORK = {
    # Bearer first: a request without credentials gets 401 with its challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PagePagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttles.AnonRateThrottle",
        "config.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "config.api.errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per period ("N/second|minute|hour|day"), counted in the shared cache.
API_THROTTLE_RATES = {
    "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
    "user": env.str("API_THROTTLE_USER", default="600/minute"),
    # Sign-up and password-for-token exchanges, per client address.
    "auth": env.str("API_THROTTLE_AUTH", default="10/minute"),
    "token_create": env.str("API_THROTTLE_TOKEN_CREATE", default="20/hour"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI Competitor Insight Hub API",
    "DESCRIPTION": (
        "News, companies, digests and alerts of AI Competitor Insight Hub. "
        "Authenticate with `Authorization: Bearer <token>` (create tokens in Settings)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the category choices, whichever serializer meets them first.
    "ENUM_NAME_OVERRIDES": {"CategoryEnum": "news.categories.Category"},
    # Swagger UI from the drf-spectacular-sidecar package, served as static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# ------------------------------------------------------------------ fetching
# The safe fetcher (news/fetching/) is the only way the project reaches the network.
FETCH_USER_AGENT = env.str(
    "FETCH_USER_AGENT", default=f"AICompetitorInsightHub/1.0 (+{SITE_URL}; news reader)"
)
# Hosts (or host:port) that may resolve to private addresses; empty by default.
FETCH_ALLOW_PRIVATE_HOSTS: list[str] = env.list("FETCH_ALLOW_PRIVATE_HOSTS", default=[])
FETCH_MAX_BYTES = env.int("FETCH_MAX_BYTES", default=10 * 1024 * 1024)
FETCH_CONNECT_TIMEOUT = env.float("FETCH_CONNECT_TIMEOUT", default=5.0)
FETCH_READ_TIMEOUT = env.float("FETCH_READ_TIMEOUT", default=15.0)
FETCH_TOTAL_TIMEOUT = env.float("FETCH_TOTAL_TIMEOUT", default=30.0)
FETCH_MAX_REDIRECTS = env.int("FETCH_MAX_REDIRECTS", default=5)
FETCH_PER_HOST_CONCURRENCY = env.int("FETCH_PER_HOST_CONCURRENCY", default=2)

# ------------------------------------------------------------------ sentry
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.1)

# ------------------------------------------------------------------ digests
# A worker sending a digest holds it this long; a worker killed mid-send gives it
# up when the lease runs out.
DIGEST_DELIVERY_LEASE_SECONDS = env.int("DIGEST_DELIVERY_LEASE_SECONDS", default=300)
# Empty digests are always on the web; by default they are not emailed or sent.
DIGEST_SEND_EMPTY = env.bool("DIGEST_SEND_EMPTY", default=False)

# ------------------------------------------------------------------ telegram
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
# Another Bot API server (self-hosted, or a local fake in tests).
TELEGRAM_API_BASE = env.str("TELEGRAM_API_BASE", default="https://api.telegram.org")
# Shared secret Telegram sends with webhook updates (set_webhook registers it);
# empty turns the webhook off.
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
# Every Telegram limit window is this much longer than Telegram's own (0.08 = 8 %),
# so queueing on the way cannot push a burst over the real limit.
TELEGRAM_RATE_MARGIN = env.float("TELEGRAM_RATE_MARGIN", default=0.08)
# Where runbot records its heartbeat for `manage.py bot_health`.
TELEGRAM_HEARTBEAT_FILE = Path(
    env.str("TELEGRAM_HEARTBEAT_FILE", default=str(VAR_DIR / "bot-heartbeat"))
)
# A public channel (@name or numeric id) that gets the daily top 20; empty = none.
TELEGRAM_CHANNEL_ID = env.str("TELEGRAM_CHANNEL_ID", default="")
TELEGRAM_CHANNEL_DIGEST_TIME = env.str("TELEGRAM_CHANNEL_DIGEST_TIME", default="09:00")
TELEGRAM_CHANNEL_TIMEZONE = env.str("TELEGRAM_CHANNEL_TIMEZONE", default="UTC")

# ------------------------------------------------------------------ logging
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")


def build_logging(*, fmt: str, level: str) -> dict[str, object]:
    formatters = {
        "text": {
            "format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {
            "()": "config.log_format.JsonFormatter",
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "config.request_id.RequestIdLogFilter"},
            "redact_secrets": {"()": "config.log_format.SecretRedactionFilter"},
        },
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id", "redact_secrets"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # At DEBUG it dumps whole template contexts: CSRF and shown-once tokens.
            "django.template": {"level": "INFO"},
            "celery": {"level": level},
            # trafilatura reports every discarded page fragment at WARNING.
            "trafilatura": {"level": "ERROR"},
        },
    }


LOGGING = build_logging(fmt=LOG_FORMAT, level=LOG_LEVEL)

# ---- webhooks
# Outbound webhooks (webhooks/). Targets pass the fetcher's network policy,
# FETCH_ALLOW_PRIVATE_HOSTS included; plain http is for local development only.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)  # seconds, the whole request
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
# An endpoint is disabled after this many deliveries in a row were given up.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=5)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
PERIODIC_TASKS["webhooks: send due deliveries"] = {
    "task": "webhooks.deliver_due",
    "every_seconds": 60,
    "queue": "default",
}
PERIODIC_TASKS["webhooks: purge old deliveries"] = {
    "task": "webhooks.purge_deliveries",
    "every_seconds": 86400,
    "queue": "default",
}

# ---- metrics
# GET /metrics (config/metrics/). Readable with "Authorization: Bearer <METRICS_TOKEN>"
# (empty turns token access off), or from loopback and private networks when
# METRICS_ALLOW_PRIVATE_NETWORKS; everyone else gets a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOW_PRIVATE_NETWORKS = env.bool("METRICS_ALLOW_PRIVATE_NETWORKS", default=True)
# One scrape's page is reused this long, so many scrapers cost one set of queries.
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=10)
