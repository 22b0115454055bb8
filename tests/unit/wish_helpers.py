"""A wish service database (SQLite, migrated) and the people who act on wishes, for the unit tests."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from libs.auth.principal import Principal
from libs.db import make_engine, migrate, transaction
from libs.events import Actor, TicketFiled
from libs.messaging import OutboxMessage
from services.wishes import commands, volunteers
from services.wishes.models import VolunteerRequest

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "wishes" / "migrations"

WISHER = Principal(sub="m-wisher", role="resident", community_id="xinran")
STAFF = Principal(sub="xinran_staff", role="community_staff", community_id="xinran")
OTHER_STAFF = Principal(sub="shiliuqiao_staff", role="community_staff", community_id="shiliuqiao")
VOLUNTEER = Principal(sub="vol-wang", role="volunteer", community_id="xinran")
VOLUNTEER_2 = Principal(sub="vol-li", role="volunteer", community_id="xinran")
OTHER_VOLUNTEER = Principal(sub="vol-chen", role="volunteer", community_id="shiliuqiao")


class WishDb:
    def __init__(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'wishes.db'}"
        migrate(url, MIGRATIONS)
        self.engine = make_engine(url)

    def run(self, use_case: Callable[..., Any], /, **kwargs: Any) -> Any:
        with transaction(self.engine) as session:
            return use_case(session, **kwargs)

    def read(self, query: Callable[[Session], Any]) -> Any:
        with Session(self.engine) as session:
            return query(session)

    def events(self, event_type: str | None = None) -> list[str]:
        rows = self.read(lambda s: list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id))))
        return [r.event_type for r in rows if event_type in (None, r.event_type)]

    def file_wish(self, *, reporter: str | None = WISHER.sub, community: str = "xinran", **fields: Any) -> str:
        event = TicketFiled(
            ticket_id=f"T-{uuid.uuid4().hex[:10]}", actor=Actor(role="resident", id=reporter or "anon"), kind=fields.pop("kind", "wish"),
            title=fields.pop("title", "想请人陪我去医院复查"), description=fields.pop("description", "腿脚不便，电话13800138000"),
            category="other", community_id=community, reporter_id=reporter, **fields,
        )
        self.run(commands.post_from_ticket, event=event)
        return event.ticket_id

    def enrol(self, principal: Principal, *, name: str = "王志强", party_member: bool = True) -> None:
        body = VolunteerRequest(community_id=principal.community_id or "", name=name, party_member=party_member, work_unit="区卫健委")
        self.run(volunteers.register, principal=principal, body=body)
        staff = Principal(sub="staff", role="community_staff", community_id=principal.community_id)
        self.run(volunteers.confirm, principal=staff, volunteer_id=principal.sub)
