"""The forms of the wish pages (心愿墙, 志愿服务, 我的心愿, 心愿审核) and their Chinese wording."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from services.portal.forms import PHOTO_REFERENCE, OptionalText, PageForm, Text

WISH_STATUS = {
    "pending_review": ("待审核", "muted"), "declined": ("未通过", "muted"), "open": ("待认领", "wish"),
    "claimed": ("已认领", "info"), "fulfilled": ("已圆梦·待确认", "warn"), "disputed": ("有异议", "alarm"),
    "confirmed": ("已完成", "good"),
}
WALL_TABS = (("", "全部"), ("open", "待认领"), ("claimed", "已认领"), ("confirmed", "已完成"))
REVIEW_TABS = (
    ("pending_review", "待审核"), ("fulfilled", "待确认"), ("disputed", "有异议"), ("open", "墙上待认领"),
    ("claimed", "已认领"), ("volunteers", "志愿者报到"),
)
WISH_NOTICES = {
    "wish_claimed": "认领成功！请在认领期限内完成，完成后登记圆梦。",
    "wish_released": "已放弃认领，心愿回到了心愿墙。",
    "wish_fulfilled": "已登记圆梦，等待心愿人确认。",
    "wish_confirmed": "已确认完成，感谢志愿者的付出！",
    "wish_disputed": "已提出异议，认领人会重新处理。",
    "wish_approved": "已审核通过，心愿已上墙。",
    "wish_declined": "已不予通过，理由会告知心愿人。",
    "wish_reopened": "已退回心愿墙，其他志愿者可以认领。",
    "volunteer_registered": "报到信息已提交，等待社区确认。",
    "volunteer_confirmed": "已确认志愿者报到。",
}


class ApproveForm(PageForm):
    public_title: OptionalText = Field(None, max_length=80)
    public_summary: OptionalText = Field(None, max_length=500)
    estimated_hours: float | None = Field(None, gt=0, le=200)
    needed_by: date | None = None

    def body(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.model_dump().items() if v is not None}


class ReasonForm(PageForm):
    reason: Text = Field(min_length=2, max_length=200)


class ThanksForm(PageForm):
    thanks_note: OptionalText = Field(None, max_length=200)


class FulfilForm(PageForm):
    """圆梦: what was done, the hours, and photos uploaded beforehand through /volunteer/photos (the picker)."""

    note: Text = Field(min_length=2, max_length=1000)
    hours: float = Field(gt=0, le=24)
    attachments: list[Annotated[str, Field(pattern=PHOTO_REFERENCE, max_length=80)]] = Field([], max_length=9)

    def body(self) -> dict[str, Any]:
        return {"note": self.note, "hours": self.hours, "photos": list(self.attachments)}


UNIT_TYPES = (("company", "企业"), ("school", "学校"), ("department", "机关单位"), ("other", "其他"))


class VolunteerForm(PageForm):
    """报到 as a person (在职党员 / 志愿者) or as a 共建单位 (then `name` is the unit's, `work_unit` its contact)."""

    name: Text = Field(min_length=1, max_length=40)
    kind: Literal["person", "unit"] = "person"
    unit_type: Annotated[Literal["company", "school", "department", "other"] | None, BeforeValidator(lambda v: v or None)] = None
    party_member: bool = False
    work_unit: OptionalText = Field(None, max_length=80)
    skills: Text = Field("", max_length=200)  # 陪诊、理发、维修 (comma or 、 separated)
    availability: OptionalText = Field(None, max_length=200)

    def body_for(self, community_id: str) -> dict[str, Any]:
        skills = [s for s in (p.strip() for p in self.skills.replace("，", "、").replace(",", "、").split("、")) if s]
        return {
            "community_id": community_id, "name": self.name, "party_member": self.party_member and self.kind == "person",
            "kind": self.kind, "unit_type": self.unit_type if self.kind == "unit" else None,
            "work_unit": self.work_unit, "skills": skills[:10], "availability": self.availability,
        }
