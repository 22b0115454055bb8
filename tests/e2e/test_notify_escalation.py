"""The whole stack: a ticket filed and left undispatched (category `property`, whose dispatch deadline is 4 s in the
test policy) climbs to 督办 level 1, and the roster's level-1 person for its community (馨然嘉园社区·赵书记,
`xinran_staff`) receives an e-mail, read back from the local SMTP server every stack's notify sends to, and an
inbox message; the resident has the filing notice in theirs, and nobody else reads either."""
from __future__ import annotations

import httpx
import pytest

from libs.auth import Principal
from tests.e2e.test_overdue import file_ticket
from tests.e2e.test_ticket_life import DEADLINE_TIMEOUT, RESIDENT, auth, eventually

SECRETARY = Principal(sub="xinran_staff", role="community_staff", name="馨然嘉园社区·赵书记", community_id="xinran")
OTHER_STAFF = Principal(sub="shiliuqiao_staff", role="community_staff", community_id="shiliuqiao")
SECRETARY_EMAIL = "xinran.shuji@changyang.example.cn"


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(timeout=30) as client:
        yield client


def inbox_item(stack, http, principal: Principal, ticket_id: str, template: str) -> dict | None:
    answer = http.get(f"{stack.urls['notify']}/inbox", headers=auth(principal), params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return next((i for i in answer.json()["items"] if i["ticket_id"] == ticket_id and i["template"] == template), None)


def test_an_undispatched_ticket_reaches_level_one_and_the_roster_person_gets_an_email_and_an_inbox_message(
    stack, http, mail_sink, deadline_categories
):
    ticket_id = file_ticket(stack, http, "小区消防通道被占", category=deadline_categories["dispatch"])

    filed = eventually(lambda: inbox_item(stack, http, RESIDENT, ticket_id, "resident_filed"), what="the filing notice in the resident's inbox")
    assert ticket_id in filed["body"] and "已受理" in filed["body"]

    escalated = eventually(
        lambda: inbox_item(stack, http, SECRETARY, ticket_id, "escalated_roster"),
        timeout=DEADLINE_TIMEOUT, what="督办 level 1 in the secretary's inbox",
    )
    assert escalated["title"] == "督办通知" and "督办（一级）" in escalated["body"] and "转哨" in escalated["body"]

    mail = eventually(
        lambda: [m for m in mail_sink.to(SECRETARY_EMAIL) if ticket_id in str(m["Subject"]) and "督办" in str(m["Subject"])],
        what="the 督办 e-mail at the local SMTP server",
    )
    assert len(mail) == 1 and "督办（一级）" in mail[0].get_content() and "小区消防通道被占" in mail[0].get_content()

    # Each of them reads only their own
    assert inbox_item(stack, http, OTHER_STAFF, ticket_id, "escalated_roster") is None
    assert inbox_item(stack, http, RESIDENT, ticket_id, "escalated_roster") is None
    stranger = http.post(f"{stack.urls['notify']}/inbox/{escalated['id']}/read", headers=auth(OTHER_STAFF))
    assert stranger.status_code == 404
    read = http.post(f"{stack.urls['notify']}/inbox/{escalated['id']}/read", headers=auth(SECRETARY))
    assert read.status_code == 200 and read.json()["read_at"]

    def level1_log() -> list[dict] | None:
        log = http.get(f"{stack.urls['notify']}/messages", headers=auth(SECRETARY), params={"ticket_id": ticket_id}).json()
        mine = [m for m in log if m["template"] == "escalated_roster" and m["person_id"] == "xinran_staff"]
        return mine if mine and all(m["status"] == "sent" for m in mine) else None

    assert {m["channel"] for m in eventually(level1_log, what="the log says sent")} == {"inbox", "email"}
