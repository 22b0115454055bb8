"""Department staff 部门办哨: the worklist; accept (签收), contact the resident first (先行联系), ask for an extension
(延期), resolve (办结), or return a misrouted ticket (退单)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.actions import TicketActions
from services.portal.forms import ExtensionForm, NoteForm, ResolveForm, ReturnForm
from services.portal.views import BackendsDep, WorklistPage, render

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/worklist")
async def worklist(request: Request, viewer: WorklistPage, clients: BackendsDep) -> Response:
    tickets = await clients.call("department", "GET", "/tickets", token=viewer.token, params={"limit": 200})
    tickets.sort(key=lambda t: (-t.get("escalation_level", 0), t.get("dispatched_at") or ""))
    return render(request, "worklist.html", viewer, tickets=tickets)


actions = TicketActions(router, "/worklist", "department", WorklistPage)
actions.add("accept", ok="accepted")  # 签收
actions.add("resolve", ResolveForm, ok="resolved")  # 办结
actions.add("return", ReturnForm, ok="returned")  # 退单
actions.add("contact", NoteForm, ok="contacted")  # 先行联系
actions.add("extension", ExtensionForm, ok="extension")  # 延期申请
