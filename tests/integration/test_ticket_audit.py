"""审计 (issue 12): every action on a ticket lands in intake's append-only audit table (one line per event, in order,
with who did it); leaders and admins read it, nobody else; no API changes or removes a line, and PostgreSQL itself
refuses UPDATE, DELETE and TRUNCATE on the table."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from services.intake.audit import IntakeAudit, record
from tests.integration.conftest import bearer, eventually
from tests.integration.street_scope_helpers import ADMIN, SUP_A, URBAN, XINRAN, arrived, file, ok

LEADER = bearer("leader", "lead-audit", street_id="gongchen")


@pytest.fixture(scope="module")
def handled(service_clients) -> str:
    intake, dispatch, department = (service_clients[s] for s in ("intake", "dispatch", "department"))
    ticket_id = file(intake, "xinran")
    arrived(dispatch, ticket_id, XINRAN)
    ok(dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban", "note": "请城管处理"}, headers=XINRAN))
    arrived(department, ticket_id, URBAN)
    ok(department.post(f"/tickets/{ticket_id}/accept", headers=URBAN))
    return ticket_id


def types(lines: list[dict]) -> list[str]:
    return [line["event_type"] for line in lines if line["event_type"] != "StageDeadlineSet"]


def test_every_action_is_audited_in_order_with_its_actor_and_leaders_read_it(service_clients, handled):
    intake = service_clients["intake"]
    lines = eventually(lambda: (r := ok(intake.get(f"/tickets/{handled}/audit", headers=LEADER))) and
                       types(r)[-1:] == ["TicketAccepted"] and r)
    assert types(lines) == ["TicketFiled", "TicketDispatched", "TicketAccepted"]
    by_type = {line["event_type"]: line for line in lines}
    assert (by_type["TicketDispatched"]["actor_role"], by_type["TicketDispatched"]["actor_id"]) == ("community_staff", "s-scope-xinran")
    assert by_type["TicketDispatched"]["payload"]["department_id"] == "urban"
    assert (by_type["TicketAccepted"]["actor_role"], by_type["TicketAccepted"]["actor_id"]) == ("department_staff", "d-scope-urban")
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    assert ok(intake.get(f"/tickets/{handled}/audit", headers=ADMIN)) == lines
    assert intake.get("/tickets/T20200101-00000000/audit", headers=LEADER).status_code == 404


@pytest.mark.parametrize("who", ["community_staff", "department_staff", "supervisor", "resident", "operator", "grid_worker"])
def test_nobody_but_leaders_and_admins_reads_the_audit(service_clients, handled, who):
    headers = {"community_staff": XINRAN, "department_staff": URBAN, "supervisor": SUP_A,
               "resident": bearer("resident", "r-audit"), "operator": bearer("operator", "o-audit"),
               "grid_worker": bearer("grid_worker", "g-audit", community_id="xinran")}[who]
    assert service_clients["intake"].get(f"/tickets/{handled}/audit", headers=headers).status_code == 403


def test_no_api_edits_or_removes_a_line(service_clients, handled):
    intake = service_clients["intake"]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert intake.request(method, f"/tickets/{handled}/audit", headers=ADMIN, json={}).status_code == 405


def test_the_database_refuses_to_change_or_remove_audit_lines(service_clients, handled):
    engine = service_clients["intake"].app.state.runtime.engine
    assert engine.dialect.name == "postgresql"
    eventually(lambda: len(ok(service_clients["intake"].get(f"/tickets/{handled}/audit", headers=LEADER))) >= 3)
    for statement in (
        "UPDATE intake_audit SET actor_id = 'someone-else' WHERE ticket_id = :t",
        "DELETE FROM intake_audit WHERE ticket_id = :t",
        "TRUNCATE intake_audit",
    ):
        with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
            conn.execute(sa.text(statement), {"t": handled})
        assert "append-only" in str(refused.value)
    with engine.connect() as conn:
        actors = conn.execute(sa.text("SELECT actor_id FROM intake_audit WHERE ticket_id = :t"), {"t": handled}).scalars().all()
    assert "someone-else" not in actors and len(actors) >= 3


def test_a_redelivered_event_is_audited_once(service_clients, handled):
    from libs.events import Actor, TicketNoteAdded

    engine = service_clients["intake"].app.state.runtime.engine
    note = TicketNoteAdded(ticket_id=handled, actor=Actor(role="community_staff", id="s-audit"), text="已联系", visibility="internal")
    for _ in range(2):
        with Session(engine) as session:
            record(session, note)
            session.commit()
    with Session(engine) as session:
        rows = session.exec(sa.select(IntakeAudit).where(IntakeAudit.event_id == str(note.event_id))).all()
    assert len(rows) == 1
