"""系统设置 · 办理时限 as a form: every urgency's stages as amount + unit, the 催办 percentage, the 督办 ladder (overall and
an urgency's own), 联席到场 and per-category overrides. A valid change is PUT to dispatch's /admin/sla-policy (the
JSON editor's API) as the next version with every other key kept; each kind of wrong input is a 422 whose message
names the field in Chinese, shown beside the input with what was typed, and nothing is published."""
from __future__ import annotations

import copy
import re

import httpx
import pytest
from fastapi.testclient import TestClient

# Shared fakes and fixtures of the portal page tests and of the admin page's tests.
from test_portal_deadlines import NOW, POLICY_DOCUMENT, admin_backend, sent_json, textarea  # noqa: F401
from test_portal_pages import FakeBackends, fake, log_in, portal, settings  # noqa: F401

from services.portal.sla_form import STAGES, form_fields

PUT = ("dispatch", "PUT", "/admin/sla-policy")


def input_value(page: str, name: str) -> str:
    tag = re.search(rf'<input name="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input {name}"
    return re.search(r'value="([^"]*)"', tag.group(0)).group(1)


def selected(page: str, name: str) -> str:
    block = re.search(rf'<select name="{re.escape(name)}".*?</select>', page, re.S)
    assert block, f"no select {name}"
    chosen = re.search(r'<option value="([^"]*)" selected', block.group(0))
    return chosen.group(1) if chosen else ""


def the_form(**changes: str) -> dict[str, str]:
    """What the browser posts for the current policy (version 3) unchanged (its override row and two empty ones),
    with `changes`."""
    empty_rows = {
        f"categories.{row}.{key}": value for row in (1, 2)
        for key, value in [("id", ""), *((f"{s}.{part}", v) for s in STAGES for part, v in (("amount", ""), ("unit", "working_days")))]
    }
    return {"version": "4", **form_fields(POLICY_DOCUMENT), **empty_rows, **changes}


@pytest.fixture
def published(admin_backend: FakeBackends) -> FakeBackends:  # noqa: F811
    admin_backend.on(*PUT, httpx.Response(200, json={
        "version": 4, "source": "stored", "document": POLICY_DOCUMENT, "published_by": "admin", "published_at": NOW,
    }))
    return admin_backend


def test_the_form_shows_the_current_policy_in_inputs_and_json_stays_as_an_advanced_option(
    portal: TestClient, admin_backend: FakeBackends  # noqa: F811
) -> None:
    log_in(portal, "admin")
    page = portal.get("/admin").text
    assert 'action="/admin/sla-policy/form"' in page and "发布第 4 版" in page
    assert input_value(page, "warning_percent") == "80"
    assert (input_value(page, "urgencies.emergency.dispatch.amount"), selected(page, "urgencies.emergency.dispatch.unit")) == ("15", "minutes")
    assert (input_value(page, "urgencies.ordinary.resolve.amount"), selected(page, "urgencies.ordinary.resolve.unit")) == ("7", "working_days")
    assert input_value(page, "urgencies.emergency.ladder.level2_after.amount") == "30"
    assert input_value(page, "urgencies.ordinary.ladder.level2_after.amount") == "", "no own ladder: blank"
    assert (input_value(page, "ladder.level2_after.amount"), selected(page, "ladder.level2_after.unit")) == ("4", "working_hours")
    assert input_value(page, "joint_on_site.amount") == "30"
    assert selected(page, "categories.0.id") == "water_supply" and input_value(page, "categories.0.resolve.amount") == "24"
    assert input_value(page, "categories.0.dispatch.amount") == ""
    assert selected(page, "categories.1.id") == "" and selected(page, "categories.2.id") == "", "two empty rows to add"
    assert "<option value=\"wish\" >微心愿</option>" in page, "categories are chosen by their Chinese names"
    assert "高级：以 JSON 编辑" in page and '"version": 4' in textarea(page, "document")
    for unit in ("工作日", "工作小时", "小时"):
        assert f">{unit}</option>" in page


def test_a_valid_change_is_published_as_the_next_version_through_the_json_editors_api(
    portal: TestClient, published: FakeBackends
) -> None:
    log_in(portal, "admin")
    form = the_form(**{
        "warning_percent": "75", "urgencies.ordinary.resolve.amount": "5", "urgencies.complex.resolve.amount": "1.5",
        "urgencies.complex.resolve.unit": "clock_hours", "urgencies.urgent.ladder.level2_after.amount": "2",
        "urgencies.urgent.ladder.level2_after.unit": "working_hours", "urgencies.urgent.ladder.level3_after.amount": "1",
        "urgencies.urgent.ladder.level3_after.unit": "working_days",
        "categories.1.id": "heating", "categories.1.resolve.amount": "24", "categories.1.resolve.unit": "clock_hours",
        "categories.2.id": "road",  # chosen, nothing filled in: no override
    })
    response = portal.post("/admin/sla-policy/form", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin?ok=policy"
    expected = copy.deepcopy(POLICY_DOCUMENT)
    expected.update(version=4, warning_fraction=0.75)
    expected["urgencies"]["ordinary"]["resolve"] = {"amount": 5, "unit": "working_days"}
    expected["urgencies"]["complex"]["resolve"] = {"amount": 1.5, "unit": "clock_hours"}
    expected["urgencies"]["urgent"]["ladder"] = {
        "level2_after": {"amount": 2, "unit": "working_hours"}, "level3_after": {"amount": 1, "unit": "working_days"},
    }
    expected["categories"]["heating"] = {"resolve": {"amount": 24, "unit": "clock_hours"}}
    assert sent_json(published, *PUT) == expected


def test_an_unchanged_form_publishes_the_same_policy_and_keeps_keys_the_form_does_not_show(
    portal: TestClient, admin_backend: FakeBackends  # noqa: F811
) -> None:
    document = {**POLICY_DOCUMENT, "note": "kept", "callback": {"amount": 3, "unit": "working_days"}}
    admin_backend.on("dispatch", "GET", "/admin/sla-policy", httpx.Response(200, json={
        "version": 3, "source": "stored", "document": document, "published_by": "admin", "published_at": NOW,
    }))
    admin_backend.on(*PUT, httpx.Response(200, json={"version": 4, "source": "stored", "document": document}))
    log_in(portal, "admin")
    assert input_value(portal.get("/admin").text, "callback.amount") == "3", "回访 is in the form once the policy has it"
    response = portal.post("/admin/sla-policy/form", data={"version": "4", **form_fields(document)}, follow_redirects=False)
    assert response.status_code == 303
    assert sent_json(admin_backend, *PUT) == {**document, "version": 4}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"urgencies.ordinary.resolve.amount": ""}, "urgencies.ordinary.resolve.amount", "一般 · 办结：请填写时长"),
        ({"urgencies.urgent.accept.amount": "两天"}, "urgencies.urgent.accept.amount", "加急 · 部门签收：时长应为数字，收到“两天”"),
        ({"urgencies.emergency.contact.amount": "0"}, "urgencies.emergency.contact.amount", "紧急 · 联系居民：时长应大于 0"),
        ({"urgencies.complex.rating.amount": "-3"}, "urgencies.complex.rating.amount", "复杂 · 居民评价：时长应大于 0"),
        ({"urgencies.complex.dispatch.amount": "5000"}, "urgencies.complex.dispatch.amount", "复杂 · 转哨派单：时长不能超过 1000"),
        ({"urgencies.ordinary.accept.unit": "weeks"}, "urgencies.ordinary.accept.unit", "一般 · 部门签收：请选择单位"),
        ({"warning_percent": "120"}, "warning_percent", "催办提醒：应为 1 到 99 之间的百分比，收到“120”"),
        ({"warning_percent": ""}, "warning_percent", "催办提醒：请填写百分比"),
        ({"ladder.level3_after.amount": "x"}, "ladder.level3_after.amount", "督办升级 · 升 3 级：时长应为数字"),
        ({"joint_on_site.amount": ""}, "joint_on_site.amount", "联席到场：请填写时长"),
        ({"urgencies.ordinary.ladder.level2_after.amount": "2"}, "urgencies.ordinary.ladder.level3_after.amount",
         "一般 · 督办升 3 级：本级别单独规定督办升级时，两级都要填写"),
        ({"categories.1.resolve.amount": "3"}, "categories.1.id", "按类别调整第 2 行：请选择类别"),
        ({"categories.1.id": "water_supply", "categories.1.accept.amount": "2"}, "categories.1.id",
         "按类别调整第 2 行：类别“供水排水”已在前面的行中调整过"),
        ({"categories.1.id": "power", "categories.1.resolve.amount": "24"}, "categories.1.id",
         "按类别调整第 2 行：类别“power”不在类别目录中（没有中文名称）"),
        ({"categories.0.resolve.amount": "很快"}, "categories.0.resolve.amount", "供水排水 · 办结：时长应为数字"),
    ],
)
def test_each_kind_of_wrong_input_is_a_422_naming_the_field_beside_it_and_nothing_is_published(
    portal: TestClient, admin_backend: FakeBackends, changes: dict[str, str], field: str, message: str  # noqa: F811
) -> None:
    log_in(portal, "admin")
    response = portal.post("/admin/sla-policy/form", data=the_form(**changes))
    assert response.status_code == 422
    page = response.text
    assert "有 1 处填写有误，未发布" in page and message in page
    error_id = "err-" + (field if field.endswith(".id") or field == "warning_percent" else field.rsplit(".", 1)[0]).replace(".", "-")
    assert re.search(rf'id="{re.escape(error_id)}">[^<]*{re.escape(message)}', page), "the message is beside its input"
    assert 'aria-invalid="true"' in page
    assert admin_backend.sent(*PUT) == [], "nothing is published"
    for name, typed in changes.items():  # what the admin typed is kept (an unknown unit has no option to keep)
        if name.endswith(".unit"):
            continue
        kept = input_value(page, name) if name.endswith(".amount") or name == "warning_percent" else selected(page, name)
        assert kept == typed, name


def test_every_wrong_input_is_named_at_once(portal: TestClient, admin_backend: FakeBackends) -> None:  # noqa: F811
    log_in(portal, "admin")
    form = the_form(**{"warning_percent": "0", "urgencies.ordinary.resolve.amount": "", "categories.1.resolve.amount": "2"})
    response = portal.post("/admin/sla-policy/form", data=form)
    assert response.status_code == 422 and "有 3 处填写有误" in response.text
    assert admin_backend.sent(*PUT) == []


def test_a_bad_version_is_a_422_asking_for_a_reload(portal: TestClient, admin_backend: FakeBackends) -> None:  # noqa: F811
    log_in(portal, "admin")
    response = portal.post("/admin/sla-policy/form", data=the_form(version="四"))
    assert response.status_code == 422 and "版本号有误，请刷新页面后重新填写" in response.text
    assert admin_backend.sent(*PUT) == []


@pytest.mark.parametrize(
    ("status", "detail", "title"),
    [(409, "version: expected 5 (current is 4), got 4", "操作与当前状态冲突"),
     (422, "categories.heating: unknown category; known: road", "提交的内容有误")],
)
def test_a_refusal_by_dispatch_is_shown_with_the_form_kept(
    portal: TestClient, admin_backend: FakeBackends, status: int, detail: str, title: str  # noqa: F811
) -> None:
    admin_backend.on(*PUT, httpx.Response(status, json={"detail": detail}))
    log_in(portal, "admin")
    response = portal.post("/admin/sla-policy/form", data=the_form(**{"urgencies.ordinary.resolve.amount": "6"}))
    assert response.status_code == status and title in response.text
    assert input_value(response.text, "urgencies.ordinary.resolve.amount") == "6"


@pytest.mark.parametrize("username", ["supervisor1", "leader1", "xinran_staff", "urban_staff", "resident1"])
def test_only_admins_publish_through_the_form(portal: TestClient, admin_backend: FakeBackends, username: str) -> None:  # noqa: F811
    log_in(portal, username)
    response = portal.post("/admin/sla-policy/form", data=the_form())
    assert response.status_code == 403
    assert admin_backend.sent(*PUT) == []
