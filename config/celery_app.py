"""The Celery application. Configuration lives in settings under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("aihub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Imported for its signal handlers, which carry the request id into tasks.
from config import request_id as _request_id  # noqa: E402,F401

# Imported for its signal handlers: task, worker and beat metrics.
from config.metrics import signals as _metrics_signals  # noqa: E402,F401
