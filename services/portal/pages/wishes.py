"""心愿墙 (public, no login: a community's approved wishes without anyone's details, and its 积分公示) and the
volunteer's pages (志愿服务: 报到, my claims, 圆梦, my points and hours). They call the wishes service."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from services.portal.clients import BackendRejected
from services.portal.forms import Posted
from services.portal.pages import photos
from services.portal.views import BackendsDep, Viewer, optional_viewer, page_for, redirect, rejection_message, render
from services.portal.wish_forms import UNIT_TYPES, WALL_TABS, WISH_NOTICES, WISH_STATUS, FulfilForm, VolunteerForm

router = APIRouter(default_response_class=HTMLResponse)
VolunteerPage = Annotated[Viewer, Depends(page_for("volunteer"))]


def _notice(request: Request) -> str | None:
    return WISH_NOTICES.get(request.query_params.get("ok", ""))


def _community_or_404(community_id: str):  # noqa: ANN202
    community = get_directory().community(community_id)
    if community is None:
        raise HTTPException(404, "没有这个社区")
    return community


@router.get("/wall")
def wall_index(request: Request) -> Response:
    """心愿墙: choose a community (a volunteer or resident goes straight to their own)."""
    viewer = optional_viewer(request)
    if viewer and viewer.principal.community_id and get_directory().community(viewer.principal.community_id):
        return redirect(f"/wall/{viewer.principal.community_id}")
    return render(request, "wall_index.html", viewer, communities=get_directory().communities)


@router.get("/wall/{community_id}")
async def wall(
    request: Request, community_id: str, backends: BackendsDep,
    status: Annotated[str, Query(max_length=20)] = "", error: str | None = None,
) -> Response:
    community = _community_or_404(community_id)
    status = status if status in dict(WALL_TABS) else ""
    params = {"status": status} if status else None
    wishes = await backends.call("wishes", "GET", f"/public/communities/{community_id}/wall", token=None, params=params)
    viewer = optional_viewer(request)
    can_claim = bool(viewer and viewer.role == "volunteer" and viewer.principal.community_id == community_id)
    return render(
        request, "wall.html", viewer, community=community, wishes=wishes, tabs=WALL_TABS, status=status,
        wish_status=WISH_STATUS, can_claim=can_claim, notice=_notice(request), error=error,
        status_code=409 if error else 200,
    )


@router.get("/wall/{community_id}/points")
async def wall_points(request: Request, community_id: str, backends: BackendsDep) -> Response:
    """积分公示: the community's volunteers by points and hours, surname only."""
    community = _community_or_404(community_id)
    board = await backends.call("wishes", "GET", f"/public/communities/{community_id}/points", token=None)
    return render(request, "wall_points.html", optional_viewer(request), community=community, board=board)


@router.post("/wall/{community_id}/{wish_id}/claim")
async def claim(request: Request, community_id: str, wish_id: str, viewer: VolunteerPage, backends: BackendsDep) -> Response:
    """揽梦 from the wall; a refusal (已被认领…) is shown on the wall itself."""
    try:
        await backends.call("wishes", "POST", f"/wishes/{wish_id}/claim", token=viewer.token)
    except BackendRejected as exc:
        if exc.status_code in (401,):
            raise
        return await wall(request, community_id, backends, error=rejection_message(exc, "认领未成功"))
    return redirect("/volunteer?ok=wish_claimed")


# --------------------------------------------------------------------------- 志愿服务 (volunteers)


async def _volunteer_page(request: Request, viewer: Viewer, backends: Any, error: str | None = None, status_code: int = 200) -> Response:
    try:
        me = await backends.call("wishes", "GET", "/volunteers/me", token=viewer.token)
    except BackendRejected as exc:
        if exc.status_code != 404:
            raise
        me = None
    claims = await backends.call("wishes", "GET", "/wishes/mine", token=viewer.token)
    notices = await backends.call("wishes", "GET", "/notices", token=viewer.token)
    points = await backends.call("wishes", "GET", "/me/points", token=viewer.token)
    running = [w for w in claims if w["status"] in ("claimed", "disputed")]
    waiting = [w for w in claims if w["status"] == "fulfilled"]
    community = get_directory().community(viewer.principal.community_id or "")
    return render(
        request, "volunteer.html", viewer, me=me, running=running, waiting=waiting, notices=notices, points=points,
        community=community, wish_status=WISH_STATUS, notice=_notice(request), error=error, status_code=status_code,
        unit_types=UNIT_TYPES,
    )


@router.get("/volunteer")
async def volunteer_home(request: Request, viewer: VolunteerPage, backends: BackendsDep) -> Response:
    return await _volunteer_page(request, viewer, backends)


@router.post("/volunteer/register")
async def register(request: Request, viewer: VolunteerPage, backends: BackendsDep, form: Posted[VolunteerForm]) -> Response:
    """在职党员回社区报到: the token's community is the home community."""
    body = form.body_for(viewer.principal.community_id or "")
    try:
        await backends.call("wishes", "PUT", "/volunteers/me", token=viewer.token, json=body)
    except BackendRejected as exc:
        return await _volunteer_page(request, viewer, backends, rejection_message(exc, "报到未成功"), exc.status_code)
    return redirect("/volunteer?ok=volunteer_registered")


@router.post("/volunteer/photos", summary="圆梦: upload the picked photos to intake as the volunteer (JSON for the picker)")
async def upload_photos(request: Request, viewer: VolunteerPage, backends: BackendsDep) -> Response:
    return await photos.upload_photos(request, viewer, backends)  # the same checks; intake takes the volunteer role


@router.post("/volunteer/wishes/{wish_id}/fulfil")
async def fulfil(request: Request, wish_id: str, viewer: VolunteerPage, backends: BackendsDep, form: Posted[FulfilForm]) -> Response:
    try:
        await backends.call("wishes", "POST", f"/wishes/{wish_id}/fulfil", token=viewer.token, json=form.body())
    except BackendRejected as exc:
        return await _volunteer_page(request, viewer, backends, rejection_message(exc, "登记未成功"), exc.status_code)
    return redirect("/volunteer?ok=wish_fulfilled")


@router.post("/volunteer/wishes/{wish_id}/release")
async def release(request: Request, wish_id: str, viewer: VolunteerPage, backends: BackendsDep) -> Response:
    try:
        await backends.call("wishes", "POST", f"/wishes/{wish_id}/release", token=viewer.token)
    except BackendRejected as exc:
        return await _volunteer_page(request, viewer, backends, rejection_message(exc, "操作未成功"), exc.status_code)
    return redirect("/volunteer?ok=wish_released")
