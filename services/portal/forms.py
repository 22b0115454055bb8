"""Every form the pages send, as one pydantic model each, read with `Posted[Model]` (= `Annotated[Model, Form()]`;
the dashboard's date pickers with `Query()`). A field's name is its HTML input's name; its limits are checked on what
was typed, then `Text` strips it and `OptionalText` also turns a blank into None. FastAPI drops an empty input before
the model sees it, so a field left empty takes its default (a required one is 必填). A validation error's loc is
("body" or "query", field name): the 422 page names the field (clients.FIELD_NAMES_ZH).

`body()` is the JSON a form's backend is sent; `landing(page, ok)` is where the person goes afterwards."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Form
from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.portal.views import BEIJING, ExtensionUnit


def _blank_is_none(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


FormModel = TypeVar("FormModel", bound=BaseModel)
Posted = Annotated[FormModel, Form()]
Text = Annotated[str, AfterValidator(str.strip)]
# The key a rendered filing form carries (secrets.token_urlsafe): sent on as the Idempotency-Key header, so ASCII only.
IdempotencyKey = Annotated[str, Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
OptionalText = Annotated[str | None, AfterValidator(_blank_is_none)]

CONSOLE_TABS = ("queue", "handling", "done", "returned", "all", "dispatched")  # dispatched: the old name of handling
# The console's tab (?tab=, and the hidden `back` of its forms); anything else is the queue.
ConsoleTab = Annotated[str, AfterValidator(lambda tab: tab if tab in CONSOLE_TABS else "queue")]
DATE_SPLIT = re.compile(r"[\s,，、;；]+")
PHOTO_REFERENCE = r"^/attachments/[0-9a-f]{32}\.jpg$"  # what intake's POST /attachments hands back


class PageForm(BaseModel):
    """A posted form: by default its backend is sent the fields, and the person goes back to the page."""

    def body(self) -> Any:
        return self.model_dump()

    def landing(self, page: str, ok: str) -> str:
        return f"{page}{'&' if '?' in page else '?'}ok={ok}"


class NoForm(PageForm):
    """A button without inputs (签收): the backend is sent no body."""

    def body(self) -> None:
        return None


# ---------------------------------------------------------------------- session, residents


class LoginForm(PageForm):
    username: str = Field(max_length=60)
    password: str = Field(max_length=200)
    next: str = Field("", max_length=500)


class FileForm(PageForm):
    """我要吹哨. An unknown kind is a problem; a wish without a category is filed as 微心愿."""

    idempotency_key: IdempotencyKey
    kind: str = Field("problem", max_length=10)
    category: str = Field("", max_length=40)
    title: Text = Field("", max_length=200)
    description: Text = Field("", max_length=4000)
    community_id: str = Field("", max_length=40)
    address: Text = Field("", max_length=400)
    contact_phone: Text = Field("", max_length=40)
    contact_name: Text = Field("", max_length=40)  # 联系人: intake keeps it encrypted
    anonymous: bool = False
    # Photos the picker uploaded (intake's references), and the position the reporter agreed to send.
    attachments: list[Annotated[str, Field(pattern=PHOTO_REFERENCE, max_length=80)]] = Field([], max_length=9)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _kind_and_category(self) -> FileForm:
        self.category = self.category or ("wish" if self.kind == "wish" else "")
        self.kind = self.kind if self.kind in ("problem", "wish") else "problem"
        return self

    def in_community(self, community_id: str | None) -> FileForm:
        """The form with the resident's own community where none was chosen; a pin outside every grid (the map
        chose 由街道分拨) keeps none, so intake places it by the position, else the address, else the street."""
        if self.community_id or (self.latitude is not None and self.longitude is not None):
            return self
        return self.model_copy(update={"community_id": community_id or ""})

    def ticket(self, channel: str) -> dict[str, Any]:
        """intake's POST /tickets body; blanks are sent as null."""
        body = {
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "category": self.category or None,  # blank: intake suggests one from the text (分类建议)
            "channel": channel,
            "community_id": self.community_id or None,
            "address": self.address or None,
            "contact_phone": self.contact_phone or None,
            "anonymous": self.anonymous,
        }
        if self.contact_name and not self.anonymous:  # an anonymous filing sends no name
            body["contact_name"] = self.contact_name
        if self.attachments:
            body["attachments"] = self.attachments
        if self.latitude is not None and self.longitude is not None:  # a position only when the reporter sent one
            body.update(latitude=self.latitude, longitude=self.longitude)
        return body


class RatingForm(PageForm):
    """评价: nothing is preselected, so a missing choice is read as "" and named beside the form (nothing is sent)."""

    satisfaction: str = Field("", max_length=30)
    solved: str = Field("", max_length=5)  # "yes" / "no"
    comment: OptionalText = Field(None, max_length=500)

    def problem(self, choices: tuple[tuple[str, str], ...]) -> str | None:
        """The first unanswered question, in Chinese, or None."""
        if self.satisfaction not in dict(choices):
            return "满意度：请选择满意、基本满意或不满意"
        if self.solved not in ("yes", "no"):
            return "是否解决：请选择已解决或未解决"
        return None

    def body(self) -> dict[str, Any]:
        return {"satisfaction": self.satisfaction, "solved": self.solved == "yes", "comment": self.comment}


# ---------------------------------------------------------------------- console and worklist (ticket actions)


class NoteForm(PageForm):
    """先行联系, 恢复: an optional note."""

    note: OptionalText = Field(None, max_length=500)


class OutcomeForm(PageForm):
    """即办: what was done."""

    note: Text = Field("", max_length=2000)


class ResolveForm(OutcomeForm):
    """办结: what was done; the portal sends no evidence."""

    def body(self) -> dict[str, Any]:
        return {"note": self.note, "evidence": []}


class CategoryForm(PageForm):
    """分类调整: the community puts the ticket in another category."""

    category: str = Field(max_length=40)
    note: OptionalText = Field(None, max_length=500)


class SuggestForm(BaseModel):
    """What the H5 form sends while the resident types (JSON): the text so far."""

    title: str = Field("", max_length=200)
    description: str = Field("", max_length=4000)


class DispatchForm(PageForm):
    department_id: str = Field(max_length=40)
    note: OptionalText = Field(None, max_length=500)


class MergeForm(PageForm):
    into_ticket_id: Text = Field(max_length=40)


class TabForm(PageForm):
    """A console form that returns to the tab it was sent from."""

    back: ConsoleTab = Field("queue", max_length=40, exclude=True)

    def landing(self, page: str, ok: str) -> str:
        return f"{page}{'&' if '?' in page else '?'}tab={self.back}&ok={ok}"


class SuspendForm(TabForm):
    reason: Text = Field(max_length=500)


class ResumeForm(TabForm, NoteForm):
    pass


class ReturnForm(PageForm):
    """退单; an empty reason is the department service's to refuse."""

    reason: Text = Field("", max_length=500)


class ExtensionForm(PageForm):
    amount: float = Field(gt=0, le=365)
    unit: ExtensionUnit
    reason: Text = Field(max_length=500)


# ---------------------------------------------------------------------- supervision


class GrantForm(PageForm):
    """Blank amount/unit grant what the department asked for."""

    amount: Text = Field("", max_length=20)
    unit: Text = Field("", max_length=20)
    note: Text = Field("", max_length=500)

    def body(self) -> dict[str, Any]:
        """Only what was filled in; ValueError when the amount is not a (finite) number."""
        body: dict[str, Any] = {}
        if self.amount:
            body["amount"] = float(self.amount)
            if not math.isfinite(body["amount"]):  # 'NaN' / 'inf' parse but cannot be sent as JSON (was a 500)
                raise ValueError(f"amount: {self.amount!r} is not a number")
        if self.unit:
            body["unit"] = self.unit
        if self.note:
            body["note"] = self.note
        return body


class RefuseForm(PageForm):
    note: Text = Field(max_length=500)


# ---------------------------------------------------------------------- admin


def json_object(text: str, what: str) -> dict[str, Any]:
    """An admin document typed as JSON; ValueError, worded for the admin, when it is not a JSON object."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSON 格式有误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"{what}应是一个 JSON 对象 {{…}}")
    return parsed


class PolicyForm(PageForm):
    document: str = Field(max_length=100_000)

    def body(self) -> dict[str, Any]:
        return json_object(self.document, "政策文件")


class CategoryRulesForm(PageForm):
    """分类关键词: the whole rules document as JSON (version, fallback, categories → {keyword: weight})."""

    rules: str = Field(max_length=100_000)

    def body(self) -> dict[str, Any]:
        return json_object(self.rules, "分类关键词")


class CalendarForm(PageForm):
    """Dates one per line, or split by commas, 、 or semicolons."""

    holidays: str = Field("", max_length=20_000)
    workdays: str = Field("", max_length=20_000)
    remove: str = Field("", max_length=20_000)

    def body(self) -> dict[str, list[str]]:
        return {k: [d for d in DATE_SPLIT.split(v.strip()) if d] for k, v in self.model_dump().items()}


# ---------------------------------------------------------------------- dashboard (query)


class ReportDates(BaseModel):
    """The day of the digest and the month of the ranking history; blank: today, this month (Beijing)."""

    day: str = Field("", max_length=10)
    month: str = Field("", max_length=7)

    @model_validator(mode="after")
    def _default_today(self) -> ReportDates:
        today = datetime.now(BEIJING)
        self.day = self.day or today.strftime("%Y-%m-%d")
        self.month = self.month or today.strftime("%Y-%m")
        return self
