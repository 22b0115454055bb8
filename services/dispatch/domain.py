"""The community's rules: which department a ticket should go to, and which triage moves are legal. No I/O."""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from libs.directory import Directory
from libs.sla.policy import PolicyError, SlaPolicy
from libs.statemachine import DomainError, Rejected, check_next_version, check_transition
from libs.ticket import AWAITING_COMMUNITY, FINISHED, TICKET_TRANSITIONS, TicketStatus


class UnknownDepartment(Rejected):
    pass


def propose_department(directory: Directory, category: str) -> str | None:
    """Routing rule: the category's responsible department (routing by area comes with the admin rules)."""
    cat = directory.category(category)
    return cat.department if cat else None


class UnknownCategory(Rejected):
    pass


def recategorize(directory: Directory, current: TicketStatus, *, category: str, new_category: str) -> str | None:
    """分类调整 while the community holds the ticket (before 派单, or after a return or reopening); returns the new
    proposed department (the category's)."""
    if directory.category(new_category) is None:
        known = ", ".join(c.id for c in directory.categories)
        raise UnknownCategory(f"category: unknown category {new_category!r}; known: {known}")
    if current not in AWAITING_COMMUNITY:
        raise DomainError(f"ticket is {current.value}; the category can be changed only while the community holds the ticket")
    if new_category == category:
        raise DomainError(f"category: the ticket is already in {category!r}")
    return propose_department(directory, new_category)


def check_department(directory: Directory, department_id: str, community_id: str | None = None) -> None:
    """派单 / 改派 names a department the district has, and one serving the ticket's street: a district department or
    the street's own (whether the move is legal is the ticket fold's call)."""
    if directory.department(department_id) is None:
        known = ", ".join(d.id for d in directory.departments)
        raise UnknownDepartment(f"department_id: unknown department {department_id!r}; known: {known}")
    if community_id is not None and not directory.serves(department_id, community_id):
        known = ", ".join(d.id for d in directory.departments_for(community_id))
        raise UnknownDepartment(
            f"department_id: department {department_id!r} belongs to another street and does not serve {community_id!r}; known: {known}"
        )


class UnknownCommunity(Rejected):
    pass


def check_placed(directory: Directory, community_id: str) -> None:
    """派单 and 即办 are a community's: a ticket in the street's triage queue is assigned to one first."""
    if directory.is_triage(community_id):
        raise DomainError(
            "community_id: the ticket waits in the street's triage queue (街道分拨); assign it to a community first"
        )


def check_assignment(
    directory: Directory, *, current_community: str, status: TicketStatus, community_id: str, grid_id: str | None
) -> None:
    """街道分拨: a ticket still in the street's triage queue goes to a community of the street (and one of its grids),
    or, when it belongs to another street, to that street's triage queue (转其他街道)."""
    if not directory.is_triage(current_community):
        raise DomainError(
            f"community_id: the ticket is already in community {current_community!r}; only the street's triage queue is assigned"
        )
    if status not in AWAITING_COMMUNITY:
        raise DomainError(f"ticket is {status.value}; only a ticket waiting for triage can be assigned to a community")
    street = directory.street_of(current_community)
    if directory.is_triage(community_id):
        if community_id == current_community or grid_id is not None:
            raise UnknownCommunity(f"community_id: {community_id!r} is this ticket's queue; name a community, or another street's queue without a grid")
        return
    community = directory.community(community_id)
    if community is None or community.street != street:
        known = ", ".join(c.id for c in directory.communities_of(street))
        what = "unknown community" if community is None else f"community of another street ({community.street}):"
        raise UnknownCommunity(f"community_id: {what} {community_id!r}; this street's: {known}, or another street's queue street:<id>")
    if grid_id is not None and grid_id not in community.grids:
        raise UnknownCommunity(f"grid_id: grid {grid_id!r} is not one of community {community_id!r}'s grids")


def settle_on_spot(current: TicketStatus) -> TicketStatus:
    """即办件当场结: only while the community holds the ticket."""
    if current not in AWAITING_COMMUNITY:
        raise DomainError(f"ticket is {current.value}; only a ticket waiting for the community can be settled on the spot")
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.settled_on_spot)


class PolicyRejected(Rejected):
    """The SLA policy or calendar document is not usable; the message names the key."""


class MergeRejected(Rejected):
    """The merge names a ticket it cannot join (itself, another community's)."""


class ExtensionDecision(StrEnum):
    pending = "pending"
    granted = "granted"
    refused = "refused"


def merge(
    current: TicketStatus, *, ticket_id: str, community_id: str, into_ticket_id: str, into_community_id: str, into_status: TicketStatus
) -> TicketStatus:
    """合并: a duplicate still waiting for triage joins an open ticket of the same community."""
    if into_ticket_id == ticket_id:
        raise MergeRejected("into_ticket_id: a ticket cannot be merged into itself")
    if into_community_id != community_id:
        raise MergeRejected(
            f"into_ticket_id: ticket {into_ticket_id!r} belongs to community {into_community_id!r}, not {community_id!r}"
        )
    if into_status in FINISHED:
        raise DomainError(f"into_ticket_id: ticket {into_ticket_id!r} is {into_status.value}; merge into an open ticket")
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.merged)


def suspend(current: TicketStatus, suspended: bool) -> None:
    """挂起: stops every deadline of an open ticket."""
    if current in FINISHED:
        raise DomainError(f"ticket is {current.value}; only an open ticket can be suspended")
    if suspended:
        raise DomainError("ticket is already suspended")


def resume(suspended: bool) -> None:
    """恢复: only a suspended ticket resumes."""
    if not suspended:
        raise DomainError("ticket is not suspended; only a suspended ticket can be resumed")


def decide_extension(current: ExtensionDecision, decision: ExtensionDecision, ticket_status: TicketStatus) -> ExtensionDecision:
    """A supervisor decides a 延期申请 once; a grant needs the ticket still in the department's hands."""
    if current != ExtensionDecision.pending:
        raise DomainError(f"extension request is already {current.value}")
    if decision == ExtensionDecision.granted and ticket_status != TicketStatus.accepted:
        raise DomainError(f"ticket is {ticket_status.value}; an extension can be granted only while it is being handled")
    return decision


def next_sla_policy(current_version: int, document: Any, directory: Directory | None = None) -> SlaPolicy:
    """A new SLA policy version: a valid document whose version is exactly the current one plus one; with the
    `directory`, its category overrides name only the directory's categories."""
    try:
        policy = SlaPolicy.parse(document)
    except PolicyError as exc:
        raise PolicyRejected(str(exc)) from None
    unknown = sorted(set(policy.categories) - {c.id for c in directory.categories}) if directory else []
    if unknown:
        known = ", ".join(c.id for c in directory.categories)
        raise PolicyRejected(f"categories.{unknown[0]}: unknown category; known: {known}")
    check_next_version(current_version, policy.version)
    return policy
