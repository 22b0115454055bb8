"""Deadlines in sight, in a real browser against the whole system: the community sees the dispatch deadline and the
time left beside its queue and finds the ticket by the phone's last four digits; the department (on a phone) sees the
resolution deadline in Beijing time with the working time left, asks for an extension, a supervisor grants it beside
the deadline it moves, and the department's page shows the later deadline. The deadlines come from the ticket's
workflow (StageDeadlineSet over Kafka), so each page is reloaded until they arrive, within generous bounds; the test
stack's policy (config/sla_policy.test.yaml) puts every deadline 30 days out, so nothing expires meanwhile.
Screenshots of the console and the worklist at a phone's size (390x844) and a desktop's (1440x900)."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
BEIJING_DUE = re.compile(r"\d{1,2}月\d{1,2}日 \d{2}:\d{2}")


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url}: {width}px wide"


def test_the_department_sees_the_deadline_and_time_left_and_an_extension_moves_it(people, screenshots: Path) -> None:
    title = f"路灯不亮 {uuid.uuid4().hex[:6]}"
    suffix = f"{uuid.uuid4().int % 10000:04d}"
    resident = people("resident1")
    page = resident.page
    page.goto("/file")
    page.locator("select[name=category]").select_option("road")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill("5号楼北侧路灯连续三晚不亮，夜里看不清台阶。")
    page.get_by_label("地址").fill("馨然嘉园5号楼北侧")
    page.get_by_label("联系电话").fill(f"1390000{suffix}")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    ticket_id = re.search(r"/tickets/([^/?]+)", page.url).group(1)

    # 社区转哨 on a desktop: the queue beside the ticket, whose dispatch deadline arrives from the workflow.
    community = people("xinran_staff", mobile=False)
    community.page.set_viewport_size(DESKTOP)
    card = reload_until(
        community.page, f"/console?selected={ticket_id}",
        lambda p: p.locator(f"#ticket-{ticket_id}").filter(has=p.locator(".due[data-stage=dispatch]")),
        "the dispatch deadline beside the console's queue",
    )
    due = card.locator(".due[data-stage=dispatch]")
    expect(due.locator("time")).to_have_text(BEIJING_DUE)
    expect(due.locator(".due-left")).to_have_text(re.compile(r"^剩余 \d+个工作日"))
    pane, rows = community.page.locator(".detail-pane").bounding_box(), community.page.locator(".list-pane").bounding_box()
    assert pane["x"] >= rows["x"] + rows["width"] - 1 and abs(pane["y"] - rows["y"]) < 200  # side by side
    community.page.screenshot(path=str(screenshots / "console-1440x900.png"), full_page=False)

    # the phone suffix finds it within the community; the console on a phone stacks the ticket above the list
    community.page.goto(f"/console?tab=all&q={suffix}")
    expect(community.page.locator(f"#row-{ticket_id}")).to_be_visible()
    community.page.set_viewport_size(PHONE)
    community.page.locator(f"#row-{ticket_id} a").click()
    expect(community.page.locator(f"#ticket-{ticket_id}")).to_be_in_viewport()
    no_sideways_scroll(community.page)
    community.page.evaluate("window.scrollTo(0, 0)")  # a full-page shot from the top keeps the sticky header on top
    community.page.screenshot(path=str(screenshots / "console-390x844.png"), full_page=True)
    community.page.set_viewport_size(DESKTOP)
    community.page.goto(f"/console?selected={ticket_id}")
    community.page.locator(f"#ticket-{ticket_id} form[action$='/dispatch'] select[name=department_id]").select_option("urban")
    community.page.locator(f"#ticket-{ticket_id} form[action$='/dispatch'] button").click()
    expect(community.page.get_by_text("已派单到承办部门")).to_be_visible()
    other = people("shiliuqiao_staff", mobile=False)
    other.page.goto(f"/console?tab=all&q={suffix}")
    expect(other.page.locator(f"#row-{ticket_id}")).to_have_count(0)

    # 部门办哨 on a phone: sign for it, then the resolution deadline with the working time left.
    department = people("urban_staff")
    department.page.set_viewport_size(PHONE)
    worklist = f"/worklist?q={ticket_id}"
    card = reload_until(
        department.page, worklist, lambda p: p.locator(f"#ticket-{ticket_id}").filter(has=p.get_by_role("button", name="签收")),
        "the dispatched ticket in the worklist",
    )
    card.get_by_role("button", name="签收").click()
    expect(department.page.get_by_text("已签收")).to_be_visible()
    resolve = reload_until(
        department.page, worklist, lambda p: p.locator(f"#ticket-{ticket_id} .due[data-stage=resolve]"), "the resolution deadline"
    )
    before_due, before_text = resolve.get_attribute("data-due"), resolve.locator("time").inner_text()
    assert BEIJING_DUE.fullmatch(before_text)
    expect(resolve.locator(".due-left")).to_have_text(re.compile(r"^剩余 \d+个工作日"))
    expect(resolve).to_have_class(re.compile(r"\bdue-running\b"))
    no_sideways_scroll(department.page)
    department.page.screenshot(path=str(screenshots / "worklist-390x844.png"), full_page=True)

    card = department.page.locator(f"#ticket-{ticket_id}")
    card.get_by_text("申请延期", exact=True).click()
    form = card.locator("form[action$='/extension']")
    form.locator("input[name=amount]").fill("3")
    form.locator("select[name=unit]").select_option("working_days")
    form.locator("input[name=reason]").fill("需等待灯杆配件到货")
    form.get_by_role("button", name="提交延期申请").click()
    expect(department.page.get_by_text("延期申请已提交")).to_be_visible()

    # 督办: the request beside the deadline it would move; granted as asked.
    supervisor = people("supervisor1", mobile=False)
    request = reload_until(
        supervisor.page, "/supervision", lambda p: p.locator("li.extension", has_text=ticket_id), "the extension request"
    )
    expect(request.locator(".due[data-stage=resolve] time")).to_have_text(before_text)
    request.get_by_role("button", name="批准延期").click()
    expect(supervisor.page.get_by_text("已批准延期")).to_be_visible()

    # the department's page shows the later deadline once the workflow has moved it
    moved = reload_until(
        department.page, worklist,
        lambda p: p.locator(f"#ticket-{ticket_id} .due[data-stage=resolve]:not([data-due='{before_due}'])"),
        "the extended resolution deadline",
    )
    assert moved.locator("time").inner_text() != before_text
    expect(moved.locator(".due-left")).to_have_text(re.compile(r"^剩余 \d+个工作日"))
    expect(department.page.locator(f"#ticket-{ticket_id}")).to_contain_text("延期已批准")
    department.page.set_viewport_size(DESKTOP)
    department.page.goto(worklist.replace("?q=", "?tab=all&q="))
    department.page.screenshot(path=str(screenshots / "worklist-1440x900.png"), full_page=False)

    for person in (resident, community, department, supervisor, other):
        assert person.errors == [], person.errors
