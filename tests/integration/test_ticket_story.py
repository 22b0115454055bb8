"""A ticket's whole story (intake GET /tickets/{id}/story) on the real services: every event with who did it, internal
texts too (a return reason, a dispatch note, a supervisor's word on an extension, 内部 notes), the tickets merged into
it and every department that held it; read by the staff of its community, the departments that held it, the street's
supervisors and leaders and admins only. The resident's own view (GET /tickets/{id}) never shows an internal text."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import bearer, eventually

RESIDENT = bearer("resident", "r-story", community_id="xinran")
XINRAN = bearer("community_staff", "s-story", community_id="xinran")
SHILIUQIAO = bearer("community_staff", "s-story-other", community_id="shiliuqiao")
URBAN = bearer("department_staff", "d-story-urban", department_id="urban")
HOUSING = bearer("department_staff", "d-story-housing", department_id="housing")
WATER = bearer("department_staff", "d-story-water", department_id="water")
SUPERVISOR = bearer("supervisor", "sup-story", street_id="changyang")
OTHER_STREET = bearer("supervisor", "sup-story-other", street_id="elsewhere")
LEADER = bearer("leader", "lead-story", street_id="changyang")
ADMIN = bearer("admin", "a-story")

DISPATCH_NOTE = "请城管委三日内处置（内部派单说明）"
RETURN_REASON = "属物业管理范围，不归城管委（退单理由）"
GRANT_NOTE = "同意延期，请务必在期限内办结"
INTERNAL_NOTE = "物业经理电话 010-5555 已沟通（内部备注）"
PUBLIC_NOTE = "已安排维修师傅明早到场查看"
RESOLVE_NOTE = "已更换楼道灯"
COMMENT = "灯还是不亮，等了一周"
INTERNAL_TEXTS = (DISPATCH_NOTE, RETURN_REASON, GRANT_NOTE, INTERNAL_NOTE)


def file(intake, title: str = "楼道灯不亮") -> str:
    body = {"title": title, "description": "2号楼3单元楼道灯坏了一周", "category": "road", "community_id": "xinran"}
    made = intake.post("/tickets", json=body, headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def ok(response, code: int = 200):
    assert response.status_code == code, response.text
    return response.json()


def story_of(intake, ticket_id: str, headers=XINRAN) -> dict:
    return ok(intake.get(f"/tickets/{ticket_id}/story", headers=headers))


def has(intake, ticket_id: str, event_type: str, count: int = 1) -> bool:
    return sum(e["event_type"] == event_type for e in story_of(intake, ticket_id)["story"]) >= count


@pytest.fixture(scope="module")
def life(service_clients) -> str:
    """派单 with a note → 退单 with a reason → 改派 → 签收 → notes → 延期 granted with a note → 办结 → 不满意重办."""
    intake, dispatch, department, feedback = (service_clients[s] for s in ("intake", "dispatch", "department", "feedback"))
    ticket_id = file(intake)
    eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).status_code == 200)
    ok(dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban", "note": DISPATCH_NOTE}, headers=XINRAN))
    eventually(lambda: department.get(f"/tickets/{ticket_id}", headers=URBAN).status_code == 200)
    ok(department.post(f"/tickets/{ticket_id}/return", json={"reason": RETURN_REASON}, headers=URBAN))
    eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).json()["status"] == "returned")
    ok(dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "housing"}, headers=XINRAN))
    eventually(lambda: department.get(f"/tickets/{ticket_id}", headers=HOUSING).status_code == 200)
    ok(department.post(f"/tickets/{ticket_id}/accept", headers=HOUSING))
    eventually(lambda: has(intake, ticket_id, "TicketAccepted"))
    ok(intake.post(f"/tickets/{ticket_id}/notes", json={"text": INTERNAL_NOTE, "visibility": "internal"}, headers=XINRAN), 201)
    ok(intake.post(f"/tickets/{ticket_id}/notes", json={"text": PUBLIC_NOTE, "visibility": "public"}, headers=HOUSING), 201)
    ok(department.post(f"/tickets/{ticket_id}/extension", json={"amount": 2, "unit": "working_days", "reason": "等灯具到货"},
                       headers=HOUSING))
    pending = eventually(lambda: [e for e in ok(dispatch.get("/extensions", headers=SUPERVISOR)) if e["ticket_id"] == ticket_id])
    ok(dispatch.post(f"/extensions/{pending[0]['request_event_id']}/grant", json={"note": GRANT_NOTE}, headers=SUPERVISOR))
    eventually(lambda: has(intake, ticket_id, "ExtensionGranted"))
    ok(department.post(f"/tickets/{ticket_id}/resolve", json={"note": RESOLVE_NOTE, "evidence": []}, headers=HOUSING))
    eventually(lambda: feedback.get(f"/tickets/{ticket_id}", headers=RESIDENT).json().get("status") == "awaiting_rating")
    rating = {"satisfaction": "unsatisfied", "solved": False, "comment": COMMENT}
    ok(feedback.post(f"/tickets/{ticket_id}/rating", json=rating, headers=RESIDENT))
    eventually(lambda: has(intake, ticket_id, "TicketReopened"))
    return ticket_id


def test_the_story_has_every_event_with_who_did_it_and_the_internal_texts(service_clients, life) -> None:
    story = story_of(service_clients["intake"], life)
    kinds = [e["event_type"] for e in story["story"]]
    for kind in ("TicketFiled", "TicketDispatched", "TicketReturned", "TicketAccepted", "TicketNoteAdded",
                 "ExtensionRequested", "ExtensionGranted", "TicketResolved", "TicketRated", "TicketReopened"):
        assert kind in kinds, kind
    assert kinds.count("TicketDispatched") == 2 and kinds.index("TicketReturned") < len(kinds) - kinds[::-1].index("TicketDispatched")
    by_type = {e["event_type"]: e for e in story["story"]}
    assert by_type["TicketReturned"]["note"] == RETURN_REASON and by_type["TicketReturned"]["visibility"] == "internal"
    assert (by_type["TicketReturned"]["actor_role"], by_type["TicketReturned"]["actor_id"]) == ("department_staff", "d-story-urban")
    assert by_type["ExtensionGranted"]["note"] == GRANT_NOTE and by_type["ExtensionGranted"]["actor_role"] == "supervisor"
    assert by_type["ExtensionRequested"]["visibility"] == "staff" and by_type["ExtensionRequested"]["details"]["amount"] == 2
    assert by_type["TicketRated"]["details"] == {"satisfaction": "unsatisfied", "solved": False}
    assert by_type["TicketRated"]["note"] == COMMENT and by_type["TicketReopened"]["note"]
    notes = {e["note"]: e for e in story["story"] if e["event_type"] == "TicketNoteAdded"}
    assert notes[INTERNAL_NOTE]["visibility"] == "staff" and notes[INTERNAL_NOTE]["actor_id"] == "s-story"
    assert notes[PUBLIC_NOTE]["visibility"] == "public" and notes[PUBLIC_NOTE]["department_id"] == "housing"
    assert story["departments"] == ["urban", "housing"] and story["status"] == "reopened"


def test_the_resident_never_sees_an_internal_text_but_reads_public_notes_and_outcomes(service_clients, life) -> None:
    ticket = ok(service_clients["intake"].get(f"/tickets/{life}", headers=RESIDENT))
    shown = str(ticket)
    for text in INTERNAL_TEXTS:
        assert text not in shown, text
    notes = [e["note"] for e in ticket["timeline"]]
    assert PUBLIC_NOTE in notes and RESOLVE_NOTE in notes
    kinds = [e["event_type"] for e in ticket["timeline"]]
    assert "ExtensionRequested" not in kinds and "ExtensionGranted" in kinds  # the line, without the supervisor's words
    assert "story" not in ticket


@pytest.mark.parametrize(
    "headers", [XINRAN, URBAN, HOUSING, SUPERVISOR, LEADER, ADMIN],
    ids=["its-community", "a-department-that-held-it", "the-department-holding-it", "supervisor", "leader", "admin"],
)
def test_the_tickets_handlers_read_the_story(service_clients, life, headers) -> None:
    assert story_of(service_clients["intake"], life, headers)["id"] == life


@pytest.mark.parametrize(
    ("headers", "status"),
    [(SHILIUQIAO, 404), (WATER, 404), (OTHER_STREET, 404), (RESIDENT, 403),
     (bearer("grid_worker", "g-story", community_id="xinran"), 403)],
    ids=["another-community", "another-department", "another-street", "its-own-resident", "grid-worker"],
)
def test_anyone_else_is_refused_the_story_and_may_not_add_a_note(service_clients, life, headers, status) -> None:
    intake = service_clients["intake"]
    assert intake.get(f"/tickets/{life}/story", headers=headers).status_code == status
    note = intake.post(f"/tickets/{life}/notes", json={"text": "越权备注", "visibility": "public"}, headers=headers)
    assert note.status_code == status
    assert "越权备注" not in str(story_of(intake, life))


def test_an_unknown_ticket_is_a_404_and_a_note_needs_text_and_a_visibility(service_clients, life) -> None:
    intake = service_clients["intake"]
    assert intake.get("/tickets/T20990101-00000000/story", headers=ADMIN).status_code == 404
    for body, field in (({"text": "  ", "visibility": "internal"}, "text"), ({"text": "备注"}, "visibility"),
                        ({"text": "备注", "visibility": "secret"}, "visibility")):
        refused = intake.post(f"/tickets/{life}/notes", json=body, headers=XINRAN)
        assert refused.status_code == 422 and field in str(refused.json()["detail"]), refused.text


def test_a_merged_duplicate_is_named_on_both_stories(service_clients) -> None:
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    kept, duplicate = file(intake, "路灯不亮"), file(intake, "路灯又不亮了")
    for ticket_id in (kept, duplicate):
        eventually(lambda ticket_id=ticket_id: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).status_code == 200)
    ok(dispatch.post(f"/tickets/{duplicate}/merge", json={"into_ticket_id": kept}, headers=XINRAN))
    eventually(lambda: story_of(intake, kept)["merged_from"] == [duplicate])
    merged = eventually(lambda: [e for e in story_of(intake, duplicate)["story"] if e["event_type"] == "TicketMerged"])
    assert merged[0]["details"] == {"merged_into": kept}
    refused = service_clients["intake"].post(f"/tickets/{duplicate}/notes", json={"text": "补充", "visibility": "internal"}, headers=XINRAN)
    assert refused.status_code == 409 and kept in refused.json()["detail"]
