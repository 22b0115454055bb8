"""The monthly report (月度报告) as a PDF a street office can print: the month's 三率 and the other rates with 环比,
the community and department rankings (with 吹哨报到), hot issues and 每月一题, and the wish wall's figures. Built with
ReportLab's platypus (A4, tables), the CJK font embedded (a subset of WenQuanYi Micro Hei, `make system-deps`), every
piece of user text (titles, place names, notes) escaped before ReportLab's paragraph markup sees it.

What the caller may see is access.py's answer: leadership gets the district with every ranking, hot issues and topics;
community staff their community (their ranking row, their wishes); department staff their department."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlmodel import Session

from libs.directory import get_directory
from services.dashboard import hot, queries
from services.dashboard.access import Visibility
from services.dashboard.models import RankingRow, Summary
from services.dashboard.periods import BEIJING, period_of, today
from services.dashboard.wishes import WishStats, wish_stats

FONT = "WenQuanYi"
FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc")
RATES = (("response_rate", "响应率"), ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率"), ("closure_rate", "办结率"),
         ("on_time_rate", "按期办结率"), ("overdue_rate", "超期率"), ("return_rate", "退单率"), ("reopen_rate", "重办率"))


class FontMissing(RuntimeError):
    """No CJK TrueType font: the report cannot print Chinese (install fonts-wqy-microhei: `make system-deps`)."""


def font_path() -> Path:
    for candidate in filter(None, (os.environ.get("DASHBOARD_PDF_FONT"), *FONT_PATHS)):
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("缺少中文字体 fonts-wqy-microhei（make system-deps），无法生成 PDF")


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path()), subfontIndex=0))  # embedded as a subset


@dataclass
class MonthlyReport:
    month: str  # YYYY-MM
    title: str
    summary: Summary
    communities: list[RankingRow] = field(default_factory=list)
    departments: list[RankingRow] = field(default_factory=list)
    hot: list[hot.HotIssue] = field(default_factory=list)
    topics: list[hot.TopicPublic] = field(default_factory=list)
    wishes: WishStats | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(BEIJING))


def gather(session: Session, vis: Visibility, month: str, weights: dict[str, int] | None = None) -> MonthlyReport:
    """The figures of `month` that `vis` may see."""
    period = period_of("month", date.fromisoformat(f"{month}-01"))
    scope = "all" if vis.everything else (vis.own_scope or "")
    vis.check(scope)
    summary = queries.summary(session, scope, period, weights)
    title = f"{get_directory().district.name if vis.everything else summary.name} 接诉即办月度报告 · {period.label}"
    report = MonthlyReport(month=month, title=title, summary=summary,
                           communities=queries.ranking(session, "community", period, vis, weights),
                           departments=queries.ranking(session, "department", period, vis, weights))
    if vis.everything:
        report.hot = [h for h in hot.hot_issues(session, window_days=30, as_of=min(period.end, today())) if vis.may_read(h.scope)]
        report.topics = [t for t in hot.list_topics(session, month=month) if vis.may_read(t.scope)]
    if vis.everything or vis.community_id:
        report.wishes = wish_stats(session, period, community_id=vis.community_id)  # district totals, no rows per community
    return report


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _change(value: float | None) -> str:
    if value is None:
        return "—"
    return "持平" if value == 0 else f"{'↑' if value > 0 else '↓'}{abs(value):.1f}个百分点"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    return {"base": base, "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=colors.grey),
            "h1": ParagraphStyle("h1", parent=base, fontSize=16, leading=22, spaceAfter=4),
            "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=17, spaceBefore=10, spaceAfter=4)}


def _text(value: object, style: ParagraphStyle) -> Paragraph:
    """A cell or line of text, escaped: user text never becomes ReportLab markup."""
    return Paragraph(escape(str(value)), style)


def _table(headers: list[str], rows: list[list[object]], style: ParagraphStyle, widths: list[float] | None = None) -> Table:
    data = [[_text(h, style) for h in headers]] + [[_text(cell, style) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c0cc")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _ranking_rows(rows: list[RankingRow], department: bool) -> list[list[object]]:
    out = []
    for row in rows:
        r = row.rates
        cells: list[object] = [row.rank, row.name, row.filed, _pct(r.response_rate), _pct(r.resolution_rate),
                               _pct(r.satisfaction_rate), _pct(r.closure_rate), "—" if r.score is None else r.score]
        cells += [r.summonses, _pct(r.summons_on_time_rate)] if department else [r.summonses]
        out.append(cells)
    return out


def render(report: MonthlyReport) -> bytes:
    """The report as PDF bytes (A4 portrait)."""
    _register_font()
    st = _styles()
    s, r = report.summary, report.summary.rates
    story: list = [_text(report.title, st["h1"]),
                   _text(f"生成于 {report.generated_at:%Y-%m-%d %H:%M}（北京时间） · 统计口径：按受理日（部门按派单日）", st["small"]),
                   _text("一、三率及各项指标", st["h2"])]
    rows = [["受理" if not s.scope.startswith("department:") else "派单", s.filed, "—" if s.change.get("filed") is None else f"{s.change['filed'] * 100:+.1f}%"]]
    rows += [[name, _pct(getattr(r, key)), _change(s.change.get(key))] for key, name in RATES]
    rows += [["平均办理时长", "—" if r.avg_handling_hours is None else f"{r.avg_handling_hours}小时", "—"],
             ["综合得分", "—" if r.score is None else r.score, _change(s.change.get("score"))],
             ["未评价 / 回访未接通", f"{r.unrated} / {r.unreachable}", "单列，不计入满意率"],
             ["吹哨报到", f"{r.summonses} 次", _pct(r.summons_on_time_rate) + " 报到准时率" if s.scope.startswith("department:") else "—"]]
    story.append(_table(["指标", "本月", "环比"], rows, st["base"], [45 * mm, 45 * mm, 60 * mm]))
    for label, rows_, department in (("二、社区排名", report.communities, False), ("三、部门排名", report.departments, True)):
        story.append(_text(label, st["h2"]))
        headers = ["#", "名称", "派单" if department else "受理", "响应率", "解决率", "满意率", "办结率", "综合得分"]
        headers += ["被吹哨", "报到准时率"] if department else ["吹哨报到"]
        story.append(_table(headers, _ranking_rows(rows_, department), st["base"]) if rows_ else _text("本月暂无数据。", st["base"]))
    if report.hot or report.topics:
        story.append(_text("四、热点问题（近30天）与每月一题", st["h2"]))
        if report.hot:
            story.append(_table(["名称", "实际", "期望", "倍数"], [[h.name, h.observed, h.expected, h.ratio or "—"] for h in report.hot], st["base"]))
        for t in report.topics:
            state = "已办结" if t.status == "closed" else "跟踪中"
            story.append(_text(f"每月一题：{t.title}（{t.name}，{state}；此后新增 {t.tickets_since} 件，未办结 {t.open_now} 件）"
                               + (f" 办结说明：{t.note}" if t.note else ""), st["base"]))
    if report.wishes is not None:
        w = report.wishes
        story.append(_text("五、微心愿与积分", st["h2"]))
        story.append(_table(["提交", "认领", "圆梦", "确认", "平均圆梦天数", "活跃志愿者", "积分", "时长（小时）"],
                            [[w.posted, w.claimed, w.fulfilled, w.confirmed, "—" if w.avg_days_to_fulfil is None else w.avg_days_to_fulfil,
                              w.active_volunteers, w.points_credited, w.hours_credited]], st["base"]))
    story += [Spacer(1, 6 * mm), _text("说明：未评价、回访未接通的诉求单列，从不计为满意；综合得分按管理员设定的权重计算。", st["small"])]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
                            title=report.title, author="Whistle 接诉即办")
    doc.build(story)
    return buffer.getvalue()
