"""The micro-wish's rules (寻梦—揽梦—圆梦): statuses, legal moves, and who may make each. No I/O.

Every refusal is a DomainError (409) or Forbidden (403) whose message names the reason in Chinese, because the
portal shows it to the person as it is."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from libs.auth.principal import street_covers
from libs.statemachine import DomainError, Forbidden


class WishStatus(StrEnum):
    pending_review = "pending_review"  # 待审核
    declined = "declined"  # 未通过
    open = "open"  # 心愿墙上，待认领
    claimed = "claimed"  # 已认领 (揽梦)
    fulfilled = "fulfilled"  # 已圆梦，待确认
    disputed = "disputed"  # 心愿人有异议
    confirmed = "confirmed"  # 已确认完成


W = WishStatus
TRANSITIONS: dict[WishStatus, frozenset[WishStatus]] = {
    W.pending_review: frozenset({W.open, W.declined}),
    W.declined: frozenset(),
    W.open: frozenset({W.claimed}),
    W.claimed: frozenset({W.open, W.fulfilled}),
    W.fulfilled: frozenset({W.confirmed, W.disputed}),
    W.disputed: frozenset({W.fulfilled, W.open}),
    W.confirmed: frozenset(),
}
ON_THE_WALL = (W.open, W.claimed, W.fulfilled, W.disputed, W.confirmed)  # what the public wall may show
STAFF_ROLES = frozenset({"community_staff", "supervisor", "admin"})

STATUS_ZH = {
    W.pending_review: "待审核", W.declined: "未通过审核", W.open: "待认领", W.claimed: "已认领",
    W.fulfilled: "已圆梦待确认", W.disputed: "有异议", W.confirmed: "已完成",
}

# Why a move is refused, per action and current status: the reason the person reads.
REFUSALS: dict[str, dict[WishStatus, str]] = {
    "review": {s: f"心愿{STATUS_ZH[s]}，不能再审核" for s in WishStatus if s != W.pending_review},
    "claim": {
        W.pending_review: "心愿尚未通过审核，不能认领",
        W.declined: "心愿未通过审核，不能认领",
        W.claimed: "心愿已被认领，请选择其他心愿",
        W.fulfilled: "心愿已圆梦，不能认领",
        W.disputed: "心愿正在处理异议，不能认领",
        W.confirmed: "心愿已完成，不能认领",
    },
    "release": {s: f"心愿{STATUS_ZH[s]}，没有可放弃的认领" for s in WishStatus if s != W.claimed},
    "fulfil": {
        **{s: f"心愿{STATUS_ZH[s]}，不能登记圆梦" for s in WishStatus},
        W.fulfilled: "已登记圆梦，请等待心愿人确认",
    },
    "confirm": {
        **{s: f"心愿{STATUS_ZH[s]}，还不能确认" for s in WishStatus},
        W.confirmed: "心愿已确认，不能重复确认",
        W.disputed: "心愿已提出异议，请等待认领人重新登记",
    },
    "dispute": {
        **{s: f"心愿{STATUS_ZH[s]}，不能提出异议" for s in WishStatus},
        W.disputed: "已提出异议，不能重复提出",
        W.confirmed: "心愿已确认完成，不能再提出异议",
    },
    "reopen": {s: f"心愿{STATUS_ZH[s]}，不能退回心愿墙" for s in WishStatus if s != W.disputed},
}
ACTION_TARGET = {
    "claim": W.claimed, "release": W.open, "fulfil": W.fulfilled, "confirm": W.confirmed,
    "dispute": W.disputed, "reopen": W.open,
}


def check_move(action: str, current: WishStatus, target: WishStatus | None = None) -> WishStatus:
    """The status `action` leads to from `current`, or a DomainError naming the reason in Chinese."""
    target = target or ACTION_TARGET[action]
    if target not in TRANSITIONS[current]:
        raise DomainError(REFUSALS[action].get(current) or f"心愿{STATUS_ZH[current]}，不能这样操作")
    return target


@dataclass(frozen=True)
class Actor:
    """Who acts on a wish, as the rules need it: account id, role, community scope."""

    sub: str
    role: str
    community_id: str | None
    street_id: str | None = None  # a supervisor's street


def check_staff_scope(actor: Actor, community_id: str) -> None:
    """Community staff act in their own community only; a supervisor in the communities of their street; admins
    everywhere."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("只有社区工作人员可以这样操作")
    if actor.role == "community_staff" and actor.community_id != community_id:
        raise Forbidden("这个心愿不属于您所在的社区")
    if actor.role == "supervisor" and not street_covers(actor.street_id, community_id):
        raise Forbidden("这个社区不在您督办的街道")


def check_claimant(actor: Actor, *, community_id: str, wisher_id: str | None) -> None:
    """揽梦: a volunteer of the wish's community, never the wisher."""
    if actor.role != "volunteer":
        raise Forbidden("只有志愿者可以认领心愿")
    if actor.community_id != community_id:
        raise Forbidden("只能认领您报到社区的心愿")
    if wisher_id is not None and actor.sub == wisher_id:
        raise DomainError("不能认领自己的心愿")


def check_is_claimant(actor: Actor, claimant_id: str | None) -> None:
    if actor.sub != claimant_id:
        raise DomainError("这个心愿不是您认领的，不能操作")


def check_wisher_or_staff(actor: Actor, *, community_id: str, wisher_id: str | None) -> bool:
    """The wisher confirms or disputes; staff may do it for them (an elderly wisher without a phone). True: on behalf."""
    if actor.role in STAFF_ROLES:
        check_staff_scope(actor, community_id)
        return actor.sub != wisher_id
    if wisher_id is None or actor.sub != wisher_id:
        raise Forbidden("只有心愿人或社区工作人员可以确认")
    return False


def claim_expiry(claimed_at: datetime, span: timedelta) -> datetime:
    return claimed_at + span


PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def public_text(text: str) -> str:
    """What the wall may show of a resident's words: phone and ID numbers masked (staff may reword on approval)."""
    text = ID_NUMBER_IN_TEXT.sub("******************", text)
    return PHONE_IN_TEXT.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)


def claimant_label(name: str, *, party_member: bool) -> str:
    """How the wall names a claimant: role and surname only (党员志愿者 王*)."""
    who = "党员志愿者" if party_member else "志愿者"
    return f"{who} {name[:1]}*" if name else who
