"""我的心愿 (the wisher: follow, confirm or dispute, read what they were told, my points) and 心愿审核 (community
staff: approve or decline wishes, confirm for a wisher, reopen a dispute, confirm volunteers' 报到)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from services.portal.clients import BackendRejected, BackendUnavailable
from services.portal.forms import Posted
from services.portal.views import BackendsDep, Viewer, page_for, redirect, rejection_message, render
from services.portal.wish_forms import REVIEW_TABS, WISH_NOTICES, WISH_STATUS, ApproveForm, ReasonForm, ThanksForm

router = APIRouter(default_response_class=HTMLResponse)
WisherPage = Annotated[Viewer, Depends(page_for("resident", "grid_worker"))]
StaffPage = Annotated[Viewer, Depends(page_for("community_staff", "supervisor", "admin"))]


def _notice(request: Request) -> str | None:
    return WISH_NOTICES.get(request.query_params.get("ok", ""))


# --------------------------------------------------------------------------- 我的心愿


async def _my_wishes(request: Request, viewer: Viewer, backends: Any, error: str | None = None, status_code: int = 200) -> Response:
    wishes = await backends.call("wishes", "GET", "/wishes/mine", token=viewer.token)
    notices = await backends.call("wishes", "GET", "/notices", token=viewer.token)
    points = await backends.call("wishes", "GET", "/me/points", token=viewer.token)
    return render(
        request, "my_wishes.html", viewer, wishes=[w for w in wishes if w["is_mine"]], notices=notices, points=points,
        wish_status=WISH_STATUS, notice=_notice(request), error=error, status_code=status_code,
    )


@router.get("/my-wishes")
async def my_wishes(request: Request, viewer: WisherPage, backends: BackendsDep) -> Response:
    return await _my_wishes(request, viewer, backends)


async def wish_statuses(backends: Any, viewer: Viewer, tickets: list[dict[str, Any]]) -> dict[str, str] | None:
    """我的诉求 names a 微心愿 by its wish status, asked of the wishes service (which owns it: intake only filed it).
    {} when the person filed no wish; None when the wishes service cannot answer now (the list still shows)."""
    if not any(t.get("kind") == "wish" for t in tickets):
        return {}
    try:
        wishes = await backends.call("wishes", "GET", "/wishes/mine", token=viewer.token)
    except (BackendRejected, BackendUnavailable):
        return None
    return {w["id"]: w["status"] for w in wishes if w["is_mine"]}


@router.get("/my-wishes/{wish_id}")
async def my_wish(request: Request, wish_id: str, viewer: WisherPage, backends: BackendsDep) -> Response:
    """One wish of mine: its status, who took it up, what was done, confirm or dispute. Another's wish is 404."""
    try:
        wish = await backends.call("wishes", "GET", f"/wishes/{wish_id}", token=viewer.token)
    except BackendRejected as exc:
        if exc.status_code != 404:
            raise
        wish = None
    if wish is not None and not wish["is_mine"]:
        wish = None
    return render(request, "my_wish.html", viewer, wish=wish, wish_id=wish_id, wish_status=WISH_STATUS,
                  notice=_notice(request), status_code=200 if wish else 404)


@router.post("/my-wishes/{wish_id}/confirm")
async def confirm(request: Request, wish_id: str, viewer: WisherPage, backends: BackendsDep, form: Posted[ThanksForm]) -> Response:
    try:
        await backends.call("wishes", "POST", f"/wishes/{wish_id}/confirm", token=viewer.token, json=form.body())
    except BackendRejected as exc:
        return await _my_wishes(request, viewer, backends, rejection_message(exc, "确认未成功"), exc.status_code)
    return redirect("/my-wishes?ok=wish_confirmed")


@router.post("/my-wishes/{wish_id}/dispute")
async def dispute(request: Request, wish_id: str, viewer: WisherPage, backends: BackendsDep, form: Posted[ReasonForm]) -> Response:
    try:
        await backends.call("wishes", "POST", f"/wishes/{wish_id}/dispute", token=viewer.token, json=form.body())
    except BackendRejected as exc:
        return await _my_wishes(request, viewer, backends, rejection_message(exc, "提交未成功"), exc.status_code)
    return redirect("/my-wishes?ok=wish_disputed")


# --------------------------------------------------------------------------- 心愿审核 (community staff)


def community_of(viewer: Viewer, requested: str | None) -> str:
    """Community staff review their own community; street and district roles pick one (the first by default)."""
    if viewer.role == "community_staff":
        return viewer.principal.community_id or ""
    known = [c.id for c in _communities(viewer)]
    return requested if requested in known else (known[0] if known else "")


def _communities(viewer: Viewer) -> list[Any]:
    """The communities a reviewer may pick: a supervisor their street's, admins every one."""
    directory = get_directory()
    return directory.communities_of(viewer.principal.street_id) if viewer.role == "supervisor" else directory.communities


async def _review(
    request: Request, viewer: Viewer, backends: Any, tab: str, community: str | None,
    error: str | None = None, status_code: int = 200,
) -> Response:
    community_id = community_of(viewer, community)
    tab = tab if tab in dict(REVIEW_TABS) else "pending_review"
    if tab == "volunteers":
        rows = await backends.call("wishes", "GET", f"/communities/{community_id}/volunteers", token=viewer.token)
    else:
        rows = await backends.call("wishes", "GET", f"/communities/{community_id}/wishes", token=viewer.token, params={"status": tab})
    return render(
        request, "wish_review.html", viewer, rows=rows, tab=tab, tabs=REVIEW_TABS, community_id=community_id,
        community=get_directory().community(community_id), communities=_communities(viewer),
        wish_status=WISH_STATUS, notice=_notice(request), error=error, status_code=status_code,
    )


@router.get("/wish-review")
async def review(
    request: Request, viewer: StaffPage, backends: BackendsDep,
    tab: Annotated[str, Query(max_length=20)] = "pending_review", community: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return await _review(request, viewer, backends, tab, community)


async def _act(
    request: Request, viewer: Viewer, backends: Any, path: str, body: Any, *, tab: str, community: str, ok: str,
    method: str = "POST",
) -> Response:
    try:
        await backends.call("wishes", method, path, token=viewer.token, json=body)
    except BackendRejected as exc:
        return await _review(request, viewer, backends, tab, community, rejection_message(exc, "操作未成功"), exc.status_code)
    return redirect(f"/wish-review?tab={tab}&community={community}&ok={ok}")


@router.post("/wish-review/{community}/{wish_id}/approve")
async def approve(request: Request, community: str, wish_id: str, viewer: StaffPage, backends: BackendsDep, form: Posted[ApproveForm]) -> Response:
    return await _act(request, viewer, backends, f"/wishes/{wish_id}/approve", form.body(), tab="pending_review",
                      community=community, ok="wish_approved")


@router.post("/wish-review/{community}/{wish_id}/decline")
async def decline(request: Request, community: str, wish_id: str, viewer: StaffPage, backends: BackendsDep, form: Posted[ReasonForm]) -> Response:
    return await _act(request, viewer, backends, f"/wishes/{wish_id}/decline", form.body(), tab="pending_review",
                      community=community, ok="wish_declined")


@router.post("/wish-review/{community}/{wish_id}/confirm")
async def confirm_for_wisher(
    request: Request, community: str, wish_id: str, viewer: StaffPage, backends: BackendsDep, form: Posted[ThanksForm],
) -> Response:
    return await _act(request, viewer, backends, f"/wishes/{wish_id}/confirm", form.body(), tab="fulfilled",
                      community=community, ok="wish_confirmed")


@router.post("/wish-review/{community}/{wish_id}/reopen")
async def reopen(request: Request, community: str, wish_id: str, viewer: StaffPage, backends: BackendsDep) -> Response:
    return await _act(request, viewer, backends, f"/wishes/{wish_id}/reopen", None, tab="disputed",
                      community=community, ok="wish_reopened")


@router.post("/wish-review/{community}/volunteers/{volunteer_id}/confirm")
async def confirm_volunteer(request: Request, community: str, volunteer_id: str, viewer: StaffPage, backends: BackendsDep) -> Response:
    return await _act(request, viewer, backends, f"/volunteers/{volunteer_id}/confirm", None, tab="volunteers",
                      community=community, ok="volunteer_confirmed")
