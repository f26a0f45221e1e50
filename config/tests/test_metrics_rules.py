"""deploy/prometheus/alerts.yml and deploy/grafana/dashboard.json only use metrics
that /metrics exports, and every alert has a runbook entry."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from config.metrics.collectors import render_metrics

DEPLOY = Path(settings.BASE_DIR) / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboard.json"
RUNBOOK = "https://github.com/OWNER/REPO/blob/main/docs/operations.md#alert-"
REQUIRED_ALERTS = {
    "Web5xxRate",
    "ReadinessFailing",
    "NoSuccessfulIngestion",
    "SourcesInError",
    "BeatSilent",
    "DigestDeliveryFailures",
    "TelegramRateLimited",
    "QueueBacklog",
}
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
}
_METRIC = re.compile(r"\baihub_[a-zA-Z0-9_]+\b")


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.fixture
def exported(settings) -> set[str]:
    settings.METRICS_CACHE_SECONDS = 0
    names: set[str] = set()
    for family in text_string_to_metric_families(render_metrics().decode()):
        names.add(family.name)
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ()))
    return names


def test_rule_file_structure() -> None:
    document = yaml.safe_load(ALERTS.read_text())
    assert set(document) == {"groups"}
    seen: list[str] = []
    for group in document["groups"]:
        assert group["name"]
        assert group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", rule["alert"])
            assert isinstance(rule["expr"], str)
            assert rule["expr"].strip()
            assert re.fullmatch(r"\d+[smh]", rule["for"])
            assert rule["labels"]["severity"] in {"page", "warning"}
            assert rule["annotations"]["summary"]
            assert rule["annotations"]["runbook_url"] == RUNBOOK + rule["alert"].lower()
            seen.append(rule["alert"])
    assert len(seen) == len(set(seen))
    assert set(seen) >= REQUIRED_ALERTS


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run(
        [shutil.which("promtool") or "promtool", "check", "rules", str(ALERTS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_every_metric_the_alerts_use_is_exported(exported: set[str]) -> None:
    used = {name for rule in alert_rules() for name in _METRIC.findall(rule["expr"])}
    assert used, "the alerts use no application metric"
    assert used - exported == set()


@pytest.mark.django_db
def test_every_metric_the_dashboard_uses_is_exported(exported: set[str]) -> None:
    used = {name for expr in dashboard_expressions() for name in _METRIC.findall(expr)}
    assert used - exported == set()
    # The dashboard shows every alert's metric.
    alert_metrics = {name for rule in alert_rules() for name in _METRIC.findall(rule["expr"])}
    assert alert_metrics <= used


def test_dashboard_structure() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"]
    assert dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        assert all(target["refId"] and target["expr"] for target in panel["targets"])


def test_scrape_example_uses_a_token_file() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "aihub"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["credentials_file"]
    assert "credentials" not in job["authorization"]
    assert any(path.endswith("alerts.yml") for path in config["rule_files"])
