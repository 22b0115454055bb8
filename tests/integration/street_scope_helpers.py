"""Two streets of the demo district (长阳镇 `changyang`, 拱辰街道 `gongchen`) and the people who work them, for the
street-scope tests: a supervisor sees and acts on their own street's tickets only, a leader on the district's."""
from __future__ import annotations

import uuid

from tests.integration.conftest import bearer, eventually

SUP_A = bearer("supervisor", "sup-scope-a", street_id="changyang")
SUP_B = bearer("supervisor", "sup-scope-b", street_id="gongchen")
LEADER_B = bearer("leader", "lead-scope-b", street_id="gongchen")  # leaders watch the district
ADMIN = bearer("admin", "admin-scope")
XINRAN = bearer("community_staff", "s-scope-xinran", community_id="xinran")
XINGGONGYUAN = bearer("community_staff", "s-scope-xgy", community_id="xinggongyuan")
TIANXINGJIE = bearer("community_staff", "s-scope-txj", community_id="tianxingjie")
URBAN = bearer("department_staff", "d-scope-urban", department_id="urban")


def ok(answer):  # noqa: ANN001, ANN201
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def file(intake, community_id: str | None, *, kind: str = "problem", category: str = "road", **fields) -> str:
    """A resident's filing in `community_id` (None: a resident without a community, placed by the address)."""
    scope = {"community_id": community_id} if community_id else {}
    resident = bearer("resident", f"r-scope-{uuid.uuid4().hex[:8]}", **scope)
    body = {"kind": kind, "title": "路面坑洼", "description": "路面有大坑，车辆经过颠簸", "category": category, **fields}
    if community_id:
        body["community_id"] = community_id
    return ok(intake.post("/tickets", json=body, headers={**resident, "Idempotency-Key": uuid.uuid4().hex}))["id"]


def arrived(client, ticket_id: str, headers: dict[str, str], path: str = "/tickets/{id}") -> dict:
    """The ticket once the service has consumed its filing (asked as someone who may see it)."""
    def probe():  # noqa: ANN202
        found = client.get(path.format(id=ticket_id), headers=headers)
        return found.json() if found.status_code == 200 else None

    return eventually(probe)


def ids(answer) -> set[str]:  # noqa: ANN001
    rows = ok(answer)
    return {r.get("id") or r.get("ticket_id") for r in rows}
