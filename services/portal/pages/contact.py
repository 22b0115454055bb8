"""查看完整号码: the ticket's handler (community staff on the console, department staff on the worklist) sees the
reporter's full number to call back. Intake records every reveal; the page is never cached. Admins read the record
(号码查看记录) at /admin/contact-reveals."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.views import AdminPage, BackendsDep, Viewer, page_for, render

router = APIRouter(default_response_class=HTMLResponse)

CommunityStaff = Annotated[Viewer, Depends(page_for("community_staff"))]
DepartmentStaff = Annotated[Viewer, Depends(page_for("department_staff"))]


async def reveal_number(request: Request, viewer: Viewer, clients: BackendsDep, ticket_id: str, back: str) -> Response:
    contact = await clients.call("intake", "POST", f"/tickets/{quote(ticket_id)}/contact/reveal", token=viewer.token)
    page = render(request, "contact.html", viewer, contact=contact, back=f"{back}#ticket-{ticket_id}")
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/worklist/{ticket_id}/reveal")
async def reveal_for_department(request: Request, ticket_id: str, viewer: DepartmentStaff, clients: BackendsDep) -> Response:
    return await reveal_number(request, viewer, clients, ticket_id, "/worklist")


@router.post("/console/{ticket_id}/reveal")
async def reveal_for_community(request: Request, ticket_id: str, viewer: CommunityStaff, clients: BackendsDep) -> Response:
    return await reveal_number(request, viewer, clients, ticket_id, "/console")


@router.get("/admin/contact-reveals")
async def contact_reveals(
    request: Request,
    viewer: AdminPage,
    clients: BackendsDep,
    ticket_id: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    params = {"limit": 200, **({"ticket_id": ticket_id.strip()} if ticket_id.strip() else {})}
    reveals = await clients.call("intake", "GET", "/admin/contact-reveals", token=viewer.token, params=params)
    return render(request, "contact_reveals.html", viewer, reveals=reveals, ticket_id=ticket_id.strip())
