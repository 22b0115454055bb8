"""三张清单 (public: a community's needs, resources and projects; a volunteer of the community signs up or withdraws
there) and 服务项目 (community staff: publish a project, see who signed up, confirm who attended)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from services.portal.clients import BackendRejected
from services.portal.forms import Posted
from services.portal.pages.wish_people import community_of
from services.portal.reward_forms import PROJECT_NOTICES, SIGNUP_STATUS, ProjectForm
from services.portal.views import BackendsDep, Viewer, optional_viewer, page_for, redirect, rejection_message, render
from services.portal.wish_forms import WISH_STATUS

router = APIRouter(default_response_class=HTMLResponse)
VolunteerPage = Annotated[Viewer, Depends(page_for("volunteer"))]
StaffPage = Annotated[Viewer, Depends(page_for("community_staff", "supervisor", "admin"))]


def _notice(request: Request) -> str | None:
    return PROJECT_NOTICES.get(request.query_params.get("ok", ""))


@router.get("/lists")
def lists_index(request: Request) -> Response:
    """三张清单: one's own community, or the list of communities."""
    viewer = optional_viewer(request)
    if viewer and viewer.principal.community_id and get_directory().community(viewer.principal.community_id):
        return redirect(f"/lists/{viewer.principal.community_id}")
    return render(request, "lists_index.html", viewer, communities=get_directory().communities)


@router.get("/lists/{community_id}")
async def community_lists_page(request: Request, community_id: str, backends: BackendsDep) -> Response:
    return await community_lists(request, community_id, backends)


async def community_lists(request: Request, community_id: str, backends: Any, error: str | None = None,
                          status_code: int = 200) -> Response:
    community = get_directory().community(community_id)
    if community is None:
        raise HTTPException(404, "没有这个社区")
    shown = await backends.call("wishes", "GET", f"/public/communities/{community_id}/lists", token=None)
    viewer = optional_viewer(request)
    can_sign_up = bool(viewer and viewer.role == "volunteer" and viewer.principal.community_id == community_id)
    mine: dict[str, Any] = {}
    if can_sign_up:
        mine = {p["id"]: p["my_signup"] for p in await backends.call("wishes", "GET", "/me/projects", token=viewer.token)}
    return render(
        request, "lists.html", viewer, community=community, lists=shown, can_sign_up=can_sign_up, mine=mine,
        signup_status=SIGNUP_STATUS, wish_status=WISH_STATUS, notice=_notice(request), error=error, status_code=status_code,
    )


async def _volunteer_act(request: Request, viewer: Viewer, backends: Any, community_id: str, path: str, ok: str, failed: str) -> Response:
    try:
        await backends.call("wishes", "POST", path, token=viewer.token)
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return await community_lists(request, community_id, backends, error=rejection_message(exc, failed), status_code=exc.status_code)
    return redirect(f"/lists/{community_id}?ok={ok}#projects")


@router.post("/lists/{community_id}/projects/{project_id}/signup")
async def sign_up(request: Request, community_id: str, project_id: str, viewer: VolunteerPage, backends: BackendsDep) -> Response:
    return await _volunteer_act(request, viewer, backends, community_id, f"/projects/{project_id}/signup", "signed_up", "报名未成功")


@router.post("/lists/{community_id}/projects/{project_id}/withdraw")
async def withdraw(request: Request, community_id: str, project_id: str, viewer: VolunteerPage, backends: BackendsDep) -> Response:
    return await _volunteer_act(request, viewer, backends, community_id, f"/projects/{project_id}/withdraw", "withdrawn", "取消未成功")


# --------------------------------------------------------------------------- 服务项目 (community staff)


async def _manage(request: Request, viewer: Viewer, backends: Any, community: str | None, error: str | None = None,
                  status_code: int = 200) -> Response:
    community_id = community_of(viewer, community)
    rows = await backends.call("wishes", "GET", f"/communities/{community_id}/projects", token=viewer.token)
    return render(
        request, "projects_manage.html", viewer, projects=rows, community_id=community_id,
        community=get_directory().community(community_id), communities=get_directory().communities,
        signup_status=SIGNUP_STATUS, notice=_notice(request), error=error, status_code=status_code,
    )


@router.get("/projects/manage")
async def manage(request: Request, viewer: StaffPage, backends: BackendsDep,
                 community: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    return await _manage(request, viewer, backends, community)


async def _staff_act(request: Request, viewer: Viewer, backends: Any, community: str, path: str, body: Any, ok: str, failed: str) -> Response:
    try:
        await backends.call("wishes", "POST", path, token=viewer.token, json=body)
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return await _manage(request, viewer, backends, community, rejection_message(exc, failed), exc.status_code)
    return redirect(f"/projects/manage?community={community}&ok={ok}")


@router.post("/projects/manage/{community}")
async def publish(request: Request, community: str, viewer: StaffPage, backends: BackendsDep, form: Posted[ProjectForm]) -> Response:
    return await _staff_act(request, viewer, backends, community, f"/communities/{community}/projects", form.body(),
                            "project_published", "发布未成功")


@router.post("/projects/manage/{community}/{project_id}/signups/{signup_id}/attended")
async def attended(request: Request, community: str, project_id: str, signup_id: str, viewer: StaffPage, backends: BackendsDep) -> Response:
    return await _staff_act(request, viewer, backends, community, f"/projects/{project_id}/signups/{signup_id}/attended", None,
                            "attended", "确认未成功")


@router.post("/projects/manage/{community}/{project_id}/cancel")
async def cancel(request: Request, community: str, project_id: str, viewer: StaffPage, backends: BackendsDep) -> Response:
    return await _staff_act(request, viewer, backends, community, f"/projects/{project_id}/cancel", None,
                            "project_cancelled", "取消未成功")
