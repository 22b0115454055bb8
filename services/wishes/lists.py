"""三张清单 per community, public and without anyone's details: 需求清单 (wishes on the wall waiting for someone),
资源清单 (what the community's confirmed volunteers and 共建单位 offer: skills counted, units by name) and
项目清单 (service projects still to come, with places left)."""
from __future__ import annotations

from collections import Counter

from sqlmodel import Session, SQLModel, col, select

from services.wishes import projects
from services.wishes.domain import WishStatus
from services.wishes.models import Volunteer, WallWish, Wish
from services.wishes.queries import wall_view


class Resource(SQLModel):
    skill: str
    people: int


class CommunityLists(SQLModel):
    community_id: str
    needs: list[WallWish]
    resources: list[Resource]
    units: list[str]  # 共建单位 by name (organisations, not people)
    projects: list[projects.ProjectPublic]


def community_lists(session: Session, *, community_id: str, limit: int = 50) -> CommunityLists:
    needs = session.exec(
        select(Wish).where(Wish.community_id == community_id, Wish.status == WishStatus.open.value)
        .order_by(col(Wish.posted_at).desc()).limit(limit)
    )
    volunteers = list(session.exec(select(Volunteer).where(Volunteer.community_id == community_id, Volunteer.status == "confirmed")))
    skills = Counter(skill for v in volunteers for skill in set(v.skills))
    units = sorted(v.name for v in volunteers if getattr(v, "kind", "person") == "unit")
    upcoming = projects.of_community(session, community_id=community_id, upcoming_only=True, limit=limit)
    return CommunityLists(
        community_id=community_id, needs=[wall_view(w) for w in needs],
        resources=[Resource(skill=s, people=n) for s, n in skills.most_common(limit)], units=units,
        projects=[projects.project_view(session, p, None) for p in upcoming],
    )
