"""Staff and admins: the message log (送达记录) and dead letters of their scope, a retry, the roster's look-up, and the
roster and templates as versioned documents (admins publish)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from libs.auth import Principal, check_scope, require
from libs.runtime import RuntimeDep
from libs.runtime.documents import add_versioned_document_routes
from libs.runtime.errors import STATE_REFUSED
from services.notify import documents
from services.notify.commands import supervision
from services.notify.models import DocumentPublic, MessagePublic, RosterPersonPublic

router = APIRouter(tags=["notifications"])

Staff = Annotated[Principal, Depends(require("community_staff", "department_staff", "supervisor", "leader", "admin"))]
Wide = Annotated[Principal, Depends(require("supervisor", "leader", "admin"))]
Admin = Annotated[Principal, Depends(require("admin"))]


@router.get("/messages", response_model=list[MessagePublic], summary="送达记录: messages of my scope, newest first")
def list_messages(
    principal: Staff, runtime: RuntimeDep, ticket_id: str | None = None,
    status: Literal["pending", "deferred", "retry", "sent", "dead"] | None = None,
    channel: Literal["inbox", "sms", "wechat", "email"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[MessagePublic]:
    return runtime.read(
        supervision.list_messages, principal=principal, ticket_id=ticket_id, status=status, channel=channel, limit=limit, offset=offset
    )


@router.get("/dead-letters", response_model=list[MessagePublic], summary="未送达: messages given up after every retry, of my scope")
def dead_letters(
    principal: Staff, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0
) -> list[MessagePublic]:
    return runtime.read(supervision.list_messages, principal=principal, status="dead", limit=limit, offset=offset)


@router.post(
    "/dead-letters/{message_id}/retry", response_model=MessagePublic, responses=STATE_REFUSED,
    summary="Send a dead letter again from a first attempt",
)
def retry(message_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: Staff, runtime: RuntimeDep) -> MessagePublic:
    return runtime.run(supervision.retry_dead_letter, principal=principal, message_id=message_id)


@router.get("/roster/lookup", response_model=list[RosterPersonPublic], summary="通知名单: who is told at a level of a community's or department's ticket")
def roster_lookup(
    principal: Wide, runtime: RuntimeDep, level: Literal["handlers", "level1", "level2", "level3"],
    community_id: str | None = None, department_id: str | None = None,
) -> list[RosterPersonPublic]:
    check_scope(principal, community_id=community_id, department_id=department_id)  # a supervisor: their street's
    return runtime.read(supervision.roster_lookup, level=level, community_id=community_id, department_id=department_id)


ROSTER_EXAMPLE: dict[str, Any] = {
    "version": 2,
    "people": {"xinran_staff": {"name": "馨然嘉园社区·赵书记", "email": "xinran.shuji@changyang.example.cn"}},
    "communities": {"xinran": {"handlers": ["xinran_staff"], "level1": ["xinran_staff"]}},
    "departments": {},
    "streets": {"changyang": {"level2": ["xinran_staff"]}},
    "district": {"level3": []},
}
TEMPLATES_EXAMPLE: dict[str, Any] = {
    "version": 2, "sms_signature": "【长阳镇居民吹哨】",
    "templates": {"resident_filed": {"title": "诉求已受理", "text": "您反映的「{title}」已受理，工单号 {ticket_id}。"}, "...": "every template id"},
}

add_versioned_document_routes(
    router, "/admin/roster", Admin, DocumentPublic, documents.current_roster_public, documents.publish_roster,
    names=("get_roster", "put_roster"),
    summaries=("通知名单: the current roster (latest published, else config/notify_roster.yaml)",
               "Publish the next roster version (version = current + 1); messages from now on use it"),
    body_description="The whole roster document", example=ROSTER_EXAMPLE,
)
add_versioned_document_routes(
    router, "/admin/templates", Admin, DocumentPublic, documents.current_templates_public, documents.publish_templates,
    names=("get_templates", "put_templates"),
    summaries=("通知模板: the current templates (latest published, else config/notify_templates.yaml)",
               "Publish the next templates version (version = current + 1); messages from now on use it"),
    body_description="The whole templates document (every template id)", example=TEMPLATES_EXAMPLE,
)
