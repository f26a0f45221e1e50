"""deploy/deploy.sh against stand-ins for docker and curl: no Docker engine needed.

The fake `docker` logs every call with the AIHUB_IMAGE it was given and keeps the
"running" image in a file; the fake `curl` fails the readiness probe while the
image named by FAKE_UNHEALTHY_IMAGE is running, or always with FAKE_UNHEALTHY_IMAGE=*.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "deploy.sh"
REPO = "ghcr.io/acme/aihub"
OLD = f"{REPO}:old111"
NEW = f"{REPO}:new222"

FAKE_DOCKER = r"""#!/usr/bin/env bash
set -eu
echo "docker AIHUB_IMAGE=${AIHUB_IMAGE:-} $*" >>"$FAKE_STATE/calls"
# As docker-compose.prod.yml makes the real one do.
if [ "$1" = compose ] && [ -z "${AIHUB_IMAGE:-}" ]; then
  echo 'required variable AIHUB_IMAGE is missing a value' >&2
  exit 15
fi
args=" $* "
case $args in
  *" ps -q web "*)
    if [ -f "$FAKE_STATE/running" ]; then echo c0ffee; fi ;;
  *" inspect "*)
    cat "$FAKE_STATE/running" ;;
  *" run --rm migrate "*)
    exit "${FAKE_MIGRATE_EXIT:-0}" ;;
  *" up "*)
    printf '%s\n' "$AIHUB_IMAGE" >"$FAKE_STATE/running" ;;
esac
"""

FAKE_CURL = r"""#!/usr/bin/env bash
running=$(cat "$FAKE_STATE/running" 2>/dev/null || true)
echo "curl running=$running" >>"$FAKE_STATE/calls"
if [ "${FAKE_UNHEALTHY_IMAGE:-}" = "*" ] || [ "$running" = "${FAKE_UNHEALTHY_IMAGE:-}" ]; then
  echo "curl: (22) The requested URL returned error: 503" >&2
  exit 22
fi
echo '{"status": "ok"}'
"""


@dataclass
class Result:
    returncode: int
    calls: list[str]
    running: str | None
    recorded: str | None
    output: str


@pytest.fixture
def server(tmp_path: Path) -> Path:
    """A fake host: stub binaries first on PATH and a state directory."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"docker": FAKE_DOCKER, "curl": FAKE_CURL}.items():
        stub = bin_dir / name
        stub.write_text(body)
        stub.chmod(0o755)
    (tmp_path / "state").mkdir()
    return tmp_path


def deploy(server: Path, tag: str, *, running: str | None = OLD, **fake: str) -> Result:
    state = server / "state"
    if running is not None:
        (state / "running").write_text(f"{running}\n")
    env = {
        "PATH": f"{server / 'bin'}:{os.environ['PATH']}",
        "HOME": str(server),
        "FAKE_STATE": str(state),
        "AIHUB_IMAGE_REPO": REPO,
        "HEALTH_RETRIES": "3",
        "HEALTH_INTERVAL": "0",
        "DEPLOY_STATE_DIR": str(server / ".deploy"),
        **fake,
    }
    completed = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(SCRIPT), tag],
        cwd=server,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = (state / "calls").read_text().splitlines() if (state / "calls").exists() else []
    running_file = state / "running"
    recorded_file = server / ".deploy" / "current"
    return Result(
        returncode=completed.returncode,
        calls=calls,
        running=running_file.read_text().strip() if running_file.exists() else None,
        recorded=recorded_file.read_text().strip() if recorded_file.exists() else None,
        output=completed.stdout + completed.stderr,
    )


def index_of(calls: list[str], *fragments: str) -> int:
    return next(i for i, call in enumerate(calls) if all(part in call for part in fragments))


def test_success_migrates_before_starting_and_keeps_the_new_release(server: Path) -> None:
    result = deploy(server, "new222")

    assert result.returncode == 0, result.output
    pull = index_of(result.calls, f"AIHUB_IMAGE={NEW}", " pull ")
    migrate = index_of(result.calls, f"AIHUB_IMAGE={NEW}", " run --rm migrate")
    start = index_of(result.calls, f"AIHUB_IMAGE={NEW}", " up --detach")
    assert pull < migrate < start
    assert result.running == NEW
    assert result.recorded == NEW
    # The release was probed, and nothing brought the old image back.
    assert any(call.startswith("curl") for call in result.calls[start:])
    assert not any(f"AIHUB_IMAGE={OLD} " in call and " up " in call for call in result.calls)


def test_failed_health_check_rolls_back_to_the_previous_tag(server: Path) -> None:
    result = deploy(server, "new222", FAKE_UNHEALTHY_IMAGE=NEW)

    assert result.returncode == 1, result.output
    new_up = index_of(result.calls, f"AIHUB_IMAGE={NEW}", " up --detach")
    old_up = index_of(result.calls, f"AIHUB_IMAGE={OLD}", " up --detach")
    assert new_up < old_up
    # Every probe of the new release failed before the switch back.
    probes = [call for call in result.calls[new_up:old_up] if call.startswith("curl")]
    assert probes == [f"curl running={NEW}"] * 3
    assert result.running == OLD
    assert result.recorded is None
    assert f"rolling back to {OLD}" in result.output


def test_failed_migration_stops_before_the_new_release_starts(server: Path) -> None:
    result = deploy(server, "new222", FAKE_MIGRATE_EXIT="1")

    assert result.returncode == 2, result.output
    assert not any(" up " in call for call in result.calls)
    assert result.running == OLD


def test_rollback_that_is_not_ready_either_exits_3(server: Path) -> None:
    result = deploy(server, "new222", FAKE_UNHEALTHY_IMAGE="*")

    assert result.returncode == 3, result.output
    assert result.running == OLD
    assert "intervene by hand" in result.output


def test_first_deploy_without_previous_release_fails_without_rollback(server: Path) -> None:
    result = deploy(server, "new222", running=None, FAKE_UNHEALTHY_IMAGE=NEW)

    assert result.returncode == 1, result.output
    assert [call for call in result.calls if " up " in call] == [
        f"docker AIHUB_IMAGE={NEW} compose -f docker-compose.yml -f docker-compose.prod.yml"
        " up --detach --no-build --remove-orphans"
    ]
    assert "no previous release" in result.output


def test_previous_tag_comes_from_the_record_when_web_is_down(server: Path) -> None:
    (server / ".deploy").mkdir()
    (server / ".deploy" / "current").write_text(f"{OLD}\n")

    result = deploy(server, "new222", running=None, FAKE_UNHEALTHY_IMAGE=NEW)

    assert result.returncode == 1, result.output
    assert result.running == OLD


def test_missing_tag_is_a_usage_error(server: Path) -> None:
    result = deploy(server, "")

    assert result.returncode == 2
    assert result.calls == []
