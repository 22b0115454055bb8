"""积分兑换's and 三张清单's forms and words: collect with the code, add or change an item, publish a project."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

import segno
from markupsafe import Markup
from pydantic import BeforeValidator, Field

from services.portal.forms import OptionalText, PageForm, Text

REDEMPTION_STATUS = {
    "pending_pickup": ("待领取", "warn"), "collected": ("已领取", "good"), "delivered": ("已发放", "good"),
    "cancelled": ("已取消", "muted"),
}
KIND_ZH = {"offline": "到党群服务中心领取", "online": "线上发放"}
REWARD_NOTICES = {
    "redeemed": "兑换成功！线下物品请凭兑换码到党群服务中心领取。",
    "delivered": "兑换成功，已线上发放。",
    "cancelled": "已取消兑换，积分已退回。",
    "collected": "核销成功，请把物品交给居民。",
    "item_added": "已上架新物品。",
    "item_changed": "已保存物品信息。",
}


OptionalInt = Annotated[int | None, BeforeValidator(lambda v: None if isinstance(v, str) and not v.strip() else v)]


class CodeForm(PageForm):
    """核销: the code as typed or scanned (spaces and dashes ignored, any case)."""

    code: Text = Field(min_length=4, max_length=20)

    def body(self) -> dict[str, Any]:
        return {"code": "".join(ch for ch in self.code if ch.isalnum()).upper()}


class ItemForm(PageForm):
    name: Text = Field(min_length=1, max_length=40)
    description: OptionalText = Field(None, max_length=200)
    points: int = Field(gt=0, le=100_000)
    stock: int = Field(ge=0, le=100_000)
    kind: Literal["offline", "online"] = "offline"

    def body(self) -> dict[str, Any]:
        return {**self.model_dump(), "description": self.description or ""}


class ItemChangeForm(PageForm):
    """补货 / 改积分 / 下架 or 重新上架: only what was filled in is changed."""

    points: OptionalInt = Field(None, gt=0, le=100_000)
    stock: OptionalInt = Field(None, ge=0, le=100_000)
    active: Literal["true", "false"] | None = None

    def body(self) -> dict[str, Any]:
        changes: dict[str, Any] = {k: v for k, v in (("points", self.points), ("stock", self.stock)) if v is not None}
        if self.active is not None:
            changes["active"] = self.active == "true"
        return changes


def qr_svg(code: str) -> Markup:
    """The pickup code as an inline SVG QR code staff can scan (the same letters are printed beside it)."""
    return Markup(segno.make(code, error="m", micro=False).svg_inline(scale=5, border=2, title=f"兑换码 {code}"))


# --------------------------------------------------------------------------- 三张清单: service projects

BEIJING = timezone(timedelta(hours=8))
SIGNUP_STATUS = {"signed_up": ("已报名", "info"), "withdrawn": ("已取消", "muted"), "attended": ("已到场", "good")}
PROJECT_NOTICES = {
    "project_published": "服务项目已发布，志愿者可以报名了。",
    "signed_up": "报名成功！请按时到场，社区确认到场后计入服务时长和积分。",
    "withdrawn": "已取消报名。",
    "attended": "已确认到场，服务时长和积分会自动记入。",
    "project_cancelled": "服务项目已取消。",
}


class ProjectForm(PageForm):
    """发布服务项目: times typed on a phone (datetime-local) are Beijing times."""

    title: Text = Field(min_length=2, max_length=60)
    description: OptionalText = Field(None, max_length=500)
    place: Text = Field(min_length=2, max_length=100)
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=1, le=500)
    hours: float = Field(gt=0, le=24)

    def body(self) -> dict[str, Any]:
        def beijing(moment: datetime) -> str:
            return (moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)).isoformat()

        return {"title": self.title, "description": self.description or "", "place": self.place,
                "starts_at": beijing(self.starts_at), "ends_at": beijing(self.ends_at), "capacity": self.capacity, "hours": self.hours}


class HazardForm(PageForm):
    """确认隐患属实 on the console: what staff found (optional)."""

    note: OptionalText = Field(None, max_length=500)
