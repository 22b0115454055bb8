"""GET /report/monthly.pdf?month=YYYY-MM: the monthly report (三率, rankings, hot issues, wishes) as a printable PDF,
holding only what the caller may see (report_pdf.gather, access.py)."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from libs.runtime import RuntimeDep
from libs.runtime.errors import STANDARD
from services.dashboard import weights
from services.dashboard.access import visibility
from services.dashboard.api import Month, Viewer
from services.dashboard.report_pdf import FontMissing, gather, render

router = APIRouter(tags=["dashboard"])


@router.get(
    "/report/monthly.pdf", summary="The monthly report as a PDF (月度报告: 三率, rankings, hot issues, 每月一题, 微心愿)",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the PDF (A4)"},
        403: {"description": "a staff token without its community or department",
              "content": {"application/json": {"example": {"detail": "scope: '' 超出您的查看范围（无）"}}}},
        422: {"description": "month is not a real month", "content": {"application/json": {"example": {"detail": "month: '2026-13' is not a real date (Y-m)"}}}},
        503: {"description": "the CJK font is not installed, or the database does not answer (then with `Retry-After`)",
              "content": {"application/json": {"examples": {
                  "font": {"summary": "缺少中文字体 / CJK font missing", "value": {"detail": "缺少中文字体"}},
                  "database": STANDARD[503]["examples"]["database"]}}}},
    },
)
def monthly_pdf(principal: Viewer, runtime: RuntimeDep, month: Month) -> Response:
    vis = visibility(principal)
    with runtime.session() as session:
        report = gather(session, vis, month, weights.current_weights(session))
    try:
        body = render(report)
    except FontMissing as exc:
        raise HTTPException(503, detail=str(exc)) from None
    filename = f"月度报告-{month}.pdf"
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"report-{month}.pdf\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })
