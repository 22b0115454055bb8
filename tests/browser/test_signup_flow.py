"""手机号注册 in a real browser against the whole system: a resident asks for a code, reads it on the development SMS
page (/dev/sms, the dev sink), signs up, files a ticket through 我要吹哨 and finds it in 我的诉求; then logs out and
back in with the phone number as the username."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.test_portal_flow import PAGE_TIMEOUT_MS, browser  # noqa: F401 - the module's browser fixture

PASSWORD = "Sunny2026"


def test_a_resident_signs_up_with_a_phone_files_and_sees_the_ticket(browser: Browser, stack, tmp_path: Path) -> None:  # noqa: F811
    mobile = "135" + str(uuid.uuid4().int)[:8]
    title = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    context = browser.new_context(base_url=stack.urls["portal"], viewport={"width": 414, "height": 896}, locale="zh-CN")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/login")
        page.get_by_role("link", name="手机号注册").click()
        expect(page).to_have_url(re.compile(r"/register$"))
        page.get_by_label("手机号").fill(mobile)
        page.get_by_role("button", name="获取验证码").click()
        expect(page.get_by_text(f"验证码已发送至 {mobile[:3]}****{mobile[-4:]}")).to_be_visible()

        inbox = context.new_page()
        inbox.goto("/dev/sms")
        message = inbox.locator("tr", has_text=mobile).filter(has_text="注册验证码").first
        code = re.search(r"验证码是(\d{6})", message.inner_text()).group(1)
        inbox.close()

        page.get_by_label("短信验证码").fill(code)
        page.get_by_label("称呼").fill("王阿姨")
        page.get_by_label("设置密码").fill(PASSWORD)
        page.get_by_label("确认密码").fill(PASSWORD)
        page.get_by_label("所在社区").select_option("xinran")
        page.screenshot(path=str(tmp_path / "register.png"), full_page=True)
        page.get_by_role("button", name="注册并登录").click()
        expect(page).to_have_url(re.compile(r"/mine\?ok=registered$"))
        expect(page.get_by_text("注册成功")).to_be_visible()

        page.get_by_role("link", name="我要吹哨").first.click()
        page.locator("select[name=category]").select_option("road")
        page.get_by_label("标题").fill(title)
        page.get_by_label("详细描述").fill("5号楼2单元楼道灯坏了一周，晚上老人上下楼不方便。")
        page.get_by_label("地址").fill("馨然嘉园5号楼2单元")
        page.get_by_role("button", name="吹哨", exact=True).click()
        expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
        page.get_by_role("link", name="我的诉求").first.click()
        expect(page.get_by_text(title)).to_be_visible()

        page.get_by_role("button", name="退出").click()
        page.goto("/login")
        page.get_by_label("用户名").fill(mobile)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(re.compile(r"/mine$"))
        expect(page.get_by_text(title)).to_be_visible()
        assert errors == []
    finally:
        context.close()
