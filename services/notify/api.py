"""站内信 and 通知设置 over HTTP: every signed-in person reads, counts and marks their own messages and sets their own
channels; nobody reaches another person's (their ids answer 404)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from libs.auth import ROLES, Principal, require
from libs.runtime import RuntimeDep
from services.notify.commands import inbox
from services.notify.models import ContactPublic, ContactRequest, InboxItemPublic, InboxPage, UnreadCount

router = APIRouter(tags=["inbox"])

Anyone = Annotated[Principal, Depends(require(*ROLES))]


@router.get("/inbox", response_model=InboxPage, summary="站内信: my messages, newest first, with the unread count")
def list_inbox(
    principal: Anyone, runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0)] = 0, unread_only: bool = False,
) -> InboxPage:
    return runtime.read(inbox.list_inbox, principal=principal, limit=limit, offset=offset, unread_only=unread_only)


@router.get("/inbox/unread", response_model=UnreadCount, summary="How many of my messages are unread (the header badge)")
def unread(principal: Anyone, runtime: RuntimeDep) -> UnreadCount:
    return UnreadCount(unread=runtime.read(inbox.unread_count, principal=principal))


@router.post("/inbox/read-all", response_model=UnreadCount, summary="Mark all my messages read")
def read_all(principal: Anyone, runtime: RuntimeDep) -> UnreadCount:
    runtime.run(inbox.mark_all_read, principal=principal)
    return UnreadCount(unread=0)


@router.post("/inbox/{item_id}/read", response_model=InboxItemPublic, summary="Mark one of my messages read (another's: 404)")
def read_one(item_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: Anyone, runtime: RuntimeDep) -> InboxItemPublic:
    return runtime.run(inbox.mark_read, principal=principal, item_id=item_id)


@router.get("/me/notify-settings", response_model=ContactPublic, summary="通知设置: my channels and addresses (phone masked)")
def get_settings(principal: Anyone, runtime: RuntimeDep) -> ContactPublic:
    return runtime.read(inbox.get_contact, principal=principal)


@router.put("/me/notify-settings", response_model=ContactPublic, summary="通知设置: choose my channels (站内信 is always on)")
def put_settings(body: ContactRequest, principal: Anyone, runtime: RuntimeDep) -> ContactPublic:
    return runtime.run(inbox.set_contact, principal=principal, body=body)
