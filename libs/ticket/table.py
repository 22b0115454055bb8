"""The columns every service's ticket table carries: the whole folded view (`fold`) and the parts of it that
lists filter and sort by. `store` is the one place a view reaches a row."""
from __future__ import annotations

from typing import Any

from sqlmodel import JSON, Field, SQLModel

from libs.ticket.status import TicketStatus
from libs.ticket.view import TicketView


class TicketViewColumns(SQLModel):
    """Mixin for a service's ticket table; the projection columns are derived from `fold`, never set apart from it."""

    status: str = Field(default=TicketStatus.filed.value, max_length=30, index=True)
    escalation_level: int = Field(default=0, index=True)
    escalation_stage: str | None = Field(default=None, max_length=30)  # 督办: which stage's deadline passed
    warnings: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # 催办: stage -> deadline
    merged_into: str | None = Field(default=None, max_length=40)
    suspended: bool = False
    reopen_count: int = 0
    joint_handling: bool = False  # 联席办: the second failed rating brings the departments together
    return_count: int = 0
    fold: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)

    def view(self) -> TicketView:
        return TicketView.from_dict(self.fold) if self.fold else TicketView(status=TicketStatus(self.status))

    def store(self, view: TicketView) -> None:
        self.fold = view.to_dict()
        self.status = view.status.value
        self.escalation_level = view.escalation_level
        stage = view.escalation_stage
        self.escalation_stage = stage.value if stage else None
        self.warnings = dict(view.warnings)
        self.merged_into = view.merged_into
        self.suspended = view.suspended
        self.reopen_count = view.reopen_count
        self.joint_handling = view.joint_handling
        self.return_count = view.return_count
