"""Who sees which dashboard figures, in one place: leaders and admins see the whole district; a supervisor the
district-wide aggregates (all, category, department, channel, kind) but, of the figures and tickets of one place
(community, its triage queue, grid), only those of their own street (a 小区's repeated tickets are not narrowed yet); community staff their own community, department
staff their own department. Every query asks `visibility(principal)` and nothing else."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.sql import Select

from libs.auth.principal import Principal, street_scope
from libs.directory import get_directory
from libs.statemachine import Forbidden

LEADERSHIP = ("leader", "supervisor", "admin")


@dataclass(frozen=True)
class Visibility:
    everything: bool
    community_id: str | None = None
    department_id: str | None = None
    communities: frozenset[str] | None = None  # a supervisor's street: its community ids and triage queue (street:<id>)

    @property
    def own_scope(self) -> str | None:
        """The one scope a staff member may read (None: leadership, or a staff token without a scope)."""
        if self.community_id:
            return f"community:{self.community_id}"
        if self.department_id:
            return f"department:{self.department_id}"
        return None

    def may_read(self, scope: str) -> bool:
        if self.communities is not None and not self._in_street(scope):
            return False
        return self.everything or (self.own_scope is not None and scope == self.own_scope)

    def _in_street(self, scope: str) -> bool:
        """Whether a place-scope lies in the supervisor's street (district-wide aggregates do)."""
        assert self.communities is not None
        kind, _, value = scope.partition(":")
        if kind == "community":
            return value in self.communities
        if kind == "triage":
            return get_directory().triage_scope_of(value) in self.communities
        if kind == "grid":
            community = get_directory().community_of_grid(value)
            return community is not None and community.id in self.communities
        return True  # district-wide aggregates, and 小区 (place:), which the dashboard does not place in a community

    def check(self, scope: str) -> None:
        if not self.may_read(scope):
            raise Forbidden(f"scope: {scope!r} 超出您的查看范围（{self.own_scope or '无'}）")

    def filter_tickets(self, query: Select, table: type) -> Select:
        """Only the tickets this caller may see (drill-down, overdue and escalated lists)."""
        if self.communities is not None:
            return query.where(table.community_id.in_(sorted(self.communities)))
        if self.everything:
            return query
        if self.community_id:
            return query.where(table.community_id == self.community_id)
        if self.department_id:
            return query.where(table.department_id == self.department_id)
        return query.where(table.id.is_(None))  # a staff token without its scope sees nothing

    def require_everything(self, what: str) -> None:
        if not self.everything:
            raise Forbidden(f"{what}: 仅领导、督办和管理员可查看")


def visibility(principal: Principal) -> Visibility:
    """What `principal` may see of the dashboard."""
    if principal.role == "supervisor":
        return Visibility(everything=True, communities=frozenset(street_scope(principal) or ()))
    if principal.role in LEADERSHIP:
        return Visibility(everything=True)
    if principal.role == "community_staff":
        return Visibility(everything=False, community_id=principal.community_id or None)
    if principal.role == "department_staff":
        return Visibility(everything=False, department_id=principal.department_id or None)
    return Visibility(everything=False)


def authorize_scope(principal: Principal, scope: str) -> None:
    visibility(principal).check(scope)
