"""A 微心愿 is not an ordinary ticket: filed through intake, it becomes a wish in the wishes service, while dispatch's
queue and the dashboard's ticket counters read its TicketFiled (the inbox shows it was handled) and keep nothing."""
from __future__ import annotations

import uuid

from sqlmodel import Session, select

from libs.messaging import OutboxMessage
from libs.messaging.inbox import InboxEntry
from services.dashboard.models import DashboardTicket
from services.dispatch.models import DispatchTicket
from tests.integration.conftest import bearer, eventually

RESIDENT = bearer("resident", "m-not-a-ticket", community_id="xinran")
STAFF = bearer("community_staff", "s-not-a-ticket", community_id="xinran")


def _file(intake, kind: str) -> str:
    body = {"kind": kind, "title": "想请人帮忙换灯泡" if kind == "wish" else "楼道灯不亮", "description": "3号楼二单元",
            "category": "other", "community_id": "xinran"}
    made = intake.post("/tickets", json=body, headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _filed_event_id(intake, ticket_id: str) -> str:
    with Session(intake.app.state.runtime.engine) as session:
        row = session.exec(select(OutboxMessage).where(
            OutboxMessage.event_type == "TicketFiled", OutboxMessage.key == ticket_id)).one()
    return row.event_id


def _handled(client, event_id: str) -> bool:
    with Session(client.app.state.runtime.engine) as session:
        return session.exec(select(InboxEntry).where(InboxEntry.event_id == event_id)).first() is not None


def _row(client, table, ticket_id: str):  # noqa: ANN001, ANN202
    with Session(client.app.state.runtime.engine) as session:
        return session.get(table, ticket_id)


def test_a_wish_reaches_the_wishes_service_and_neither_dispatch_nor_the_dashboard_counts_it(service_clients):
    intake, dispatch, dashboard, wishes = (service_clients[s] for s in ("intake", "dispatch", "dashboard", "wishes"))
    wish_id, problem_id = _file(intake, "wish"), _file(intake, "problem")
    wish_event = _filed_event_id(intake, wish_id)

    assert eventually(lambda: wishes.get(f"/wishes/{wish_id}", headers=STAFF).status_code == 200)
    eventually(lambda: _handled(dispatch, wish_event) and _handled(dashboard, wish_event))
    assert _row(dispatch, DispatchTicket, wish_id) is None and _row(dashboard, DashboardTicket, wish_id) is None
    assert eventually(lambda: _row(dispatch, DispatchTicket, problem_id)) is not None  # an ordinary ticket still is
    assert eventually(lambda: _row(dashboard, DashboardTicket, problem_id)) is not None
    listed = dispatch.get("/tickets", params={"tab": "all"}, headers=STAFF).text
    assert problem_id in listed and wish_id not in listed
    assert dispatch.get(f"/tickets/{wish_id}", headers=STAFF).status_code == 404

    mine = {t["id"]: t["kind"] for t in intake.get("/tickets/mine", headers=RESIDENT).json()}
    assert mine[wish_id] == "wish"  # the resident's 我的诉求 still lists it; the portal asks the wishes service for its status
