"""Every dashboard table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese) or xlsx (openpyxl): the same
rows the API answers, with Chinese headers; rates as percentages. Values that look like formulas are written as text."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from services.dashboard.hot import HotIssue, RepeatedPlace
from services.dashboard.models import EscalatedTicket, RankingRow, Summary, TicketRow
from services.dashboard.names import scope_name
from services.dashboard.rates import DEFINITIONS

Table = tuple[str, list[str], list[list[Any]]]  # title, headers, rows
RATE_COLUMNS = ("response_rate", "resolution_rate", "satisfaction_rate", "closure_rate", "on_time_rate", "overdue_rate",
                "return_rate", "reopen_rate")
STATUS_ZH = {"filed": "待转哨", "dispatched": "待签收", "accepted": "办理中", "returned": "已退单", "resolved": "已办结待评价",
             "settled_on_spot": "即办待评价", "reopened": "重办中", "callback": "待回访", "closed": "已关闭", "merged": "已合并"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _rate_cells(row: Summary) -> list[Any]:
    r = row.rates
    return [*(_pct(getattr(r, k)) for k in RATE_COLUMNS), "—" if r.avg_handling_hours is None else r.avg_handling_hours,
            "—" if r.score is None else r.score, r.unrated, r.unreachable]


RATE_HEADERS = [*(DEFINITIONS[k][0] for k in RATE_COLUMNS), "平均办理时长（小时）", "综合得分", "未评价", "回访未接通"]


def summary_table(s: Summary) -> Table:
    rows = [[s.name, s.period.label if s.period else "", s.filed, *_rate_cells(s)]]
    headers = ["范围", "周期", "派单数" if s.scope.startswith("department:") else "受理数", *RATE_HEADERS]
    return f"{s.name} {s.period.label if s.period else ''}", headers, rows


def ranking_table(rows: Sequence[RankingRow], dimension: str, label: str) -> Table:
    headers = ["名次", "较上期", "名称", "派单数" if dimension == "department" else "受理数", *RATE_HEADERS]
    body = [[r.rank, "—" if r.rank_change is None else f"{r.rank_change:+d}", r.name, r.filed, *_rate_cells(r)] for r in rows]
    return f"排名 {label}", headers, body


def trend_table(points: Sequence[dict[str, Any]], name: str) -> Table:
    headers = ["日期", "受理数", *(DEFINITIONS[k][0] for k in ("response_rate", "resolution_rate", "satisfaction_rate", "closure_rate")), "综合得分"]
    body = [[p["label"], p["filed"], *(_pct(p[k]) for k in ("response_rate", "resolution_rate", "satisfaction_rate", "closure_rate")),
             "—" if p["score"] is None else p["score"]] for p in points]
    return f"趋势 {name}", headers, body


def tickets_table(rows: Sequence[TicketRow | EscalatedTicket], title: str) -> Table:
    headers = ["编号", "标题", "社区", "部门", "状态", "督办级别", "受理时间"]
    body = []
    for t in rows:
        filed = getattr(t, "filed_at", None) or t.updated_at
        body.append([t.id, t.title, scope_name(f"community:{t.community_id}"),
                     scope_name(f"department:{t.department_id}") if t.department_id else "",
                     STATUS_ZH.get(t.status, t.status), t.escalation_level, filed.isoformat(timespec="minutes")])
    return title, headers, body


def hot_table(rows: Sequence[HotIssue], window_days: int) -> Table:
    headers = ["名称", "范围", "窗口（天）", "实际件数", "期望件数", "倍数", "P 值"]
    return f"热点问题 近{window_days}天", headers, [[h.name, h.scope, h.window_days, h.observed, h.expected, h.ratio, h.p_value] for h in rows]


def repeated_table(rows: Sequence[RepeatedPlace]) -> Table:
    headers = ["地点", "近30天件数", "未办结", "类别"]
    body = [[r.name, r.tickets, r.open, "、".join(f"{scope_name('category:' + c)}×{n}" for c, n in r.categories.items())] for r in rows]
    return "重复诉求地点", headers, body


def _safe(value: Any) -> Any:
    """Text a spreadsheet would take for a formula (=, +, -, @) is prefixed with a quote (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not value.lstrip("+-").replace(".", "", 1).isdigit():
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """A spreadsheet cell: formula-safe, without the control characters a worksheet cannot hold (a title typed with
    one would otherwise make the whole export fail; found by fuzzing)."""
    value = _safe(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_csv(table: Table) -> bytes:
    _, headers, rows = table
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    title, headers, rows = table
    book = Workbook()
    sheet = book.active
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet1"
    sheet.append(headers)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(str(header)) * 2 + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
