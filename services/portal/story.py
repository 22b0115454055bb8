"""一件诉求的全过程 (the staff's ticket page): intake's story (GET /tickets/{id}/story) turned into lines a person reads —
who (name and role), when (Beijing time), what happened and to which department, the note and whether the resident
reads it, photos, deadlines set or moved, 催办/督办 — and the facts a handler looks for first: the department holding
it, the deadlines with the time left, the reopen reason and the resident's comment, return reasons, merged tickets."""
from __future__ import annotations

import asyncio
from datetime import datetime
from dataclasses import dataclass, field
from typing import Any

from libs.directory import get_directory
from libs.ticket.deadlines import beijing_time
from services.portal.labels import ROLE_LABELS, SATISFACTION_CHOICES, STAGE_LABELS, UNIT_LABELS
from services.portal.users import UserStore
from services.portal.views import format_time

SATISFACTION = dict(SATISFACTION_CHOICES)
# Whose eyes a line's note reaches (intake's visibility).
VISIBILITY_LABELS = {
    "public": ("公开", "居民可见"),
    "internal": ("内部", "居民只看到这一步，看不到说明"),
    "staff": ("内部", "仅工作人员可见"),
}
NOTE_CHOICES = (("internal", "内部（仅工作人员可见）"), ("public", "公开（居民可见）"))


@dataclass(frozen=True)
class StoryLine:
    event_type: str
    when: str
    who: str
    what: str
    note: str | None
    visibility: str
    photos: list[str] = field(default_factory=list)


def _name(kind: str, entry_id: str | None) -> str:
    found = getattr(get_directory(), kind)(entry_id) if entry_id else None
    return found.name if found else (entry_id or "—")


def _stage(stage: str | None) -> str:
    return STAGE_LABELS.get(stage, stage or "")  # type: ignore[call-overload]


def _when(value: str | None) -> str:
    """A deadline as people say it: 11月28日 17:30 (Beijing)."""
    return beijing_time(datetime.fromisoformat(value)) if value else ""


def _at(value: str) -> str:
    """When a line happened: 2026-11-27 16:05 (Beijing)."""
    return format_time(value, "%Y-%m-%d %H:%M")


def what(entry: dict[str, Any]) -> str:
    """What the line adds to its headline: the department, the stage and its deadline, the level, the amount..."""
    d, kind, dept = entry.get("details") or {}, entry["event_type"], entry.get("department_id")
    if kind == "TicketDispatched":
        return f"派至 {_name('department', dept)}"
    if kind in ("TicketAccepted", "TicketReturned", "TicketResolved", "ResidentContacted") and dept:
        return _name("department", dept)
    if kind == "StageDeadlineSet":
        return f"{_stage(d.get('stage'))}时限 {_when(d.get('deadline'))}" + (f"，{_when(d.get('warn_at'))}起催办" if d.get("warn_at") else "")
    if kind == "DeadlineWarned":
        return f"{_stage(d.get('stage'))}时限 {_when(d.get('deadline'))} 将到"
    if kind == "TicketEscalated":
        return f"{d.get('level', '?')}级督办 · {_stage(d.get('stage'))}超时（时限 {_when(d.get('deadline'))}）"
    if kind in ("ExtensionRequested", "ExtensionGranted") and d.get("amount"):
        amount = d["amount"]
        amount = int(amount) if isinstance(amount, float) and amount.is_integer() else amount
        return f"{amount} {UNIT_LABELS.get(d.get('unit'), d.get('unit'))}"
    if kind == "TicketRated" and d.get("satisfaction"):
        return f"{SATISFACTION.get(d['satisfaction'], d['satisfaction'])} · {'已解决' if d.get('solved') else '未解决'}"
    if kind == "TicketReopened":
        return f"第 {d.get('reopen_count', 1)} 次重办" + ("，街道召集联席办" if d.get("joint_handling") else "")
    if kind == "TicketMerged":
        return f"合并到 {d.get('merged_into', '')}"
    if kind == "TicketRecategorized":
        return f"{_name('category', d.get('previous_category'))} → {_name('category', d.get('category'))}"
    if kind == "TicketAssignedToCommunity":
        return f"分拨至 {_name('community', d.get('community_id'))}"
    return ""


def who(entry: dict[str, Any], names: dict[str, str]) -> str:
    """The person and their role; a resident is named by role only, the workflow as 系统."""
    role, actor = entry.get("actor_role"), entry.get("actor_id")
    if role is None or role == "system":
        return "系统"
    label = ROLE_LABELS.get(role, role)
    if role == "resident":
        return "居民"
    name = names.get(actor or "")
    return f"{name}（{label}）" if name else label


async def actor_names(users: UserStore, story: list[dict[str, Any]]) -> dict[str, str]:
    """Display names of the staff who acted (the portal owns the accounts); residents are not looked up."""
    ids = {e["actor_id"] for e in story if e.get("actor_id") and e.get("actor_role") not in (None, "system", "resident")}

    def look_up() -> dict[str, str]:
        found = {}
        for actor_id in ids:
            user = users.get(actor_id)
            if user is not None:
                found[actor_id] = user.display_name
        return found

    return await asyncio.to_thread(look_up) if ids else {}


def story_lines(story: list[dict[str, Any]], names: dict[str, str]) -> list[StoryLine]:
    return [
        StoryLine(
            event_type=e["event_type"], when=_at(e["occurred_at"]), who=who(e, names), what=what(e),
            note=e.get("note"), visibility=e.get("visibility", "public"), photos=list((e.get("details") or {}).get("photos") or []),
        )
        for e in story
    ]


@dataclass(frozen=True)
class Highlight:
    """A fact the handler looks for first, with when and who."""

    when: str
    who: str
    text: str
    extra: str = ""


def highlights(story: list[dict[str, Any]], names: dict[str, str]) -> dict[str, list[Highlight]]:
    """重办原因, 居民评价 and 退单理由, newest first."""
    found: dict[str, list[Highlight]] = {"reopens": [], "ratings": [], "returns": []}
    for e in reversed(story):
        kind, note = e["event_type"], e.get("note") or ""
        at, by = _at(e["occurred_at"]), who(e, names)
        if kind == "TicketReopened":
            found["reopens"].append(Highlight(at, by, note or "（未说明原因）", what(e)))
        elif kind == "TicketRated":
            found["ratings"].append(Highlight(at, by, note or "（未留言）", what(e)))
        elif kind == "TicketReturned":
            found["returns"].append(Highlight(at, by, note, _name("department", e.get("department_id"))))
    return found
