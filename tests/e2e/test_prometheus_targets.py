"""Ops (issue 12): the shipped Prometheus configuration (deploy/prometheus/prometheus.yml with its alert rules), pointed
at a running stack, scrapes every target up: the eight services, the worker's metrics and the Temporal SDK's. The
targets are the config's own, with `make run`'s ports swapped for the test stack's."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import yaml

from deploy.procs import free_ports
from deploy.stack import DEFAULT_PORTS

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def test_prometheus_scrapes_every_target_of_a_running_stack_up(stack, tmp_path):
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: run `make system-deps` (Debian package prometheus)"
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    by_port = {f"127.0.0.1:{port}": f"127.0.0.1:{stack.ports[name]}" for name, port in DEFAULT_PORTS.items()}
    config["global"]["scrape_interval"] = "1s"
    for job in config["scrape_configs"]:
        for group in job["static_configs"]:
            group["targets"] = [by_port[t] for t in group["targets"]]
    shutil.copytree(PROMETHEUS_DIR / "rules", tmp_path / "rules")
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (port,) = free_ports(1)
    with open(tmp_path / "prometheus.log", "wb") as log:
        proc = subprocess.Popen(
            [binary, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline, health = time.monotonic() + 120, {}
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text(errors="replace")[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets", timeout=5) as answer:
                    targets = json.load(answer)["data"]["activeTargets"]
                health = {t["labels"]["service"] + "/" + t["labels"]["job"]: t["health"] for t in targets}
                if len(health) == 10 and set(health.values()) == {"up"}:
                    break
            except OSError:
                pass
            time.sleep(1)
        assert len(health) == 10 and set(health.values()) == {"up"}, health
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules", timeout=5) as answer:
            groups = json.load(answer)["data"]["groups"]
        assert {"whistle-delivery", "whistle-http", "whistle-tickets", "whistle-workflows"} <= {g["name"] for g in groups}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
