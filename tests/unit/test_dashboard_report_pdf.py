"""The monthly report PDF: it opens (pypdf), embeds the CJK font, holds the month's figures, rankings, hot issues, the
topic of the month and the wish figures, prints user text literally (never as markup), and gives each caller only what
they may see (community staff: their community, no district rankings or hot issues; another scope's staff nothing of it)."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from libs.auth import Principal, mint_token
from services.dashboard.app import create_app
from services.dashboard.models import DashboardTopic
from services.dashboard.report_pdf import font_path
from services.dashboard.wishes import DashboardWish, DashboardWishVolunteerDay
from tests.unit.dashboard_events import TABLES, Life, apply

EVIL = "<b>井盖</b> & <font size=40>丢失</font>"
LEADER = Principal(sub="leader1", role="leader")


@pytest.fixture(scope="module")
def client():
    font_path()  # the machine's CJK font (make system-deps): without it the report is a 503, tested below
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in [*TABLES, DashboardWish, DashboardWishVolunteerDay]])
    with Session(engine) as session:
        x, y, s = Life("X1", "xinran"), Life("X2", "xinran"), Life("S1", "shiliuqiao", category="garbage")
        apply(session,
              x.filed("2026-11-02 09:00", title=EVIL), x.dispatched("2026-11-02 10:00", "urban"), x.accepted("2026-11-02 11:00", "urban"),
              x.resolved("2026-11-03 09:00", "urban"), x.rated("2026-11-03 12:00", "satisfied", True),
              y.filed("2026-11-04 09:00"), y.settled("2026-11-04 10:00"), y.rated("2026-11-04 12:00", "unsatisfied", False),
              s.filed("2026-11-05 09:00"), s.dispatched("2026-11-05 10:00", "water"))
        session.add(DashboardTopic(id="TP1", month="2026-11", title=EVIL, scope="category:road", created_by="leader1",
                                   created_at=datetime(2026, 11, 6, tzinfo=timezone.utc)))
        session.commit()
    app = create_app()
    app.state.runtime.engine = engine
    yield TestClient(app)
    engine.dispose()


def pdf_text(client: TestClient, principal: Principal, month: str = "2026-11") -> tuple[str, PdfReader]:
    answer = client.get("/report/monthly.pdf", params={"month": month}, headers={"Authorization": f"Bearer {mint_token(principal)}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and "attachment" in answer.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(answer.content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_the_leaders_report_opens_and_holds_the_months_figures(client: TestClient) -> None:
    text, reader = pdf_text(client, LEADER)
    assert len(reader.pages) >= 1 and reader.metadata.title.endswith("2026年11月")
    fonts = {str(f.get("/BaseFont")) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert any("WenQuanYi" in font or "WenQuanYi" in str(reader.pages[0]["/Resources"]["/Font"]) for font in fonts)
    assert "接诉即办月度报告" in text and "2026年11月" in text
    assert "响应率" in text and "66.7%" in text  # 2 of 3 tickets accepted or settled on the spot
    assert "满意率" in text and "50.0%" in text  # one satisfied of two rated
    assert "馨然嘉园社区" in text and "石榴桥社区" in text and "报到准时率" in text
    assert "每月一题" in text and "微心愿与积分" in text


def test_user_text_is_printed_literally_never_as_markup(client: TestClient) -> None:
    text, _ = pdf_text(client, LEADER)
    assert "<b>井盖</b> & <font size=40>丢失</font>" in text.replace("\n", "")


def test_community_staff_get_their_community_only(client: TestClient) -> None:
    text, _ = pdf_text(client, Principal(sub="x", role="community_staff", community_id="xinran"))
    assert "馨然嘉园社区 接诉即办月度报告" in text and "石榴桥社区" not in text and "每月一题" not in text
    assert "100.0%" in text  # xinran: both tickets responded
    department, _ = pdf_text(client, Principal(sub="w", role="department_staff", department_id="water"))
    assert "水务局" in department and "城市管理委员会" not in department and "微心愿" not in department


def test_bad_months_and_callers_are_refused(client: TestClient) -> None:
    def get(principal: Principal, month: str):  # noqa: ANN202
        return client.get("/report/monthly.pdf", params={"month": month}, headers={"Authorization": f"Bearer {mint_token(principal)}"})

    assert get(LEADER, "2026-13").status_code == 422 and "month" in get(LEADER, "2026-13").json()["detail"]
    assert get(Principal(sub="r", role="resident"), "2026-11").status_code == 403
    assert get(Principal(sub="x", role="community_staff"), "2026-11").status_code == 403  # a staff token without its community


def test_without_the_cjk_font_the_report_is_a_503_naming_it(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.dashboard import report_pdf

    monkeypatch.setattr(report_pdf, "FONT_PATHS", ("/nonexistent/font.ttc",))
    monkeypatch.delenv("DASHBOARD_PDF_FONT", raising=False)
    monkeypatch.setattr(report_pdf.pdfmetrics, "getRegisteredFontNames", lambda: [])
    answer = client.get("/report/monthly.pdf", params={"month": "2026-11"}, headers={"Authorization": f"Bearer {mint_token(LEADER)}"})
    assert answer.status_code == 503 and "中文字体" in answer.json()["detail"]
