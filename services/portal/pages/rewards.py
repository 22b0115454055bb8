"""积分兑换 (residents, grid workers, volunteers: the community's catalogue, redeem, my redemptions with the pickup
code as letters and a QR code) and 兑换核销 (community staff: type or scan a code, the pending pickups, the items:
add, restock, reprice, withdraw). They call the wishes service, which keeps the ledger and the stock."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from services.portal.clients import BackendRejected
from services.portal.forms import Posted
from services.portal.pages.wish_people import community_of
from services.portal.reward_forms import (
    KIND_ZH, REDEMPTION_STATUS, REWARD_NOTICES, CodeForm, ItemChangeForm, ItemForm, qr_svg,
)
from services.portal.views import BackendsDep, Viewer, page_for, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)
PersonPage = Annotated[Viewer, Depends(page_for("resident", "grid_worker", "volunteer"))]
StaffPage = Annotated[Viewer, Depends(page_for("community_staff", "supervisor", "admin"))]


def _words() -> dict[str, Any]:
    return {"redemption_status": REDEMPTION_STATUS, "kind_zh": KIND_ZH}


# --------------------------------------------------------------------------- 积分兑换 (people)


async def _shop(request: Request, viewer: Viewer, backends: Any, error: str | None = None, status_code: int = 200) -> Response:
    community_id = viewer.principal.community_id or ""
    items = await backends.call("wishes", "GET", f"/public/communities/{community_id}/rewards", token=None) if community_id else []
    points = await backends.call("wishes", "GET", "/me/points", token=viewer.token)
    mine = await backends.call("wishes", "GET", "/me/redemptions", token=viewer.token)
    codes = {r["id"]: qr_svg(r["code"]) for r in mine if r.get("code")}
    return render(
        request, "rewards.html", viewer, items=items, points=points, mine=mine, codes=codes,
        community=get_directory().community(community_id), notice=REWARD_NOTICES.get(request.query_params.get("ok", "")),
        error=error, status_code=status_code, **_words(),
    )


@router.get("/rewards")
async def shop(request: Request, viewer: PersonPage, backends: BackendsDep) -> Response:
    return await _shop(request, viewer, backends)


@router.post("/rewards/{item_id}/redeem")
async def redeem(request: Request, item_id: str, viewer: PersonPage, backends: BackendsDep) -> Response:
    """兑换: 积分余额不足 / 已兑完 (409) are shown on the page in Chinese; nothing was spent then."""
    try:
        got = await backends.call("wishes", "POST", f"/rewards/{item_id}/redeem", token=viewer.token)
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return await _shop(request, viewer, backends, rejection_message(exc, "兑换未成功"), exc.status_code)
    ok = "redeemed" if got["status"] == "pending_pickup" else "delivered"
    return redirect(f"/rewards?ok={ok}#r-{got['id']}")


@router.post("/rewards/redemptions/{redemption_id}/cancel")
async def cancel_mine(request: Request, redemption_id: str, viewer: PersonPage, backends: BackendsDep) -> Response:
    try:
        await backends.call("wishes", "POST", f"/redemptions/{redemption_id}/cancel", token=viewer.token)
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return await _shop(request, viewer, backends, rejection_message(exc, "取消未成功"), exc.status_code)
    return redirect("/rewards?ok=cancelled")


# --------------------------------------------------------------------------- 兑换核销 (community staff)


async def _desk(
    request: Request, viewer: Viewer, backends: Any, community: str | None, *, error: str | None = None,
    status_code: int = 200, collected: dict[str, Any] | None = None,
) -> Response:
    community_id = community_of(viewer, community)
    items = await backends.call("wishes", "GET", f"/communities/{community_id}/rewards", token=viewer.token)
    pending = await backends.call("wishes", "GET", f"/communities/{community_id}/redemptions", token=viewer.token,
                                  params={"status": "pending_pickup"})
    return render(
        request, "rewards_desk.html", viewer, items=items, pending=pending, community_id=community_id,
        community=get_directory().community(community_id), communities=get_directory().communities,
        collected=collected, notice=REWARD_NOTICES.get(request.query_params.get("ok", "")), error=error,
        status_code=status_code, **_words(),
    )


@router.get("/rewards/desk")
async def desk(
    request: Request, viewer: StaffPage, backends: BackendsDep, community: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return await _desk(request, viewer, backends, community)


async def _staff_act(request: Request, viewer: Viewer, backends: Any, community: str, method: str, path: str,
                     body: Any, ok: str, failed: str) -> Response:
    try:
        await backends.call("wishes", method, path, token=viewer.token, json=body)
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return await _desk(request, viewer, backends, community, error=rejection_message(exc, failed), status_code=exc.status_code)
    return redirect(f"/rewards/desk?community={community}&ok={ok}")


@router.post("/rewards/desk/{community}/collect")
async def collect(request: Request, community: str, viewer: StaffPage, backends: BackendsDep, form: Posted[CodeForm]) -> Response:
    """核销: a wrong, used or another community's code is named on the page (404/403); a good one shows what to hand over."""
    try:
        got = await backends.call("wishes", "POST", f"/communities/{community}/redemptions/collect", token=viewer.token, json=form.body())
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return await _desk(request, viewer, backends, community, error=rejection_message(exc, "核销未成功"), status_code=exc.status_code)
    return await _desk(request, viewer, backends, community, collected=got)


@router.post("/rewards/desk/{community}/items")
async def add_item(request: Request, community: str, viewer: StaffPage, backends: BackendsDep, form: Posted[ItemForm]) -> Response:
    return await _staff_act(request, viewer, backends, community, "POST", f"/communities/{community}/rewards", form.body(),
                            "item_added", "上架未成功")


@router.post("/rewards/desk/{community}/items/{item_id}")
async def change_item(
    request: Request, community: str, item_id: str, viewer: StaffPage, backends: BackendsDep, form: Posted[ItemChangeForm],
) -> Response:
    return await _staff_act(request, viewer, backends, community, "PATCH", f"/rewards/{item_id}", form.body(),
                            "item_changed", "保存未成功")


@router.post("/rewards/desk/{community}/redemptions/{redemption_id}/cancel")
async def cancel_for(
    request: Request, community: str, redemption_id: str, viewer: StaffPage, backends: BackendsDep,
) -> Response:
    return await _staff_act(request, viewer, backends, community, "POST", f"/redemptions/{redemption_id}/cancel", None,
                            "cancelled", "取消未成功")
