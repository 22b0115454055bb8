"""Ops (issue 12): deploy/prometheus's scrape config and alert rules pass `promtool check config` / `check rules`, the
alerts fire on the series that should fire them (`promtool test rules`), every target of `make run` is scraped, and
the Grafana dashboards are loadable JSON whose queries name only metrics the services export. promtool comes with
Debian's `prometheus` package (`make system-deps` installs it when missing)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.stack import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
METRIC = re.compile(r"\b(whistle_[a-z_]+|temporal_[a-z_]+)")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: run `make system-deps` (Debian package prometheus)"
    return subprocess.run([tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [("check", "config", "prometheus.yml"), ("check", "rules", "rules/whistle.yml"), ("test", "rules", "tests.yml")])
def test_promtool_accepts_the_config_and_rules_and_the_alerts_fire(args):
    done = promtool(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_every_process_of_make_run_is_scraped():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    wanted = {f"127.0.0.1:{DEFAULT_PORTS[name]}" for name in
              ("portal", "intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify", "worker_metrics", "temporal_sdk_metrics")}
    assert wanted <= targets
    alerts = {r["alert"] for g in yaml.safe_load((PROMETHEUS / "rules" / "whistle.yml").read_text(encoding="utf-8"))["groups"]
              for r in g["rules"] if "alert" in r}
    assert {"WhistleConsumerLagging", "WhistleOutboxBacklog", "WhistleHttp5xxRate", "WhistleOverdueTickets", "WhistleWorkflowTaskFailures",
            "WhistleConsumerStale", "WhistleConsumerBlocked", "WhistleTicketBridgeBehind"} <= alerts


def exported() -> set[str]:
    names = set(re.findall(r'"(whistle_[a-z_]+)"', (ROOT / "libs" / "observability" / "metrics.py").read_text(encoding="utf-8")))
    names |= set(re.findall(r'"(whistle_[a-z_]+)"', (ROOT / "services" / "dispatch" / "ops_metrics.py").read_text(encoding="utf-8")))
    return names | {"temporal_workflow_task_execution_failed", "temporal_activity_execution_failed"}


def used(expr: str) -> set[str]:
    names = set()
    for name in METRIC.findall(expr):
        for suffix in HISTOGRAM_SUFFIXES:
            name = name.removesuffix(suffix) if name.startswith("whistle_http") else name
        names.add(name)
    return names


def test_the_dashboards_are_grafana_json_asking_only_for_exported_metrics():
    known = exported()
    dashboards = sorted((GRAFANA / "dashboards").glob("*.json"))
    assert len(dashboards) >= 2
    for path in dashboards:
        board = json.loads(path.read_text(encoding="utf-8"))
        assert board["uid"] and board["title"] and board["panels"], path.name
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "whistle-prometheus" and panel["targets"], (path.name, panel["title"])
            for target in panel["targets"]:
                unknown = used(target["expr"]) - known
                assert not unknown, (path.name, panel["title"], unknown)
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "whistle.yml").read_text(encoding="utf-8"))
    assert provisioned["datasources"][0]["uid"] == "whistle-prometheus"


def test_the_rules_ask_only_for_exported_metrics():
    rules = (PROMETHEUS / "rules" / "whistle.yml").read_text(encoding="utf-8")
    exprs = [r["expr"] for g in yaml.safe_load(rules)["groups"] for r in g["rules"]]
    assert set().union(*(used(e) for e in exprs)) <= exported()
