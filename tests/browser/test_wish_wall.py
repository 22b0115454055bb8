"""心愿墙 in a real browser at a phone's size: a resident makes a wish through 我要吹哨, the community approves it in
心愿审核 and confirms a volunteer's 报到, the volunteer claims it on the wall and records 圆梦, the wisher confirms
with a thank-you, and a guest without an account sees it fulfilled on the wall — never the wisher's name or phone."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures

PHONE = "13600136000"
PHONE_SIZE = {"width": 390, "height": 844}


def fits_the_screen(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_wish_goes_from_the_wall_to_fulfilled_on_a_phone(people, browser: Browser, stack, screenshots: Path) -> None:  # noqa: F811
    title = f"想请人陪我去医院复查 {uuid.uuid4().hex[:4]}"

    wisher = people("resident1")
    page = wisher.page
    page.set_viewport_size(PHONE_SIZE)
    page.goto("/file?kind=wish")
    page.get_by_label("心愿标题").fill(title)
    page.get_by_label("心愿内容").fill(f"腿脚不便，下周二上午想请人陪同去区医院复查，电话{PHONE}。")
    page.get_by_label("联系人").fill("张阿姨")
    page.get_by_label("联系电话").fill(PHONE)
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))

    staff = people("xinran_staff")
    card = reload_until(staff.page, "/wish-review", lambda p: p.locator("li.card", has_text=title), "the wish in 心愿审核")
    card.get_by_label("上墙标题").fill("想请人陪老人去医院复查")
    card.get_by_label("预计小时").fill("3")
    card.get_by_role("button", name="审核通过，上墙").click()
    expect(staff.page.get_by_text("已审核通过，心愿已上墙")).to_be_visible()

    volunteer = people("volunteer1")
    vpage = volunteer.page
    vpage.set_viewport_size(PHONE_SIZE)
    expect(vpage).to_have_url(re.compile(r"/volunteer$"))
    # 报到 once: on a stack where an earlier test (or the demo data) already enrolled volunteer1, it stands.
    if vpage.get_by_role("button", name="提交报到").count():
        vpage.get_by_label("工作单位").fill("区卫健委")
        vpage.get_by_label("特长（用“、”分隔）").fill("陪诊、读报")
        vpage.get_by_label("我是中共党员").check()
        vpage.get_by_role("button", name="提交报到").click()
        expect(vpage.get_by_text("等待社区确认").first).to_be_visible()

    staff.page.goto("/wish-review?tab=volunteers")
    pending = staff.page.locator("li.card", has_text="王志强").get_by_role("button", name="确认报到")
    if pending.count():
        pending.click()
        expect(staff.page.get_by_text("已确认志愿者报到")).to_be_visible()

    vpage.goto("/wall/xinran")
    wish = vpage.locator("li.wish-card", has_text="想请人陪老人去医院复查")
    expect(wish).to_be_visible()
    expect(wish.get_by_text("136****6000")).to_be_visible()  # the number in the words is masked on the wall
    assert fits_the_screen(vpage), "the wall scrolls sideways on a phone"
    vpage.screenshot(path=str(screenshots / "wish-wall-phone.png"), full_page=True)
    wish.get_by_role("button", name="我来圆梦（认领）").click()
    expect(vpage).to_have_url(re.compile(r"/volunteer\?ok=wish_claimed$"))
    claim = vpage.locator("li.wish-claim", has_text="想请人陪老人去医院复查")
    claim.get_by_label("做了什么").fill("陪同到区医院复查，已安全送回家")
    claim.get_by_label("服务时长（小时）").fill("3")
    claim.get_by_role("button", name="登记圆梦").click()
    expect(vpage.get_by_text("已登记圆梦，等待心愿人确认")).to_be_visible()

    page.goto("/my-wishes")
    mine = page.locator("li.card", has_text=title)
    expect(mine.get_by_text("陪同到区医院复查")).to_be_visible()
    mine.get_by_placeholder("写一句感谢的话（可不填）").fill("谢谢王师傅，辛苦了！")
    mine.get_by_role("button", name="确认已圆梦").click()
    expect(page.get_by_text("已确认完成，感谢志愿者的付出！")).to_be_visible()

    guest = browser.new_context(base_url=stack.urls["portal"], viewport=PHONE_SIZE, locale="zh-CN")
    try:
        gpage = guest.new_page()
        gpage.goto("/wall/xinran?status=confirmed")
        done = gpage.locator("li.wish-card", has_text="想请人陪老人去医院复查")
        expect(done.get_by_text("谢谢王师傅，辛苦了！")).to_be_visible()
        expect(done.get_by_text("党员志愿者 王*")).to_be_visible()
        assert PHONE not in gpage.content() and "张阿姨" not in gpage.content()
        assert fits_the_screen(gpage)
        gpage.screenshot(path=str(screenshots / "wish-wall-fulfilled-guest.png"), full_page=True)
        gpage.goto("/wall/xinran/points")
        expect(gpage.get_by_text("王*")).to_be_visible()
    finally:
        guest.close()
    for person in (wisher, staff, volunteer):
        assert not person.errors, person.errors
