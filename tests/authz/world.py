"""The people of the authorization matrix and the things they act on, built through the services' own APIs.

OWN[role] acts in the scope the world's things belong to (community 馨然嘉园 `xinran`, department 城管委 `urban`, street
长阳镇 `changyang`; the resident who filed them). OTHER[role] is the same role in another scope of the same kind:
another resident, another community's grid worker / volunteer / staff, another department, another street's supervisor.
"""
from __future__ import annotations

import io
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from libs.auth import Principal, mint_token
from libs.directory import get_directory
from tests.integration.conftest import eventually
from tests.photo_samples import jpeg_with_exif

COMMUNITY, OTHER_COMMUNITY = "xinran", "shiliuqiao"
DEPARTMENT, OTHER_DEPARTMENT = "urban", "police"
STREET = "changyang"
PLACE = {"latitude": 39.7245, "longitude": 116.1432}


def _other_street() -> str:
    streets = [s.id for s in get_directory().streets if s.id != STREET]
    return streets[0] if streets else "another-street"


OWN: dict[str, Principal] = {
    "resident": Principal(sub="m-authz-own", role="resident", name="authz", community_id=COMMUNITY),
    "grid_worker": Principal(sub="g-authz-own", role="grid_worker", community_id=COMMUNITY),
    "operator": Principal(sub="op-authz", role="operator"),
    "volunteer": Principal(sub="v-authz-own", role="volunteer", community_id=COMMUNITY),
    "community_staff": Principal(sub="s-authz-own", role="community_staff", community_id=COMMUNITY),
    "department_staff": Principal(sub="d-authz-own", role="department_staff", department_id=DEPARTMENT),
    "supervisor": Principal(sub="sup-authz-own", role="supervisor", street_id=STREET),
    "leader": Principal(sub="lead-authz", role="leader"),
    "admin": Principal(sub="admin-authz", role="admin"),
}
OTHER: dict[str, Principal] = {
    "resident": Principal(sub="m-authz-other", role="resident", community_id=COMMUNITY),
    "grid_worker": Principal(sub="g-authz-other", role="grid_worker", community_id=OTHER_COMMUNITY),
    "volunteer": Principal(sub="v-authz-other", role="volunteer", community_id=OTHER_COMMUNITY),
    "community_staff": Principal(sub="s-authz-other", role="community_staff", community_id=OTHER_COMMUNITY),
    "department_staff": Principal(sub="d-authz-other", role="department_staff", department_id=OTHER_DEPARTMENT),
    "supervisor": Principal(sub="sup-authz-other", role="supervisor", street_id=_other_street()),
}


def auth(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal)}"}


def _ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text}"
    return answer.json()


class Builder:
    def __init__(self, clients: dict[str, TestClient]) -> None:
        self.c = clients
        self.staff, self.dept, self.sup = auth(OWN["community_staff"]), auth(OWN["department_staff"]), auth(OWN["supervisor"])

    def file(self, who: Principal | None = None, kind: str = "problem", **fields: Any) -> str:
        who = who or OWN["resident"]
        body = {"kind": kind, "title": "路灯不亮", "description": "小区3号楼北侧路灯坏了，晚上很黑", "category": "road", **fields}
        if who.community_id and "community_id" not in fields:
            body["community_id"] = who.community_id
        headers = {**auth(who), "Idempotency-Key": uuid.uuid4().hex}
        return _ok(self.c["intake"].post("/tickets", json=body, headers=headers))["id"]

    def seen(self, service: str, path: str, headers: dict[str, str], check: Any = None) -> Any:
        def probe() -> Any:
            answer = self.c[service].get(path, headers=headers)
            if answer.status_code != 200:
                return None
            body = answer.json()
            return body if check is None or check(body) else None

        return eventually(probe)

    def dispatched(self, ticket_id: str) -> None:
        self.seen("dispatch", f"/tickets/{ticket_id}", self.staff)
        _ok(self.c["dispatch"].post(f"/tickets/{ticket_id}/dispatch", json={"department_id": DEPARTMENT}, headers=self.staff))
        self.seen("department", f"/tickets/{ticket_id}", self.dept)

    def accepted(self, ticket_id: str) -> None:
        self.dispatched(ticket_id)
        _ok(self.c["department"].post(f"/tickets/{ticket_id}/accept", headers=self.dept))


def build_world(clients: dict[str, TestClient]) -> dict[str, Any]:
    b = Builder(clients)
    w: dict[str, Any] = {"missing": "no-such-id-0", "community": COMMUNITY, "other_community": OTHER_COMMUNITY}
    resident = auth(OWN["resident"])
    photo = {"files": ("p.jpg", io.BytesIO(jpeg_with_exif()), "image/jpeg")}
    uploaded = _ok(clients["intake"].post("/attachments", files=photo, headers=resident))["photos"][0]
    w["attachment"] = uploaded["id"]
    w["t_dispatched"] = b.file(attachments=[uploaded["url"]], contact_phone="13700003333", contact_name="authz")  # the photo is seen by whoever sees the ticket
    for key in ("t_filed", "t_dispatch", "t_settle", "t_merge", "t_merge_into", "t_category", "t_suspend", "t_summons",
                "t_return", "t_accepted", "t_resolve", "t_extension", "t_resolved", "t_story"):
        w[key] = b.file()
    w["t_triage"] = b.file(Principal(sub="m-authz-nowhere", role="resident"), address="某条没有名字的路")
    for key in ("t_filed", "t_dispatch", "t_settle", "t_merge", "t_merge_into", "t_category", "t_suspend", "t_summons"):
        b.seen("dispatch", f"/tickets/{w[key]}", b.staff)
    b.seen("dispatch", "/street-triage", b.sup, lambda rows: w["t_triage"] in str(rows))
    for key in ("t_dispatched", "t_return"):
        b.dispatched(w[key])
    for key in ("t_accepted", "t_resolve", "t_extension", "t_resolved"):
        b.accepted(w[key])
    b.dispatched(w["t_story"])
    _ok(clients["department"].post(f"/tickets/{w['t_resolved']}/resolve", json={"note": "已修好"}, headers=b.dept))
    b.seen("feedback", f"/tickets/{w['t_resolved']}", resident, lambda t: t.get("status") == "awaiting_rating")
    extension = {"amount": 2, "unit": "working_days", "reason": "需要采购配件"}
    _ok(clients["department"].post(f"/tickets/{w['t_extension']}/extension", json=extension, headers=b.dept))
    pending = b.seen("dispatch", "/extensions", b.sup, lambda rows: w["t_extension"] in str(rows))
    rows = pending if isinstance(pending, list) else pending.get("items", [])
    w["extension"] = next(r["request_event_id"] for r in rows if r["ticket_id"] == w["t_extension"])
    summons = {"lead_department_id": DEPARTMENT, "co_department_ids": ["water"], "reason": "涉及多个部门，需现场联合处置", **PLACE}
    summoned = _ok(clients["dispatch"].post(f"/tickets/{w['t_summons']}/summons", json=summons, headers=b.staff))
    w["summons"] = summoned["summons"][0]["summons_id"]
    b.seen("department", f"/summons/{w['summons']}", b.dept)
    _build_wishes(clients, b, w)
    inbox = b.seen("notify", "/inbox", resident, lambda page: page.get("items"))
    w["inbox_item"] = inbox["items"][0]["id"]
    topic = {"scope": f"community:{COMMUNITY}", "title": "路灯"}
    b.seen("dashboard", "/tickets", auth(OWN["leader"]), lambda rows: w["t_filed"] in str(rows))
    w["topic"] = _ok(clients["dashboard"].post("/topics", json=topic, headers=auth(OWN["supervisor"])))["id"]
    return w


def _build_wishes(clients: dict[str, TestClient], b: Builder, w: dict[str, Any]) -> None:
    wishes, staff = clients["wishes"], b.staff
    volunteer = auth(OWN["volunteer"])
    for who in ("volunteer",):
        for principal in (OWN[who], OTHER[who]):
            body = {"community_id": principal.community_id, "name": "王志强", "party_member": True, "skills": ["陪诊"]}
            _ok(wishes.put("/volunteers/me", json=body, headers=auth(principal)))
    w["volunteer"] = OWN["volunteer"].sub
    for key in ("w_pending", "w_decline", "w_open", "w_claimed", "w_fulfilled", "w_dispute", "w_reopen"):
        w[key] = b.file(kind="wish", category="other", title="想请人陪我去医院复查", description="腿脚不便，想请人陪同")
    for key in ("w_pending", "w_decline", "w_open", "w_claimed", "w_fulfilled", "w_dispute", "w_reopen"):
        b.seen("wishes", f"/wishes/{w[key]}", staff)
    _ok(wishes.post(f"/volunteers/{w['volunteer']}/confirm", headers=staff))
    for key in ("w_open", "w_claimed", "w_fulfilled", "w_dispute", "w_reopen"):
        _ok(wishes.post(f"/wishes/{w[key]}/approve", json={"estimated_hours": 2}, headers=staff))
    for key in ("w_claimed", "w_fulfilled", "w_dispute", "w_reopen"):
        _ok(wishes.post(f"/wishes/{w[key]}/claim", headers=volunteer))
    for key in ("w_fulfilled", "w_dispute", "w_reopen"):
        _ok(wishes.post(f"/wishes/{w[key]}/fulfil", json={"note": "已陪同复查", "hours": 2}, headers=volunteer))
    _ok(wishes.post(f"/wishes/{w['w_reopen']}/dispute", json={"reason": "没有来"}, headers=auth(OWN["resident"])))
    from services.wishes import ledger

    with Session(wishes.app.state.runtime.engine) as session:
        ledger.earn(session, owner_id=OWN["resident"].sub, community_id=COMMUNITY, source_event_id="seed-authz",
                    reason="wish_fulfilled", points=500)
        session.commit()
    item = {"name": "理发券", "points": 10, "stock": 50, "kind": "offline"}
    w["reward"] = _ok(wishes.post(f"/communities/{COMMUNITY}/rewards", json=item, headers=staff))["id"]
    redeemed = _ok(wishes.post(f"/rewards/{w['reward']}/redeem", headers=auth(OWN["resident"])))
    w["redemption"] = redeemed["id"]
    project = {"title": "清理楼道杂物", "place": "3号楼", "starts_at": "2030-01-05T09:00:00+08:00",
               "ends_at": "2030-01-05T11:00:00+08:00", "capacity": 10, "hours": 2}
    w["project"] = _ok(wishes.post(f"/communities/{COMMUNITY}/projects", json=project, headers=staff))["id"]
    w["signup"] = _ok(wishes.post(f"/projects/{w['project']}/signup", headers=volunteer))["my_signup"]["id"]
