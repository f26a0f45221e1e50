"""The production compose stack, read the way `docker compose -f base -f prod` merges it.

No Docker engine runs here, so the merged files are checked as YAML; with the
compose plugin installed, `make check-deploy` also runs `docker compose config -q`.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BACKUP_SCRIPT = ROOT / "deploy" / "backup.sh"
ONE_SHOT = {"migrate"}
APP_SERVICES = {"web", "worker", "scraper", "beat", "telegram-bot"}
RESTARTING = {"always", "unless-stopped", "on-failure"}


def merge(base: Any, override: Any) -> Any:
    """Compose's rule for what these files use: mappings merge key by key, the rest is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    base = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prod = yaml.safe_load((ROOT / "docker-compose.prod.yml").read_text())
    merged: dict[str, Any] = merge(base, prod)
    return merged


@pytest.fixture(scope="module")
def services(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = stack["services"]
    return found


def is_bind_mount(volume: str | dict[str, Any], named: set[str]) -> bool:
    if isinstance(volume, dict):
        return volume.get("type") != "volume" or volume.get("source", "") not in named
    source, _, target = volume.partition(":")
    # "/data" alone is an anonymous volume; "name:/data" a named one; anything else a host path.
    return bool(target) and source not in named


def test_merge_replaces_scalars_and_merges_mappings() -> None:
    merged = merge({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3}, "b": [2]})

    assert merged == {"a": {"x": 1, "y": 3}, "b": [2]}


def test_bind_mount_detection() -> None:
    named = {"pgdata"}

    assert not is_bind_mount("pgdata:/var/lib/postgresql/data", named)
    assert is_bind_mount("./static:/app/static", named)
    assert is_bind_mount({"type": "bind", "source": ".", "target": "/app"}, named)


def test_no_service_mounts_a_host_path(
    stack: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    named = set(stack.get("volumes") or {})
    for name, service in services.items():
        mounts = [v for v in service.get("volumes", []) if is_bind_mount(v, named)]
        assert mounts == [], f"{name} mounts host paths: {mounts}"


def test_long_running_services_restart_and_have_limits(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            continue
        assert service.get("restart") in RESTARTING, name
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert float(limits["cpus"]) > 0, name
        assert str(limits["memory"])[-1].lower() in {"m", "g"}, name


def test_long_running_services_have_health_checks(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            continue
        healthcheck = service.get("healthcheck", {})
        assert healthcheck.get("test"), name
        assert not healthcheck.get("disable"), name


def test_every_service_logs_to_rotated_json_files(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"], name
        assert int(logging["options"]["max-file"]) >= 1, name


def test_app_services_run_the_release_image_without_debug(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES | ONE_SHOT:
        service = services[name]
        assert service["image"].startswith("${AIHUB_IMAGE:?"), name
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        assert environment["DEBUG"] == "false", name


def test_migrate_is_one_shot_and_gates_every_app_service(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["migrate"]["restart"] == "no"
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    for name in APP_SERVICES:
        dependency = services[name]["depends_on"]["migrate"]
        assert dependency["condition"] == "service_completed_successfully", name


def test_backup_service_dumps_to_a_volume_with_retention(
    stack: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    backup = services["backup"]
    environment = backup["environment"]

    assert environment["BACKUP_RETENTION_DAYS"].startswith("${BACKUP_RETENTION_DAYS:-")
    assert environment["BACKUP_DIR"] == "/backups"
    assert "backups:/backups" in backup["volumes"]
    assert "backups" in stack["volumes"]
    assert "/usr/local/bin/backup.sh" in " ".join(backup["command"])
    (script,) = backup["configs"]
    assert script["target"] == "/usr/local/bin/backup.sh"
    assert (ROOT / stack["configs"][script["source"]]["file"]).resolve() == BACKUP_SCRIPT
    assert backup["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.fixture
def backup_host(tmp_path: Path) -> dict[str, str]:
    """A stand-in pg_dump that writes a few bytes where -f/--file points."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pg_dump = bin_dir / "pg_dump"
    pg_dump.write_text(
        "#!/bin/sh\n"
        'echo "$@" >>"$BACKUP_DIR/pg_dump.args"\n'
        'for arg in "$@"; do case $arg in --file=*) printf dump >"${arg#--file=}";; esac; done\n'
    )
    pg_dump.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}", "BACKUP_DIR": str(tmp_path / "backups")}


def run_backup(env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(BACKUP_SCRIPT)],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_backup_script_dumps_custom_format_and_prunes_old_dumps(
    backup_host: dict[str, str],
) -> None:
    backups = Path(backup_host["BACKUP_DIR"])
    backups.mkdir()
    day = 24 * 60 * 60
    old = backups / "aihub-20200101T000000Z.dump"
    recent = backups / "aihub-20200102T000000Z.dump"
    unrelated = backups / "keep-me.txt"
    for path, age_days in ((old, 8), (recent, 6), (unrelated, 30)):
        path.write_text("x")
        stamp = time.time() - age_days * day
        os.utime(path, (stamp, stamp))

    result = run_backup(backup_host, BACKUP_RETENTION_DAYS="7")

    assert result.returncode == 0, result.stderr
    assert "--format=custom" in (backups / "pg_dump.args").read_text()
    new = [p for p in backups.glob("aihub-*.dump") if p not in {old, recent}]
    assert len(new) == 1
    assert new[0].read_text() == "dump"
    assert not list(backups.glob("*.partial"))
    assert not old.exists()
    assert recent.exists()
    assert unrelated.exists()


def test_backup_script_rejects_a_bad_retention(backup_host: dict[str, str]) -> None:
    result = run_backup(backup_host, BACKUP_RETENTION_DAYS="two weeks")

    assert result.returncode == 2
    assert "BACKUP_RETENTION_DAYS" in result.stderr
