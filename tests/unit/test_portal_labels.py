"""The portal's labels cover the shared enums, so no page shows a raw key such as "joint_handling超时"."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from libs.ticket import SLA_STAGES, STATUS_LABELS_ZH, Stage, TicketStatus
from services.portal.labels import JOINT_ON_SITE_LABEL, STAGE_LABELS, STATUS_SHORT, STATUS_TONE

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_deadlines import LATER, POLICY_DOCUMENT, console_ticket, warned_ticket
from test_portal_pages import NOW, FakeBackends, fake, log_in, portal, settings  # noqa: F401  (fixtures are used by name)


def test_every_stage_has_a_label() -> None:
    missing = [stage.value for stage in Stage if stage not in STAGE_LABELS]
    assert not missing, f"stages without a label in services/portal/labels.py STAGE_LABELS: {missing}"
    assert set(STAGE_LABELS) == set(Stage), "STAGE_LABELS is keyed by libs.ticket.Stage and nothing else"
    assert len(set(STAGE_LABELS.values())) == len(STAGE_LABELS), "two stages share a label"


def test_joint_handling_is_a_stage_and_joint_on_site_is_a_policy_span() -> None:
    assert STAGE_LABELS[Stage.joint_handling] == "联席办"
    assert "joint_on_site" not in STAGE_LABELS
    assert JOINT_ON_SITE_LABEL == "联席到场"


def test_every_ticket_status_has_a_badge_and_a_tone() -> None:
    assert set(STATUS_SHORT) == set(TicketStatus) == set(STATUS_LABELS_ZH)
    assert set(STATUS_TONE) == set(TicketStatus)


def test_the_console_names_a_joint_handling_escalation_and_warning(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[console_ticket(
        status="reopened", escalation_level=2, escalation_stage="joint_handling", joint_handling=True, reopen_count=2,
        warnings=[{"stage": "joint_handling", "deadline": LATER}],
    )]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert "督办 · 2级 · 联席办超时" in page
    assert "催办 · 联席办 11-26 14:00前" in page
    assert "joint_handling" not in page


def test_the_worklist_names_a_joint_handling_escalation_and_warning(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[warned_ticket(
        escalation_level=1, escalation_stage="joint_handling", warnings=[{"stage": "joint_handling", "deadline": LATER}],
    )]))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert "督办 · 联席办超时" in page and "催办 · 联席办 11-26 14:00前" in page
    assert "joint_handling" not in page


@pytest.mark.parametrize("stage", list(Stage))
def test_no_stage_shows_its_raw_key_on_the_console(portal: TestClient, fake: FakeBackends, stage: Stage) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[console_ticket(
        escalation_level=1, escalation_stage=stage.value, warnings=[{"stage": stage.value, "deadline": LATER}],
    )]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert f"{STAGE_LABELS[stage]}超时" in page and f"· {stage.value}" not in page


def test_the_policy_tables_show_the_sla_stages_and_joint_on_site_as_a_span(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/admin/sla-policy", httpx.Response(200, json={
        "version": 3, "source": "stored", "document": POLICY_DOCUMENT, "published_by": "admin", "published_at": NOW,
    }))
    fake.on("dispatch", "GET", "/admin/calendar", httpx.Response(200, json={"holidays": [], "workdays": [], "remove": []}))
    log_in(portal, "admin")
    page = portal.get("/admin").text
    for stage in SLA_STAGES:
        assert f"<th>{STAGE_LABELS[stage]}</th>" in page
    assert f"<th>{STAGE_LABELS[Stage.joint_handling]}</th>" not in page, "joint handling has no span of its own"
    assert "<dt>联席到场</dt><dd>联席办时各部门 30 分钟 内到场</dd>" in page
