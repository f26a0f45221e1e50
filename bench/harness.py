"""Shared set-up for benchmarks: Django on a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


@contextmanager
def benchmark_database() -> Iterator[None]:
    """A fresh database for the run, dropped afterwards (same servers as the tests).

    Its name is the run's own (BENCH_DATABASE_NAME, else one with the process id):
    Django drops a test database that already exists, so two benchmarks sharing a
    name on one machine would destroy each other's data set.
    """
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    name = os.environ.get("BENCH_DATABASE_NAME") or f"bench_aihub_{os.getpid()}"
    connections["default"].settings_dict["TEST"]["NAME"] = name
    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


def env_number(name: str, default: float) -> float:
    """A size or duration from the environment, else the benchmark's own.

    Only for a quick check that a benchmark works: recorded figures use the defaults.
    """
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value
