"""Demo data for `make run`: print the portal URL and demo logins, then file demo tickets through intake: three in
长阳镇 (as the first resident) and three in the second street, 拱辰街道, one per community (as its resident).

    python -m deploy.demo            # PORTAL_URL, INTAKE_URL and JWT_SECRET from the environment

Rerunning files nothing new: each demo ticket's Idempotency-Key is derived from its content.
Never fails because intake is down; it prints a warning instead.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import httpx

from libs.auth import Principal, mint_token
from libs.directory import get_directory
from libs.settings import get_settings
from services.portal.users import DEMO_USERS_FILE, DemoUser, load_demo_users

INTAKE_WAIT_SECONDS = 30.0

DEMO_TICKETS: tuple[dict, ...] = (
    {
        "kind": "problem",
        "title": "小区门口路面塌陷",
        "description": "3号楼南侧人行道塌陷约半米，老人经过很危险，请尽快修复。",
        "category": "road",
        "address": "馨然嘉园3号楼南侧",
        "contact_phone": "13800138000",
        "channel": "h5",
    },
    {
        "kind": "problem",
        "title": "地下室供水管漏水",
        "description": "5号楼地下室水管接口持续漏水，已经积水，影响储藏室。",
        "category": "water_supply",
        "address": "馨然嘉园5号楼地下室",
        "channel": "h5",
    },
    {
        "kind": "wish",
        "title": "想请志愿者帮忙修理轮椅",
        "description": "独居老人，轮椅刹车坏了，希望有志愿者上门帮忙修一修。",
        "category": "wish",
        "address": "馨然嘉园8号楼2单元",
        "channel": "h5",
        "anonymous": True,
    },
)


# The second street's tickets, filed by its resident (resident3), each in the community it names.
SECOND_STREET_TICKETS: tuple[dict, ...] = (
    {
        "kind": "problem",
        "title": "行宫园小区路灯不亮",
        "description": "行宫园小区2号楼到4号楼之间的路灯已经一周不亮，晚上出行不安全。",
        "category": "road",
        "address": "行宫园小区2号楼北侧",
        "community_id": "xinggongyuan",
        "latitude": 39.7752, "longitude": 116.1102,
        "channel": "h5",
    },
    {
        "kind": "problem",
        "title": "天星街早市占道经营",
        "description": "天星街小区东门外早市摊位占满人行道，垃圾无人清理。",
        "category": "garbage",
        "address": "天星街小区东门",
        "community_id": "tianxingjie",
        "channel": "h5",
    },
    {
        "kind": "problem",
        "title": "西潞园楼道暖气不热",
        "description": "西潞园小区6号楼3单元暖气温度很低，家中老人受凉。",
        "category": "heating",
        "address": "西潞园小区6号楼3单元",
        "community_id": "xiluyuan",
        "channel": "h5",
    },
)


def idempotency_key(ticket: dict) -> str:
    """Same demo ticket, same key: a rerun gets the ticket filed the first time."""
    digest = hashlib.sha256(json.dumps(ticket, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"demo-{digest[:32]}"


def scope_of(user: DemoUser) -> str:
    directory = get_directory()
    if user.community_id:
        community = directory.community(user.community_id)
        return community.name if community else user.community_id
    if user.department_id:
        department = directory.department(user.department_id)
        return department.name if department else user.department_id
    if user.role == "leader":  # leaders watch the whole district
        street = directory.street(user.street_id)
        return f"{directory.district.name}（{street.name}）" if street else directory.district.name
    if user.street_id:
        street = directory.street(user.street_id)
        return street.name if street else user.street_id
    return "全区"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def print_logins(portal_url: str, users: list[DemoUser]) -> None:
    rows = [("username", "password", "role", "scope")] + [
        (u.username, u.password or "", u.role, scope_of(u)) for u in users
    ]
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    print(f"\nWhistle portal 居民吹哨: {portal_url}\n")
    for n, row in enumerate(rows):
        print(("  " + "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row))).rstrip())
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
    print()


def wait_for_intake(client: httpx.Client, deadline: float) -> bool:
    while True:
        try:
            if client.get("/healthz").status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(1)


def file_demo_tickets(
    intake_url: str, resident: DemoUser, wait_seconds: float | None = None, tickets: tuple[dict, ...] = DEMO_TICKETS
) -> int:
    """File `tickets` as `resident` (in the resident's community unless a ticket names one); returns how many intake
    accepted (new or already filed)."""
    wait_seconds = INTAKE_WAIT_SECONDS if wait_seconds is None else wait_seconds
    token = mint_token(
        Principal(sub=resident.username, role="resident", name=resident.name, community_id=resident.community_id)
    )
    filed = 0
    with httpx.Client(base_url=intake_url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
        if not wait_for_intake(client, time.monotonic() + wait_seconds):
            print(f"warning: intake at {intake_url} did not answer within {wait_seconds:.0f}s; no demo tickets filed",
                  file=sys.stderr)
            return 0
        for ticket in tickets:
            body = {"community_id": resident.community_id, **ticket}
            try:
                response = client.post("/tickets", json=body, headers={"Idempotency-Key": idempotency_key(ticket)})
            except httpx.HTTPError as exc:
                print(f"warning: filing {ticket['title']!r} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            if response.status_code in (200, 201):
                filed += 1
                verb = "filed" if response.status_code == 201 else "already filed"
                print(f"  {verb}: {response.json()['id']}  {ticket['title']}  (as {resident.username})")
            else:
                print(f"warning: filing {ticket['title']!r} got HTTP {response.status_code}: {response.text[:300]}",
                      file=sys.stderr)
    return filed


def enrol_demo_volunteers(wishes_url: str, users: list[DemoUser]) -> int:
    """在职党员报到 for every demo volunteer, confirmed by their community, so they may claim wishes at once."""
    enrolled = 0
    with httpx.Client(base_url=wishes_url, timeout=10) as client:
        for user in (u for u in users if u.role == "volunteer" and u.community_id):
            volunteer = Principal(sub=user.username, role="volunteer", name=user.name, community_id=user.community_id)
            staff = Principal(sub="demo", role="community_staff", community_id=user.community_id)
            body = {"community_id": user.community_id, "name": user.name, "party_member": True, "work_unit": "区卫健委",
                    "skills": ["陪诊", "家电维修"], "availability": "周末全天"}
            try:
                client.put("/volunteers/me", json=body, headers={"Authorization": f"Bearer {mint_token(volunteer)}"})
                client.post(f"/volunteers/{user.username}/confirm", headers={"Authorization": f"Bearer {mint_token(staff)}"})
                enrolled += 1
            except httpx.HTTPError as exc:
                print(f"warning: enrolling {user.username} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return enrolled


def main(users_file: Path = DEMO_USERS_FILE) -> int:
    settings = get_settings()
    portal_url = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000")
    users = load_demo_users(users_file)
    print_logins(portal_url, users)
    resident = next((u for u in users if u.role == "resident" and u.community_id), None)
    if resident is None:
        print("warning: no resident with a community in the demo users; no demo tickets filed", file=sys.stderr)
        return 0
    print(f"Filing {len(DEMO_TICKETS)} demo tickets through intake ({settings.intake_url}) ...")
    file_demo_tickets(settings.intake_url, resident)
    directory = get_directory()
    second = directory.streets[1] if len(directory.streets) > 1 else None
    neighbour = next((u for u in users if second and u.role == "resident" and directory.street_of(u.community_id) == second.id), None)
    if neighbour is not None:
        print(f"Filing {len(SECOND_STREET_TICKETS)} demo tickets in {second.name} ...")  # type: ignore[union-attr]
        file_demo_tickets(settings.intake_url, neighbour, wait_seconds=0, tickets=SECOND_STREET_TICKETS)
    print(f"Enrolled {enrol_demo_volunteers(settings.wishes_url, users)} demo volunteers with their communities (志愿者报到)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
