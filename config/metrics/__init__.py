"""Prometheus metrics for /metrics.

Values are computed at scrape time from the database and from counters kept in
Redis, never from process memory, so every gunicorn and Celery process agrees
and a restart loses nothing.
"""
