import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()
# Import every view now (aiogram among them, seconds of CPU) rather than on each
# worker's first request: with gunicorn's preload_app, forked workers inherit it.
_urlconf = get_resolver().url_patterns
