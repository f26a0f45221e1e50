"""Gunicorn settings for the web container.

Used as `gunicorn -c deploy/gunicorn.conf.py config.wsgi:application`.

Every knob an operator may need to turn comes from the environment; the defaults
suit the 2-core container described in docker-compose.yml.
"""

import os
import tempfile


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# ------------------------------------------------------------------ socket, processes
# All interfaces: inside a container that is only its own network namespace.
bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]
# gunicorn's rule of thumb, two workers per core plus one, so a core never idles
# while another queues: with 3 workers on 2 cores, keep-alive connections stuck to
# one busy worker pushed the web benchmark's p95 from about 75 to 240 ms. Cores
# are the ones this process may run on (a container's cpuset), capped so a large
# host does not start dozens of workers.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
workers = _int("WEB_CONCURRENCY", min(2 * _CORES + 1, 9))
# Threads let a worker keep serving while one request waits on the database or a
# slow client; connections are per thread, so workers * threads must stay under
# PostgreSQL's max_connections along with the Celery processes.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 2)
backlog = 2048

# ------------------------------------------------------------------ timeouts
# A request still running after `timeout` seconds gets its worker killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM, in-flight requests get this long to finish; keep it below the
# orchestrator's stop grace period (compose: stop_grace_period).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# ------------------------------------------------------------------ worker recycling
# Recycle workers now and then so a slow leak cannot grow without bound. Evenly
# loaded workers reach max_requests together: the jitter has to be a good part of
# it to keep them from all restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# The application is imported once, in the arbiter, and every worker is forked from
# it: a recycled worker is back in milliseconds instead of spending seconds of
# CPU importing Django while the others carry its load (under load, all three
# restarting at once stalled every request for seconds). Nothing opens a
# connection or starts a thread at import time; Sentry's transport thread starts
# again in each worker. A code change needs a full restart, not a HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").strip().lower() != "false"

# ------------------------------------------------------------------ proxies
# Addresses whose X-Forwarded-Proto/-For gunicorn believes. Set it to the TLS
# proxy's address (or CIDR) in production; "*" only where nothing but the
# proxy can reach the container. Django's own proxy handling is separate
# (SECURE_PROXY_SSL_HEADER, TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# ------------------------------------------------------------------ logging
accesslog = "-"  # stdout
errorlog = "-"  # stderr
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info").lower()
# %(M)s is the request duration in milliseconds; the request id is the one the
# application echoes in its response, so access lines join the app's own logs.
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
)

# ------------------------------------------------------------------ container specifics
# The worker heartbeat file lives in memory: on an overlay filesystem its fchmod
# calls can stall a worker long enough to get it killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# `gunicornc` talks to the arbiter over this socket. The default under $HOME may
# be read-only in a container; the temporary directory is always writable.
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET", os.path.join(tempfile.gettempdir(), "gunicorn.ctl")
)
