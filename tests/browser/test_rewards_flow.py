"""积分兑换 in a real browser at a phone's size: the community publishes a service project that has begun, a
volunteer signs up on 三张清单 and staff confirm attendance (hours and points credited over Kafka), staff put an item
on the catalogue, the volunteer redeems it and sees the pickup code as letters and a QR code, staff type the code at
兑换核销 and it is collected once; the last item then reads 已兑完. No page scrolls sideways."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures
from tests.browser.test_wish_wall import PHONE_SIZE, fits_the_screen

BEIJING = timezone(timedelta(hours=8))


def _local(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def test_points_from_a_project_are_redeemed_and_collected_on_a_phone(people, stack, screenshots: Path) -> None:  # noqa: F811
    tag = uuid.uuid4().hex[:4]
    staff = people("xinran_staff")
    spage = staff.page
    spage.set_viewport_size(PHONE_SIZE)

    volunteer = people("volunteer1")
    vpage = volunteer.page
    vpage.set_viewport_size(PHONE_SIZE)
    vpage.goto("/volunteer")
    vpage.get_by_label("工作单位").fill(f"区文旅局{tag}")  # a new work unit asks the community again
    vpage.get_by_label("我是中共党员").check()
    vpage.get_by_role("button", name=re.compile("提交报到|更新报到信息")).click()
    expect(vpage.get_by_text("等待社区确认").first).to_be_visible()
    spage.goto("/wish-review?tab=volunteers")
    spage.locator("li.card", has_text="王志强").get_by_role("button", name="确认报到").click()
    expect(spage.get_by_text("已确认志愿者报到")).to_be_visible()

    now = datetime.now(timezone.utc)
    spage.goto("/projects/manage")
    spage.get_by_label("项目名称").fill(f"为老人义剪 {tag}")
    spage.get_by_label("地点").fill("馨然嘉园党群服务中心")
    spage.get_by_label("开始时间").fill(_local(now - timedelta(hours=1)))
    spage.get_by_label("结束时间").fill(_local(now + timedelta(hours=3)))
    spage.get_by_label("名额").fill("5")
    spage.get_by_label("每人计服务时长（小时）").fill("2")
    spage.get_by_role("button", name="发布").click()
    expect(spage.get_by_text("服务项目已发布")).to_be_visible()
    assert fits_the_screen(spage), "服务项目 scrolls sideways on a phone"

    vpage.goto("/lists/xinran")
    project = vpage.locator("li.project", has_text=f"为老人义剪 {tag}")
    project.get_by_role("button", name="我要报名").click()
    expect(vpage.get_by_text("报名成功")).to_be_visible()
    assert fits_the_screen(vpage), "三张清单 scrolls sideways on a phone"

    row = reload_until(spage, "/projects/manage", lambda p: p.locator("li.project", has_text=f"为老人义剪 {tag}").get_by_role(
        "button", name="确认到场"), "the sign-up on 服务项目")
    row.click()
    expect(spage.get_by_text("已确认到场")).to_be_visible()

    spage.goto("/rewards/desk")
    item = f"洗衣液 {tag}"
    spage.get_by_label("名称").fill(item)
    spage.locator("form", has=spage.get_by_role("button", name="上架", exact=True)).get_by_label("所需积分").fill("10")
    spage.locator("form", has=spage.get_by_role("button", name="上架", exact=True)).get_by_label("库存").fill("1")
    spage.get_by_role("button", name="上架", exact=True).click()
    expect(spage.get_by_text("已上架新物品")).to_be_visible()

    redeem = reload_until(vpage, "/rewards", lambda p: p.locator("li.reward", has_text=item).get_by_role("button", name="兑换", exact=True),
                          "enough points to redeem (credited over Kafka)")
    redeem.click()
    expect(vpage.get_by_text("兑换成功")).to_be_visible()
    mine = vpage.locator("li.redemption", has_text=item)
    expect(mine.locator(".pickup-qr svg")).to_be_visible()
    code = mine.locator(".pickup-code").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-9]{8}", code), code
    expect(vpage.locator("li.reward", has_text=item).get_by_role("button", name="已兑完")).to_be_disabled()
    assert fits_the_screen(vpage), "积分兑换 scrolls sideways on a phone"
    vpage.screenshot(path=str(screenshots / "rewards-phone.png"), full_page=True)

    spage.goto("/rewards/desk")
    spage.get_by_label("兑换码").fill(f"{code[:4].lower()} {code[4:]}")
    spage.get_by_role("button", name="核销", exact=True).click()
    expect(spage.get_by_text(f"核销成功：请把「{item}」交给居民")).to_be_visible()
    assert fits_the_screen(spage), "兑换核销 scrolls sideways on a phone"
    spage.screenshot(path=str(screenshots / "rewards-desk-phone.png"), full_page=True)
    spage.get_by_label("兑换码").fill(code)
    spage.get_by_role("button", name="核销", exact=True).click()
    expect(spage.get_by_text("兑换码无效或已使用")).to_be_visible()

    vpage.goto("/rewards")
    expect(vpage.locator("li.redemption", has_text=item).get_by_text("已领取")).to_be_visible()
    expect(vpage.locator("li.redemption", has_text=item).locator(".pickup-code")).to_have_count(0)
