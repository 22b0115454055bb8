"""数据大屏 in a real browser, as test artifacts: a ticket left past its dispatch deadline runs in the overdue ticker;
the big screen is saved as a screenshot, the ticker opens the ticket's detail page (/staff/tickets/{id}), saved too; the
community ranking downloads as xlsx (openpyxl opens it: the ranking's Chinese headers and the community) and the monthly
report as a PDF (pypdf opens it: the title and the month). Artifacts go to $PORTAL_SCREENSHOTS, else pytest's tmp dir."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import httpx
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from libs.auth import Principal, mint_token
from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures

RESIDENT = Principal(sub="r-ticker", role="resident", name="王大爷", community_id="xinran")


def test_the_big_screen_ticker_exports_and_report_download(stack, people, screenshots: Path, deadline_categories) -> None:  # noqa: F811
    title = f"小区大门损坏 {uuid.uuid4().hex[:6]}"
    filed = httpx.post(f"{stack.urls['intake']}/tickets", timeout=30,
                       headers={"Authorization": f"Bearer {mint_token(RESIDENT)}", "Idempotency-Key": uuid.uuid4().hex},
                       json={"title": title, "description": "东门门禁坏了关不上", "category": deadline_categories["dispatch"],
                             "community_id": "xinran", "grid_id": "xinran-01", "contact_phone": "13812345678"})
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]  # nobody dispatches it: its dispatch deadline passes within seconds

    leader = people("leader1", mobile=False)
    page = leader.page
    page.emulate_media(reduced_motion="reduce")  # the ticker holds still, so its links can be clicked
    item = reload_until(page, "/dashboard?period=month",
                        lambda p: p.locator(f'#overdue-ticker a.ticker-item[href="/staff/tickets/{ticket_id}"]'),
                        "the overdue ticket in the ticker")
    expect(item).to_contain_text(title)
    expect(page.locator("#overdue-ticker .ticker-label")).to_contain_text("超期")
    page.locator("#chart-gauges canvas").first.wait_for()
    page.screenshot(path=str(screenshots / "dashboard-big-screen-1280.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("#rank-community").get_by_role("link", name="导出 xlsx").click()
    download = download_info.value
    saved = screenshots / "dashboard-rankings-community.xlsx"
    download.save_as(str(saved))
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "响应率" in cells and "满意率" in cells and any("馨然嘉园" in c for c in cells), cells[:40]

    month = page.input_value("#report-form input[name=month]")
    with page.expect_download() as download_info:
        page.locator("#report-form").get_by_role("button", name="下载 PDF（可打印）").click()
    report = screenshots / f"report-{month}.pdf"
    download_info.value.save_as(str(report))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report.read_bytes())).pages)
    assert "接诉即办月度报告" in text and f"{int(month[:4])}年{int(month[5:])}月" in text and "馨然嘉园社区" in text

    page.goto("/dashboard?period=month")
    page.locator(f'#overdue-ticker a.ticker-item[href="/staff/tickets/{ticket_id}"]').click()
    expect(page).to_have_url(f"{stack.urls['portal']}/staff/tickets/{ticket_id}")
    expect(page.get_by_text(title).first).to_be_visible()
    page.screenshot(path=str(screenshots / "ticket-detail-1280.png"), full_page=True)
    assert not [e for e in leader.errors if "favicon" not in e], leader.errors
