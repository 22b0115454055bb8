"""站内信 and 通知设置: a person reads and marks only their own messages, and sets only their own contact."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.pii import RESIDENT_ID_PREFIX, get_vault, mask_phone, normalize_phone
from libs.statemachine import NotFound, Rejected
from services.notify import documents
from services.notify.models import ContactPublic, ContactRequest, InboxItemPublic, InboxPage, NotifyContact, NotifyInboxItem

MOBILE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def unread_count(session: Session, *, principal: Principal) -> int:
    query = select(func.count()).select_from(NotifyInboxItem).where(
        NotifyInboxItem.person_id == principal.sub, col(NotifyInboxItem.read_at).is_(None)
    )
    return int(session.exec(query).one())


def list_inbox(session: Session, *, principal: Principal, limit: int = 20, offset: int = 0, unread_only: bool = False) -> InboxPage:
    """The caller's messages, newest first."""
    mine = NotifyInboxItem.person_id == principal.sub
    where = [mine, col(NotifyInboxItem.read_at).is_(None)] if unread_only else [mine]
    total = int(session.exec(select(func.count()).select_from(NotifyInboxItem).where(*where)).one())
    rows = session.exec(
        select(NotifyInboxItem).where(*where).order_by(col(NotifyInboxItem.created_at).desc(), col(NotifyInboxItem.id).desc())
        .offset(offset).limit(limit)
    ).all()
    return InboxPage(
        items=[InboxItemPublic.model_validate(r, from_attributes=True) for r in rows], total=total,
        unread=unread_count(session, principal=principal),
    )


def mark_read(session: Session, *, principal: Principal, item_id: int) -> InboxItemPublic:
    """Someone else's message is a 404, as one that does not exist: its existence is not revealed."""
    item = session.get(NotifyInboxItem, item_id)
    if item is None or item.person_id != principal.sub:
        raise NotFound(f"inbox message {item_id} not found")
    if item.read_at is None:
        item.read_at = datetime.now(timezone.utc)
        session.add(item)
        session.flush()
    return InboxItemPublic.model_validate(item, from_attributes=True)


def mark_all_read(session: Session, *, principal: Principal) -> int:
    result = session.execute(
        update(NotifyInboxItem)
        .where(NotifyInboxItem.person_id == principal.sub, col(NotifyInboxItem.read_at).is_(None))
        .values(read_at=datetime.now(timezone.utc))
    )
    return int(result.rowcount or 0)


def _public(contact: NotifyContact | None) -> ContactPublic:
    if contact is None:
        return ContactPublic(channels=[], phone_masked=None, email=None, wechat_openid=None, stored=False)
    return ContactPublic(
        channels=list(contact.channels), phone_masked=contact.phone_masked, email=contact.email,
        wechat_openid=contact.wechat_openid, stored=True,
    )


def get_contact(session: Session, *, principal: Principal) -> ContactPublic:
    return _public(session.get(NotifyContact, principal.sub))


def set_contact(session: Session, *, principal: Principal, body: ContactRequest) -> ContactPublic:
    """Save the caller's preferences. A resident whose account is their mobile number (`m-...`) may give only that
    number, so nobody can send their notices to someone else's phone."""
    contact = session.get(NotifyContact, principal.sub) or NotifyContact(person_id=principal.sub, channels=[], updated_at=datetime.now(timezone.utc))
    if body.phone is not None:
        phone = normalize_phone(body.phone)
        if not phone:
            contact.phone_token = contact.phone_masked = None
        elif not MOBILE.match(phone):
            raise Rejected("phone: 请填写 11 位手机号码")
        elif principal.sub.startswith(RESIDENT_ID_PREFIX) and get_vault().resident_id(phone) != principal.sub:
            raise Rejected("phone: 只能填写注册本账号的手机号码")
        else:
            contact.phone_token, contact.phone_masked = get_vault().encrypt(phone), mask_phone(phone)
    if body.email is not None:
        email = body.email.strip()
        if email and not EMAIL.match(email):
            raise Rejected("email: 邮箱地址格式不正确")
        contact.email = email or None
    if body.wechat_openid is not None:
        contact.wechat_openid = body.wechat_openid.strip() or None
    wanted = list(dict.fromkeys(body.channels))
    listed = documents.current_roster(session).people.get(principal.sub)  # a work address on the roster serves too
    known = {
        "sms": contact.phone_token,
        "email": contact.email or (listed.email if listed else None),
        "wechat": contact.wechat_openid or (listed.wechat_openid if listed else None) or principal.sub.startswith("wechat:"),
    }
    for channel in wanted:
        if not known[channel]:
            raise Rejected(f"channels: {channel} needs its address ({'phone' if channel == 'sms' else channel})")
    contact.channels = wanted
    contact.updated_at = datetime.now(timezone.utc)
    session.add(contact)
    session.flush()
    return _public(contact)
