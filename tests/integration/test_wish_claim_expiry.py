"""揽梦 deadlines through the real worker: a claim nobody fulfils returns the wish to the wall by the Temporal timer
(and the claimant is told); a fulfilled claim ends its timer early, so nothing returns."""
from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.service import RPCError

from deploy.procs import ManagedProcess, stop_processes
from libs.settings import get_settings
from services.wishes.models import WishClaim
from tests.integration.conftest import eventually
from tests.integration.test_wishes_service import STAFF, file_wish, volunteer
from workflows.wish_claims.shared import workflow_id

REPO_ROOT = Path(__file__).resolve().parents[2]
SHORT_SPAN_S = 3


@pytest.fixture
def worker(service_clients, kafka_bootstrap, temporal_address, tmp_path):
    """The workflows worker on this module's topics and a task queue of its own."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_TASK_QUEUE": f"wish-claims-{uuid.uuid4().hex[:8]}",
        "TOPIC_PREFIX": get_settings().topic_prefix,
        "SLA_POLICY_FILE": str(REPO_ROOT / "config" / "sla_policy.test.yaml"),
        "WORKER_METRICS_PORT": "0",
    }
    proc = ManagedProcess("worker", [sys.executable, "-m", "workflows.worker"], tmp_path / "worker.log", env=env, cwd=REPO_ROOT)
    proc.start()
    try:
        yield proc
    finally:
        stop_processes([proc], grace=10)


def running_claim(wishes, wish_id: str) -> WishClaim:
    with Session(wishes.app.state.runtime.engine) as session:
        return session.exec(select(WishClaim).where(WishClaim.wish_id == wish_id).order_by(WishClaim.claimed_at.desc())).first()


def test_an_unfulfilled_claim_returns_to_the_wall_by_the_timer_and_a_fulfilled_one_stops_its_timer(
    service_clients, worker, temporal_address, monkeypatch
):
    intake, wishes = service_clients["intake"], service_clients["wishes"]
    claimant = volunteer(wishes, "vol-expiry")

    monkeypatch.setenv("WISH_CLAIM_SPAN_SECONDS", str(SHORT_SPAN_S))
    lapsing = file_wish(intake, wishes, title="想请人帮忙换灯泡")
    assert wishes.post(f"/wishes/{lapsing}/approve", json={}, headers=STAFF).status_code == 200
    assert wishes.post(f"/wishes/{lapsing}/claim", headers=claimant).json()["status"] == "claimed"

    def back_on_the_wall():
        return wishes.get(f"/wishes/{lapsing}", headers=STAFF).json()["status"] == "open"

    try:
        eventually(back_on_the_wall, timeout=120)
    except AssertionError:
        pytest.fail(f"the claim never expired; worker log:\n{worker.tail(60)}")
    assert running_claim(wishes, lapsing).outcome == "claim_expired"
    told = wishes.get("/notices", headers=claimant).json()
    assert [n["kind"] for n in told if n["wish_id"] == lapsing] == ["claim_expired"]
    assert "已回到心愿墙" in told[0]["text"]

    monkeypatch.setenv("WISH_CLAIM_SPAN_SECONDS", "3600")
    kept = file_wish(intake, wishes, title="想请人读报")
    assert wishes.post(f"/wishes/{kept}/approve", json={}, headers=STAFF).status_code == 200
    assert wishes.post(f"/wishes/{kept}/claim", headers=claimant).status_code == 200
    claim_id = running_claim(wishes, kept).id

    async def fulfil_while_the_timer_runs() -> str:
        handle = (await Client.connect(temporal_address)).get_workflow_handle(workflow_id(claim_id))
        for _ in range(300):  # the bridge starts the timer from WishClaimed on Kafka
            try:
                await handle.describe()
                break
            except RPCError:
                await asyncio.sleep(0.2)
        else:
            pytest.fail(f"the claim's timer never started; worker log:\n{worker.tail(60)}")
        body = {"note": "读了一下午报纸", "hours": 2}
        done = await asyncio.to_thread(wishes.post, f"/wishes/{kept}/fulfil", json=body, headers=claimant)
        assert done.status_code == 200, done.text
        return await asyncio.wait_for(handle.result(), 60)

    assert asyncio.run(fulfil_while_the_timer_runs()) == "ended"
    assert wishes.get(f"/wishes/{kept}", headers=STAFF).json()["status"] == "fulfilled"
