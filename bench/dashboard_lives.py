"""Ticket lives for bench/dashboard.py: N tickets filed evenly over the last 12 months (Beijing), in 2 streets, 6
communities and their grids, 10 departments, every channel and kind, each living a realistic life — settled on the
spot, dispatched (sometimes returned and re-dispatched, warned and escalated past a deadline, summoned with
co-departments), rated (satisfied, basically, unsatisfied and then reopened and resolved again), left unrated or
unreachable on the callback, merged as a duplicate, or still open when the stream ends — and a few 微心愿 with their
volunteers and points. The events of all lives come out in time order, as a topic replayed from offset zero would
give them. Deterministic for a seed (event ids aside)."""
from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from libs.directory import get_directory
from libs.events import (
    Actor,
    CallbackRequested,
    DeadlineWarned,
    DepartmentsSummoned,
    Envelope,
    StageDeadlineSet,
    SummonsCheckedIn,
    TicketAccepted,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketMerged,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketReturned,
    TicketSettledOnSpot,
)
from libs.events.wishes import PointsCredited, WishApproved, WishClaimed, WishConfirmed, WishFulfilled, WishPosted

RESIDENT, STAFF = Actor(role="resident", id="bench-r"), Actor(role="community_staff", id="bench-s")
DEPT, SYSTEM = Actor(role="department_staff", id="bench-d"), Actor(role="system", id="workflow")
VOLUNTEER = Actor(role="volunteer", id="bench-v")
EXTRA_DEPARTMENTS = ["transport", "market", "ecology", "health"]  # with the directory's 6: 10 departments
CHANNELS = (("web", 25), ("h5", 15), ("wechat", 20), ("hotline", 25), ("sms", 5), ("grid", 8), ("open311", 2))
KINDS = (("problem", 80), ("consultation", 8), ("suggestion", 7), ("hazard", 5))
H = 3600.0


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


class Lives:
    """`events()` yields every event of `tickets` lives in time order, ending at `end` (events after it never happen)."""

    def __init__(self, tickets: int, *, seed: int = 12, end: datetime | None = None, wish_share: float = 0.01) -> None:
        self.tickets, self.seed, self.wish_share = tickets, seed, wish_share
        self.end = end or datetime.now(timezone.utc).replace(microsecond=0)
        self.start = self.end - timedelta(days=365)
        directory = get_directory()
        self.communities = [(c.id, list(c.grids), list(c.compounds)) for c in directory.communities][:6]
        self.departments = [d.id for d in directory.departments][:6] + EXTRA_DEPARTMENTS
        self.categories = [(c.id, c.department) for c in directory.categories if c.id != "wish"]
        self.count = 0  # events yielded

    def events(self) -> Iterator[Envelope]:
        rng = random.Random(self.seed)
        heap: list[tuple[datetime, int, Envelope]] = []
        seq = 0
        step = (self.end - self.start) / max(self.tickets, 1)
        for n in range(self.tickets):
            filed_at = self.start + step * n + timedelta(seconds=rng.uniform(0, step.total_seconds()))
            while heap and heap[0][0] <= filed_at:
                self.count += 1
                yield heapq.heappop(heap)[2]
            life = self._wish(rng, n, filed_at) if rng.random() < self.wish_share else self._ticket(rng, n, filed_at)
            for event in life:
                if event.occurred_at <= self.end:
                    seq += 1
                    heapq.heappush(heap, (event.occurred_at, seq, event))
        while heap:
            self.count += 1
            yield heapq.heappop(heap)[2]

    # -- one ticket -------------------------------------------------------------------------------------------------

    def _ticket(self, rng: random.Random, n: int, at: datetime) -> list[Envelope]:
        tid = f"B{n:08d}"
        community, grids, compounds = rng.choice(self.communities)
        category, default_dept = rng.choice(self.categories)
        kind = _pick(rng, KINDS)
        where = rng.random()
        address = f"{rng.choice(compounds)}{rng.randint(1, 30)}号楼" if where < 0.6 and compounds else "某路口"
        lat = lon = None
        if 0.6 <= where < 0.9:
            lat, lon = 39.72 + rng.randint(0, 40) * 0.002, 116.13 + rng.randint(0, 40) * 0.002
        out: list[Envelope] = [TicketFiled(
            ticket_id=tid, actor=RESIDENT, occurred_at=at, kind=kind, title=f"压测诉求{n}", description="bench", category=category,
            channel=_pick(rng, CHANNELS), community_id=community, grid_id=rng.choice(grids) if grids else None,
            address=address, latitude=lat, longitude=lon, urgency="urgent" if rng.random() < 0.05 else "ordinary")]
        t = at
        base = {"ticket_id": tid}
        if rng.random() < 0.03:  # a duplicate merged into an earlier ticket
            t += timedelta(hours=rng.uniform(0.2, 6))
            out += [TicketMerged(**base, actor=STAFF, occurred_at=t, community_id=community, merged_into=f"B{max(n - 1, 0):08d}"),
                    TicketClosed(**base, actor=SYSTEM, occurred_at=t, outcome="merged", merged_into=f"B{max(n - 1, 0):08d}")]
            return out
        out.append(StageDeadlineSet(**base, actor=SYSTEM, occurred_at=t, stage="dispatch", deadline=t + timedelta(hours=24)))
        if kind in ("consultation", "hazard") or rng.random() < 0.18:  # 即办
            t += timedelta(hours=rng.uniform(0.3, 8))
            out.append(TicketSettledOnSpot(**base, actor=STAFF, occurred_at=t, community_id=community, note="当场解决"))
            return out + self._rating(rng, base, community, t, None)
        dept = default_dept if default_dept and rng.random() < 0.7 else rng.choice(self.departments)
        t += timedelta(hours=rng.uniform(0.5, 20))
        out += self._dispatch(base, community, dept, category, t)
        if rng.random() < 0.08:  # 退单, then to another department
            t += timedelta(hours=rng.uniform(1, 30))
            out.append(TicketReturned(**base, actor=DEPT, occurred_at=t, department_id=dept, community_id=community, reason="非本部门职责"))
            dept = rng.choice([d for d in self.departments if d != dept])
            t += timedelta(hours=rng.uniform(1, 10))
            out += self._dispatch(base, community, dept, category, t)
        if rng.random() < 0.01:
            out += self._summons(rng, base, community, dept, t)
        t += timedelta(hours=rng.uniform(0.3, 30))
        out += [TicketAccepted(**base, actor=DEPT, occurred_at=t, department_id=dept),
                StageDeadlineSet(**base, actor=SYSTEM, occurred_at=t, stage="resolve", deadline=t + timedelta(days=5),
                                 warn_at=t + timedelta(days=4), department_id=dept)]
        span = timedelta(hours=rng.uniform(2, 100))
        if rng.random() < 0.09:  # warned, then overdue: 督办
            due = t + timedelta(days=5)
            out += [DeadlineWarned(**base, actor=SYSTEM, occurred_at=due - timedelta(days=1), stage="resolve", deadline=due, department_id=dept),
                    TicketEscalated(**base, actor=SYSTEM, occurred_at=due, stage="resolve", level=1, deadline=due, department_id=dept)]
            if rng.random() < 0.3:
                out.append(TicketEscalated(**base, actor=SYSTEM, occurred_at=due + timedelta(days=1), stage="resolve", level=2,
                                           deadline=due, department_id=dept))
            span = timedelta(days=rng.uniform(5.5, 12))
        t += span
        out.append(TicketResolved(**base, actor=DEPT, occurred_at=t, department_id=dept, note="已办结"))
        return out + self._rating(rng, base, community, t, dept)

    def _dispatch(self, base: dict, community: str, dept: str, category: str, t: datetime) -> list[Envelope]:
        return [TicketDispatched(**base, actor=STAFF, occurred_at=t, community_id=community, department_id=dept, title="压测",
                                 description="bench", category=category),
                StageDeadlineSet(**base, actor=SYSTEM, occurred_at=t, stage="accept", deadline=t + timedelta(hours=24),
                                 department_id=dept)]

    def _rating(self, rng: random.Random, base: dict, community: str, t: datetime, dept: str | None, again: bool = False) -> list[Envelope]:
        roll = rng.random()
        if roll < 0.12:
            return [TicketClosed(**base, actor=SYSTEM, occurred_at=t + timedelta(days=7), outcome="rating_window_expired")]
        if roll < 0.18:
            call = t + timedelta(days=1)
            return [CallbackRequested(**base, actor=SYSTEM, occurred_at=call, community_id=community, deadline=call + timedelta(days=3)),
                    TicketClosed(**base, actor=SYSTEM, occurred_at=call + timedelta(days=3), outcome="callback_unreachable")]
        t += timedelta(hours=rng.uniform(1, 72))
        satisfaction = rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], weights=[70, 18, 12])[0]
        solved = satisfaction != "unsatisfied" or rng.random() < 0.4
        out: list[Envelope] = [TicketRated(**base, actor=RESIDENT, occurred_at=t, satisfaction=satisfaction, solved=solved)]
        if satisfaction == "unsatisfied" and dept and not again and rng.random() < 0.5:  # 重办
            out.append(TicketReopened(**base, actor=SYSTEM, occurred_at=t, community_id=community, reason="未解决"))
            t += timedelta(hours=rng.uniform(1, 10))
            out += self._dispatch(base, community, dept, "other", t)
            t += timedelta(hours=rng.uniform(1, 48))
            out += [TicketAccepted(**base, actor=DEPT, occurred_at=t, department_id=dept),
                    TicketResolved(**base, actor=DEPT, occurred_at=t + timedelta(hours=rng.uniform(2, 48)), department_id=dept, note="重办完成")]
            return out + self._rating(rng, base, community, out[-1].occurred_at, dept, again=True)
        return out + [TicketClosed(**base, actor=SYSTEM, occurred_at=t, outcome="rated")]

    def _summons(self, rng: random.Random, base: dict, community: str, lead: str, t: datetime) -> list[Envelope]:
        co = rng.sample([d for d in self.departments if d != lead], rng.randint(1, 2))
        sid, due = f"S{base['ticket_id']}", t + timedelta(hours=2)
        out: list[Envelope] = [DepartmentsSummoned(**base, actor=STAFF, occurred_at=t, summons_id=sid, community_id=community,
                                                   lead_department_id=lead, co_department_ids=tuple(co), reason="多部门联合处置",
                                                   on_site_due=due)]
        for dept in [lead, *co]:
            roll = rng.random()
            if roll < 0.95:
                late = roll >= 0.8
                at = due + timedelta(minutes=rng.uniform(5, 90)) if late else t + timedelta(minutes=rng.uniform(10, 110))
                out.append(SummonsCheckedIn(**base, actor=DEPT, occurred_at=at, summons_id=sid, department_id=dept, late=late))
        return out

    # -- one wish ---------------------------------------------------------------------------------------------------

    def _wish(self, rng: random.Random, n: int, at: datetime) -> list[Envelope]:
        community = rng.choice(self.communities)[0]
        base = {"wish_id": f"W{n:08d}", "community_id": community}
        volunteer = f"v{rng.randint(1, 400)}"
        claimed, fulfilled = at + timedelta(days=rng.uniform(0.5, 5)), at + timedelta(days=rng.uniform(6, 20))
        out: list[Envelope] = [
            WishPosted(**base, actor=RESIDENT, occurred_at=at, title="微心愿", category="elderly"),
            WishApproved(**base, actor=STAFF, occurred_at=at + timedelta(hours=4), public_title="微心愿", public_summary="bench"),
            WishClaimed(**base, actor=VOLUNTEER, occurred_at=claimed, claim_id=f"c{n}", claimant_id=volunteer,
                        expires_at=claimed + timedelta(days=3)),
        ]
        if rng.random() < 0.8:
            out += [WishFulfilled(**base, actor=VOLUNTEER, occurred_at=fulfilled, claim_id=f"c{n}", claimant_id=volunteer, note="完成", hours=2),
                    WishConfirmed(**base, actor=RESIDENT, occurred_at=fulfilled + timedelta(hours=8), claim_id=f"c{n}", claimant_id=volunteer, hours=2),
                    PointsCredited(actor=SYSTEM, occurred_at=fulfilled + timedelta(hours=8), owner_id=volunteer, community_id=community,
                                   reason="wish_confirmed", source_event_id=f"c{n}", points=30, minutes=120, rules_version=1)]
        return out
