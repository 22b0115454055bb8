"""Who is told what (通知): the escalation roster and the templates as validated data, and the rules — one message per
event per person, quiet hours for SMS, backoff between tries. No I/O."""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any

from libs.directory import Directory
from libs.statemachine import Rejected

BEIJING = timezone(timedelta(hours=8))
EXTERNAL_CHANNELS = ("sms", "wechat", "email")
CHANNELS = ("inbox", *EXTERNAL_CHANNELS)  # 站内信 always; the others by address and preference
PLACEHOLDERS = frozenset({"ticket_id", "title", "community", "department", "stage", "level", "deadline", "note", "reason"})
TEMPLATE_IDS = (
    "resident_filed", "resident_dispatched", "resident_accepted", "resident_resolved", "resident_settled",
    "resident_closed", "resident_merged", "resident_reopened", "community_new_ticket", "community_returned",
    "community_reopened", "department_dispatched", "deadline_warned", "escalated_handler", "escalated_roster",
    "resident_wish_filed", "community_new_wish",
)
# Templates added after documents were first published: a stored version without one takes the shipped file's text.
ADDED_LATER = frozenset({"resident_wish_filed", "community_new_wish"})
STAGE_NAMES = {
    "dispatch": "转哨", "accept": "签收", "contact": "先行联系", "resolve": "办结", "rating": "评价",
    "joint_handling": "联席办", "callback": "回访",
}
ROSTER_LEVELS = ("handlers", "level1", "level2", "level3")


# ---------------------------------------------------------------------- roster (通知名单)


@dataclass(frozen=True)
class RosterPerson:
    id: str
    name: str
    email: str | None = None
    wechat_openid: str | None = None


@dataclass(frozen=True)
class Roster:
    """Who is told at each level, per community, department, street (街道/镇) and the district."""

    version: int
    people: dict[str, RosterPerson]
    communities: dict[str, dict[str, tuple[str, ...]]]
    departments: dict[str, dict[str, tuple[str, ...]]]
    streets: dict[str, dict[str, tuple[str, ...]]]  # street id -> its triage queue's handlers/level1 and level2
    district: dict[str, tuple[str, ...]]
    street_of: dict[str, str]  # community id (and `street:<id>`) -> street id, from the directory it was checked with

    @classmethod
    def parse(cls, document: Any, directory: Directory) -> "Roster":
        """A roster document checked against the directory; a Rejected (422) names the first bad key."""
        if not isinstance(document, dict):
            raise Rejected("roster: must be a mapping")
        version = document.get("version")
        if not isinstance(version, int) or version < 1:
            raise Rejected("version: must be a whole number from 1")
        people: dict[str, RosterPerson] = {}
        for person_id, entry in _mapping(document.get("people"), "people").items():
            entry = _mapping(entry, f"people.{person_id}")
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise Rejected(f"people.{person_id}.name: required")
            email = entry.get("email")
            if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 200):
                raise Rejected(f"people.{person_id}.email: not an e-mail address")
            openid = entry.get("wechat_openid")
            if openid is not None and (not isinstance(openid, str) or not 1 <= len(openid) <= 100):
                raise Rejected(f"people.{person_id}.wechat_openid: not an openid")
            unknown = set(entry) - {"name", "email", "wechat_openid"}
            if unknown:
                raise Rejected(f"people.{person_id}.{sorted(unknown)[0]}: unknown key")
            people[str(person_id)] = RosterPerson(str(person_id), name.strip(), email, openid)

        def levels(value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
            out: dict[str, tuple[str, ...]] = {}
            for level, ids in _mapping(value, where).items():
                if level not in allowed:
                    raise Rejected(f"{where}.{level}: unknown key (allowed: {', '.join(allowed)})")
                if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                    raise Rejected(f"{where}.{level}: must be a list of people")
                for person_id in ids:
                    if person_id not in people:
                        raise Rejected(f"{where}.{level}: {person_id!r} is not in people")
                out[level] = tuple(dict.fromkeys(ids))
            return out

        communities = {}
        for community_id, entry in _mapping(document.get("communities"), "communities").items():
            if directory.community(community_id) is None:
                raise Rejected(f"communities.{community_id}: unknown community")
            communities[community_id] = levels(entry, f"communities.{community_id}", ("handlers", "level1"))
        departments = {}
        for department_id, entry in _mapping(document.get("departments"), "departments").items():
            if directory.department(department_id) is None:
                raise Rejected(f"departments.{department_id}: unknown department")
            departments[department_id] = levels(entry, f"departments.{department_id}", ("handlers", "level1"))
        streets = {}
        if "street" in document:  # the older shape: one street, the district's first
            streets[directory.default_street.id] = levels(document.get("street"), "street", ("handlers", "level1", "level2"))
        for street_id, entry in _mapping(document.get("streets"), "streets").items():
            if directory.street(street_id) is None:
                raise Rejected(f"streets.{street_id}: unknown street")
            streets[street_id] = levels(entry, f"streets.{street_id}", ("handlers", "level1", "level2"))
        district = levels(document.get("district"), "district", ("level3",))
        unknown = set(document) - {"version", "people", "communities", "departments", "street", "streets", "district"}
        if unknown:
            raise Rejected(f"{sorted(unknown)[0]}: unknown key")
        street_of = {c.id: c.street for c in directory.communities}
        street_of.update({directory.triage_scope_of(s.id): s.id for s in directory.streets})
        return cls(version, people, communities, departments, streets, district, street_of)

    def document(self) -> dict[str, Any]:
        def person(p: RosterPerson) -> dict[str, Any]:
            return {k: v for k, v in (("name", p.name), ("email", p.email), ("wechat_openid", p.wechat_openid)) if v}

        def lists(levels: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
            return {k: list(v) for k, v in levels.items()}

        return {
            "version": self.version,
            "people": {pid: person(p) for pid, p in self.people.items()},
            "communities": {cid: lists(v) for cid, v in self.communities.items()},
            "departments": {did: lists(v) for did, v in self.departments.items()},
            "streets": {sid: lists(v) for sid, v in self.streets.items()},
            "district": lists(self.district),
        }

    def _ids(self, level: str, community_id: str | None, department_id: str | None) -> tuple[str, ...]:
        street = self.streets.get(self.street_of.get(community_id or "", ""), {})  # the ticket's street
        if level == "level2":
            return street.get("level2", ())
        if level == "level3":
            return self.district.get("level3", ())
        if department_id:
            return self.departments.get(department_id, {}).get(level, ())
        if community_id and community_id.startswith("street:"):  # 街道分拨: the street's own queue
            return street.get(level, ())
        return self.communities.get(community_id or "", {}).get(level, ())

    def lookup(self, level: str, *, community_id: str | None = None, department_id: str | None = None) -> list[RosterPerson]:
        """Who is told at `level` (handlers, level1..3) of a ticket held by the department, else the community."""
        if level not in ROSTER_LEVELS:
            raise Rejected(f"level: one of {', '.join(ROSTER_LEVELS)}")
        return [self.people[i] for i in self._ids(level, community_id, department_id)]


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Rejected(f"{where}: must be a mapping")
    return value


# ---------------------------------------------------------------------- templates (通知模板)


@dataclass(frozen=True)
class Template:
    title: str
    text: str


@dataclass(frozen=True)
class Templates:
    version: int
    sms_signature: str
    templates: dict[str, Template]

    @classmethod
    def parse(cls, document: Any, shipped: dict[str, Any] | None = None) -> "Templates":
        """`shipped`: the file's templates, the text of an ADDED_LATER template a (stored, older) document lacks."""
        if not isinstance(document, dict):
            raise Rejected("templates: must be a mapping")
        version = document.get("version")
        if not isinstance(version, int) or version < 1:
            raise Rejected("version: must be a whole number from 1")
        signature = document.get("sms_signature", "")
        if not isinstance(signature, str) or len(signature) > 20:
            raise Rejected("sms_signature: at most 20 characters")
        entries = _mapping(document.get("templates"), "templates")
        parsed: dict[str, Template] = {}
        for template_id in TEMPLATE_IDS:
            entry = entries.get(template_id)
            if entry is None and template_id in ADDED_LATER and shipped:
                entry = shipped.get(template_id)
            if not isinstance(entry, dict):
                raise Rejected(f"templates.{template_id}: missing")
            for key, limit in (("title", 60), ("text", 400)):
                value = entry.get(key)
                if not isinstance(value, str) or not value.strip() or len(value) > limit:
                    raise Rejected(f"templates.{template_id}.{key}: 1 to {limit} characters")
                _check_placeholders(value, f"templates.{template_id}.{key}")
            parsed[template_id] = Template(entry["title"].strip(), entry["text"].strip())
        unknown = set(entries) - set(TEMPLATE_IDS)
        if unknown:
            raise Rejected(f"templates.{sorted(unknown)[0]}: unknown template")
        return cls(version, signature, parsed)

    def document(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sms_signature": self.sms_signature,
            "templates": {k: {"title": t.title, "text": t.text} for k, t in self.templates.items()},
        }

    def render(self, template_id: str, context: dict[str, Any]) -> tuple[str, str]:
        """(title, text) with every placeholder filled; a value the event lacks reads as —."""
        template = self.templates[template_id]
        values = _Blank({k: v for k, v in context.items() if v not in (None, "")})
        return template.title.format_map(values), template.text.format_map(values)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def _check_placeholders(text: str, where: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise Rejected(f"{where}: {exc} (write {{{{ and }}}} for a literal brace)") from None
    bad = sorted(n for n in names if n not in PLACEHOLDERS)
    if bad:
        raise Rejected(f"{where}: unknown placeholder {{{bad[0]}}} (allowed: {', '.join(sorted(PLACEHOLDERS))})")


# ---------------------------------------------------------------------- rules


def quiet_until(now: datetime, start: int = 22, end: int = 7) -> datetime | None:
    """During quiet hours (Beijing, start:00 to end:00) the UTC moment they end; else None."""
    local = now.astimezone(BEIJING)
    if start > end:
        quiet = local.hour >= start or local.hour < end
    else:
        quiet = start <= local.hour < end
    if not quiet:
        return None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=BEIJING).astimezone(timezone.utc)


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds before try number attempts + 1: doubling from `base`, at most `cap`."""
    return min(base * 2 ** max(attempts - 1, 0), cap)


@dataclass(frozen=True)
class Notice:
    """One person to tell about one event, with which template; `roster` is their roster entry if any."""

    person_id: str
    template: str
    roster: RosterPerson | None = None


@dataclass
class Audience:
    """The people one event concerns, each once (the first reason wins: roster before handlers before resident)."""

    notices: dict[str, Notice] = field(default_factory=dict)

    def add(self, people: list[RosterPerson], template: str) -> None:
        for person in people:
            self.notices.setdefault(person.id, Notice(person.id, template, person))

    def add_resident(self, reporter_id: str | None, template: str) -> None:
        if reporter_id:
            self.notices.setdefault(reporter_id, Notice(reporter_id, template))
