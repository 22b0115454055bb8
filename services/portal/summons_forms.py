"""吹哨报到's forms: the console's short summons form, the department's 到场报到 and 任务完成 (read with Posted[...])."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from services.portal.forms import OptionalText, PageForm, Text

# 吹哨事由: the presets the console offers (one tap); 其他 takes the typed reason.
REASON_PRESETS = (
    "多部门职责交叉，需联合现场处置",
    "问题复杂，单一部门难以解决",
    "两次评价不满意，联席办理",
    "情况紧急，需多部门立即到场",
)


class SummonsForm(PageForm):
    """吹哨: lead (prefilled), co-departments (checkboxes), a preset reason or one typed."""

    lead_department_id: str = Field(max_length=40)
    co_department_ids: list[str] = Field(min_length=1, max_length=8)
    reason: str = Field(max_length=500)  # a preset, or "other"
    reason_text: OptionalText = Field(None, max_length=500)

    def body(self) -> dict[str, Any]:
        reason = self.reason_text if self.reason == "other" or self.reason_text else self.reason
        return {"lead_department_id": self.lead_department_id, "co_department_ids": self.co_department_ids, "reason": reason or ""}


class CheckInForm(PageForm):
    """到场报到: the phone's position (filled by summons.js from navigator.geolocation), or a note of where one is."""

    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    note: OptionalText = Field(None, max_length=200)


class CompleteForm(PageForm):
    """任务完成: what the department did."""

    note: Text = Field(min_length=2, max_length=1000)
