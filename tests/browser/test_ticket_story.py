"""A ticket's whole story in a real browser: the department returns it with a reason, the community re-dispatches it,
the handling department writes an internal and a public note and resolves it, the resident must choose before rating
(nothing preselected), rates 不满意 with a comment and sees 已评价 at once; the community's staff page
(/staff/tickets/{id}) shows the whole story while the resident's page shows no internal text. Screenshots of the staff
page at phone and desktop sizes."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures

DISPATCH_NOTE = "请城管委尽快处置（派单说明）"
RETURN_REASON = "属物业管理范围，请改派住建委"
INTERNAL_NOTE = "物业经理电话已沟通，内部备注"
PUBLIC_NOTE = "已安排维修师傅明早到场"
COMMENT = "灯还是不亮，等了一周"


def file_ticket(page: Page, title: str) -> str:
    page.goto("/file")
    page.locator("select[name=category]").select_option("road")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill("2号楼3单元楼道灯坏了一周，晚上看不见台阶。")
    page.get_by_label("地址").fill("馨然嘉园2号楼3单元")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    return re.search(r"/tickets/([^/?]+)", page.url).group(1)


def dispatch(page: Page, ticket_id: str, department: str, note: str | None = None, *, button: str) -> None:
    card = reload_until(
        page, f"/console?selected={ticket_id}",
        lambda p: p.locator(f"#ticket-{ticket_id}").filter(has=p.get_by_role("button", name=button, exact=True)),
        f"the ticket with {button} in the console",
    )
    card.locator("select[name=department_id]").select_option(department)
    if note:
        card.locator('form[action$="/dispatch"] input[name=note]').fill(note)
    card.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text("已派单到承办部门")).to_be_visible()


def in_worklist(page: Page, ticket_id: str):  # noqa: ANN201 - a Locator
    return reload_until(
        page, "/worklist",
        lambda p: p.locator(f"#ticket-{ticket_id}").filter(has=p.get_by_role("button", name="签收")),
        "the dispatched ticket in the worklist",
    )


def add_note(page: Page, ticket_id: str, text: str, choice: str) -> None:
    page.goto(f"/staff/tickets/{ticket_id}")
    form = page.locator("form[action$='/notes']")
    form.get_by_label("备注内容").fill(text)
    form.locator("fieldset", has_text="公开范围").get_by_text(choice).click()
    form.get_by_role("button", name="保存备注").click()
    expect(page.get_by_text("备注已保存")).to_be_visible()
    expect(page.locator(".story-lines")).to_contain_text(text)


def test_the_staff_page_tells_the_whole_story_and_the_resident_sees_no_internal_text(people, screenshots: Path) -> None:
    title = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    resident = people("resident1")
    ticket_id = file_ticket(resident.page, title)

    community = people("xinran_staff", mobile=False)
    dispatch(community.page, ticket_id, "urban", DISPATCH_NOTE, button="派单")

    # 城管委 returns it with a reason; the community re-dispatches to 住建委.
    urban = people("urban_staff")
    card = in_worklist(urban.page, ticket_id)
    card.get_by_text("退单（不属于本部门）").click()
    card.locator('form[action$="/return"] input[name=reason]').fill(RETURN_REASON)
    card.get_by_role("button", name="退单", exact=True).click()
    expect(urban.page.get_by_text("已退单，社区将改派")).to_be_visible()
    dispatch(community.page, ticket_id, "housing", button="改派")

    # 住建委 signs, writes an internal and a public note on the story page, contacts the resident and resolves.
    housing = people("housing_staff")
    card = in_worklist(housing.page, ticket_id)
    card.get_by_role("button", name="签收").click()
    expect(housing.page.get_by_text("已签收")).to_be_visible()
    add_note(housing.page, ticket_id, INTERNAL_NOTE, "内部（仅工作人员可见）")
    add_note(housing.page, ticket_id, PUBLIC_NOTE, "公开（居民可见）")
    housing.page.goto(f"/worklist?selected={ticket_id}")
    card = housing.page.locator(f"#ticket-{ticket_id}")
    card.locator('form[action$="/contact"] input[name=note]').fill("已电话联系居民")
    card.get_by_role("button", name="联系居民").click()
    expect(housing.page.get_by_text("已记录联系居民")).to_be_visible()
    card = housing.page.locator(f"#ticket-{ticket_id}")
    card.locator('form[action$="/resolve"] textarea').fill("已更换楼道灯")
    card.get_by_role("button", name="办结").click()
    expect(housing.page.get_by_text("已办结，等待居民评价")).to_be_visible()

    # 居民评价: nothing preselected; submitting without a choice names the question and sends nothing.
    page = resident.page
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/rating") else None)
    form = reload_until(page, f"/tickets/{ticket_id}", lambda p: p.locator('form[action$="/rating"]'), "the rating form")
    assert form.locator("input[type=radio]:checked").count() == 0
    form.get_by_role("button", name="提交评价").click()
    expect(form.locator(".rating-error")).to_have_text(re.compile("满意度：请选择"))
    form.locator("fieldset", has_text="满意度").get_by_text("不满意", exact=True).click()
    form.get_by_role("button", name="提交评价").click()
    expect(form.locator(".rating-error")).to_have_text(re.compile("是否解决：请选择"))
    assert sent == [] and re.search(r"/tickets/[^/?]+$", page.url)
    form.locator("fieldset", has_text="问题是否解决").get_by_text("未解决", exact=True).click()
    form.get_by_label("留言").fill(COMMENT)
    form.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价")).to_be_visible()
    expect(page.locator(".rated-line").first).to_contain_text("已评价")
    expect(page.locator(".rated-line").first).to_contain_text("不满意 · 未解决")
    expect(page.locator("main")).not_to_contain_text("已办结，待评价")
    assert len(sent) == 1

    # The community's staff page: the whole story once the reopen has arrived.
    story = community.page
    reload_until(story, f"/staff/tickets/{ticket_id}", lambda p: p.locator(".story-reopens"), "the reopen reason on the story")
    lines = story.locator(".story-lines")
    for text in (DISPATCH_NOTE, RETURN_REASON, INTERNAL_NOTE, PUBLIC_NOTE, COMMENT, "派至 城市管理委员会",
                 "派至 住房和城乡建设委员会", "不满意 · 未解决", "第 1 次重办"):
        expect(lines).to_contain_text(text)
    expect(lines).to_contain_text("城管委·周科长（部门工作人员）")
    expect(story.locator(".story-returns")).to_contain_text(RETURN_REASON)
    expect(story.locator(".story-ratings")).to_contain_text(COMMENT)
    expect(story.locator(".story-holder")).to_contain_text("社区待派单（此前承办：住房和城乡建设委员会）")  # 重办
    expect(story.locator(".story-departments")).to_contain_text("城市管理委员会 → 住房和城乡建设委员会")
    story.screenshot(path=str(screenshots / "story-desktop.png"), full_page=True)
    phone = people("xinran_staff")
    phone.page.goto(f"/staff/tickets/{ticket_id}")
    expect(phone.page.locator(".story-lines")).to_contain_text(RETURN_REASON)
    phone.page.screenshot(path=str(screenshots / "story-phone.png"), full_page=True)

    # Another community's staff are refused, in Chinese; the resident's page shows no internal text.
    other = people("shiliuqiao_staff")
    refused = other.page.goto(f"/staff/tickets/{ticket_id}")
    assert refused is not None and refused.status == 404
    expect(other.page.locator("main")).to_contain_text("未找到该诉求")
    page.goto(f"/tickets/{ticket_id}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text(PUBLIC_NOTE)
    expect(timeline).to_contain_text("部门退单")
    for text in (DISPATCH_NOTE, RETURN_REASON, INTERNAL_NOTE):
        expect(page.locator("main")).not_to_contain_text(text)
    expect(page.locator(".ticket-department")).to_contain_text("此前承办：住房和城乡建设委员会")
    page.screenshot(path=str(screenshots / "story-resident.png"), full_page=True)

    for person in (resident, community, urban, housing, phone, other):
        assert [e for e in person.errors if "404" not in e] == [], person.errors
