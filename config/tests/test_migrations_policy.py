"""The migrations policy: every migration can be undone, and the whole history runs
forward, all the way back, and forward again on an empty database.

A migration that truly cannot be undone says so with a class attribute
``irreversible_reason = "<why>"`` (docs/operations.md, "Migrations policy").
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from psycopg import sql

BASE_DIR = Path(settings.BASE_DIR)


def _project_migrations() -> list[tuple[str, str, migrations.Migration]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for (app_label, name), migration in loader.disk_migrations.items():
        module_file = Path(sys.modules[migration.__module__].__file__ or "")
        # Third-party apps' histories are theirs to keep; ours are checked.
        if BASE_DIR in module_file.parents and ".venv" not in module_file.parts:
            found.append((app_label, name, migration))
    return sorted(found, key=lambda item: (item[0], item[1]))


def _flatten(operations: list[Operation]) -> Iterator[Operation]:
    for operation in operations:
        yield operation
        # SeparateDatabaseAndState hides operations one level down.
        yield from _flatten(getattr(operation, "database_operations", []))


def test_the_project_has_migrations_to_check():
    labels = {label for label, _, _ in _project_migrations()}
    assert {"accounts", "competitors", "news", "digests", "telegram_bot"} <= labels


def test_every_data_migration_can_be_reversed_or_says_why_not():
    problems = []
    for label, name, migration in _project_migrations():
        if getattr(migration, "irreversible_reason", ""):
            continue
        for operation in _flatten(list(migration.operations)):
            if isinstance(operation, migrations.RunPython) and operation.reverse_code is None:
                problems.append(
                    f"{label}.{name}: RunPython({operation.code.__name__}) has no reverse_code"
                )
            if isinstance(operation, migrations.RunSQL) and operation.reverse_sql is None:
                problems.append(f"{label}.{name}: RunSQL has no reverse_sql")
            if not operation.reversible:
                problems.append(f"{label}.{name}: {type(operation).__name__} is irreversible")
    assert problems == []


# ---------------------------------------------------------------- forward, back, forward

# Run inside the child process: unapply every app, last-migrated first, so each
# `migrate <app> zero` finds its dependants already gone.
_MIGRATE_ALL_TO_ZERO = """
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

loader = MigrationLoader(connection)
plan = []
for leaf in loader.graph.leaf_nodes():
    for node in loader.graph.forwards_plan(leaf):
        if node[0] not in plan:
            plan.append(node[0])
for label in reversed(plan):
    call_command("migrate", label, "zero", verbosity=0, interactive=False)
"""


def _admin_connection() -> psycopg.Connection:
    params = settings.DATABASES["default"]
    return psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def empty_database() -> Iterator[str]:
    name = f"test_migrations_{os.getpid()}"
    with _admin_connection() as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _admin_connection() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _run(database: str, *args: str) -> None:
    params = settings.DATABASES["default"]
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": (
            f"postgres://{params['USER']}{password}@{params['HOST'] or '127.0.0.1'}:"
            f"{params['PORT'] or 5432}/{database}"
        ),
        "READ_DOT_ENV_FILE": "false",
    }
    completed = subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _state(database: str) -> tuple[set[str], int]:
    params = settings.DATABASES["default"]
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname=database,
    ) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        applied = 0
        if "django_migrations" in tables:
            row = connection.execute("SELECT count(*) FROM django_migrations").fetchone()
            applied = int(row[0]) if row else 0
    return tables, applied


@pytest.mark.slow
def test_migrations_run_forward_back_and_forward_on_an_empty_database(empty_database):
    _run(empty_database, "manage.py", "migrate", "--noinput")
    tables_first, applied_first = _state(empty_database)
    assert {"accounts_user", "news_newsitem", "django_celery_beat_periodictask"} <= tables_first
    assert applied_first > 0
    _run(empty_database, "manage.py", "migrate", "--check", "--noinput")

    _run(empty_database, "-c", _MIGRATE_ALL_TO_ZERO)
    tables, applied = _state(empty_database)
    assert tables == {"django_migrations"}
    assert applied == 0

    _run(empty_database, "manage.py", "migrate", "--noinput")
    assert _state(empty_database) == (tables_first, applied_first)
    _run(empty_database, "manage.py", "migrate", "--check", "--noinput")
