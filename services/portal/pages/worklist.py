"""Department staff 部门办哨: the worklist (tabs 待办 / 办结 / 已退单 / 全部 with their counts, search, filters, sort,
pages), each ticket with its deadlines and the working time left; accept (签收), contact the resident first (先行联系),
ask for an extension (延期), resolve (办结), or return a misrouted ticket (退单)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.actions import TicketActions
from services.portal.forms import ExtensionForm, NoteForm, ResolveForm, ReturnForm
from services.portal.lists import FLAGS, SORTS, ListQuery, load_list
from services.portal.views import BackendsDep, WorklistPage, render

router = APIRouter(default_response_class=HTMLResponse)

WORKLIST_TABS = ("todo", "done", "returned", "all")
TAB_LABELS = {"todo": "待办", "done": "办结", "returned": "已退单", "all": "全部"}


@router.get("/worklist")
async def worklist(request: Request, viewer: WorklistPage, clients: BackendsDep) -> Response:
    query = ListQuery.read(request.query_params, WORKLIST_TABS)
    listed = await load_list(clients, "department", viewer.token, query)
    return render(request, "worklist.html", viewer, lp=listed, tab_labels=TAB_LABELS, list_sorts=SORTS, list_flags=FLAGS)


actions = TicketActions(router, "/worklist", "department", WorklistPage)
actions.add("accept", ok="accepted")  # 签收
actions.add("resolve", ResolveForm, ok="resolved")  # 办结
actions.add("return", ReturnForm, ok="returned")  # 退单
actions.add("contact", NoteForm, ok="contacted")  # 先行联系
actions.add("extension", ExtensionForm, ok="extension")  # 延期申请
