"""Notify's tables (what it knows of tickets, every message as queue and log, the inbox, each person's contact
preferences, the roster and template versions) and its API schemas."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

Channel = Literal["inbox", "sms", "wechat", "email"]
MessageStatus = Literal["pending", "deferred", "retry", "sent", "dead"]


class NotifyTicket(SQLModel, table=True):
    """A ticket as far as telling people needs: where it is, who filed it, its title, its urgency."""

    __tablename__ = "notify_ticket"

    id: str = Field(primary_key=True, max_length=40)
    community_id: str | None = Field(default=None, max_length=60)
    department_id: str | None = Field(default=None, max_length=40)
    reporter_id: str | None = Field(default=None, max_length=120)
    title: str = Field(default="", max_length=120)
    urgency: str = Field(default="ordinary", max_length=20)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class NotifyMessage(SQLModel, table=True):
    """One message to one person over one channel about one event: the send queue and the log (送达记录). The unique
    key is the rule "one message per event per person" on each channel, across redelivery and restarts. `address`
    is what the log may show: an e-mail, an openid, a masked phone (the number itself is only in notify_contact,
    encrypted)."""

    __tablename__ = "notify_message"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id", "channel", name="uq_notify_message_once"),
        Index("ix_notify_message_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, index=True)
    event_type: str = Field(max_length=60)
    ticket_id: str | None = Field(default=None, max_length=40, index=True)
    community_id: str | None = Field(default=None, max_length=60, index=True)
    department_id: str | None = Field(default=None, max_length=40, index=True)
    person_id: str = Field(max_length=120, index=True)
    person_name: str | None = Field(default=None, max_length=80)
    channel: str = Field(max_length=10)
    template: str = Field(max_length=40)
    templates_version: int
    title: str = Field(max_length=120)
    body: str = Field(max_length=1000)
    address: str | None = Field(default=None, max_length=200)
    emergency: bool = False
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: str | None = Field(default=None, max_length=500)
    provider_id: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class NotifyInboxItem(SQLModel, table=True):
    """站内信: what a person reads in the portal; written once per inbox message (its `message_id`)."""

    __tablename__ = "notify_inbox"
    __table_args__ = (Index("ix_notify_inbox_person_unread", "person_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(unique=True)
    person_id: str = Field(max_length=120, index=True)
    ticket_id: str | None = Field(default=None, max_length=40)
    template: str = Field(max_length=40)
    title: str = Field(max_length=120)
    body: str = Field(max_length=1000)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class NotifyContact(SQLModel, table=True):
    """A person's own addresses and the channels they want (通知设置); the phone only encrypted (libs.pii)."""

    __tablename__ = "notify_contact"

    person_id: str = Field(primary_key=True, max_length=120)
    channels: list = Field(sa_column=Column(JSON, nullable=False))  # the external channels wanted; inbox is always on
    email: str | None = Field(default=None, max_length=200)
    wechat_openid: str | None = Field(default=None, max_length=100)
    phone_token: str | None = Field(default=None, max_length=400)
    phone_masked: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class NotifyDocument(SQLModel, table=True):
    """Every published version of the roster (通知名单) and the templates (通知模板); the highest of a kind is current."""

    __tablename__ = "notify_document"

    kind: str = Field(primary_key=True, max_length=20)
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: dict = Field(sa_column=Column(JSON, nullable=False))
    published_by: str = Field(max_length=80)
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


# ---------------------------------------------------------------------- API schemas


class InboxItemPublic(SQLModel):
    id: int
    ticket_id: str | None
    template: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class InboxPage(SQLModel):
    items: list[InboxItemPublic]
    total: int
    unread: int


class UnreadCount(SQLModel):
    unread: int


class ContactRequest(SQLModel):
    """通知设置: which channels besides 站内信, and where. An empty phone / email / openid removes it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"channels": ["sms", "email"], "phone": "13800138000", "email": "zhang@example.cn"}]},
    )
    channels: list[Literal["sms", "wechat", "email"]] = []
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=200)
    wechat_openid: str | None = Field(default=None, max_length=100)


class ContactPublic(SQLModel):
    channels: list[str]
    phone_masked: str | None
    email: str | None
    wechat_openid: str | None
    stored: bool  # False: nothing set yet (every channel with a known address is used)


class MessagePublic(SQLModel):
    """One line of the message log: to whom, over which channel, which template, and how it went; never a phone."""

    id: int
    event_id: str
    event_type: str
    ticket_id: str | None
    person_id: str
    person_name: str | None
    channel: str
    template: str
    title: str
    address: str | None
    emergency: bool
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class RosterPersonPublic(SQLModel):
    id: str
    name: str
    email: str | None
    wechat_openid: str | None


class DocumentPublic(SQLModel):
    """The current roster or templates: `source` "file" until an admin publishes a version."""

    version: int
    source: Literal["file", "stored"]
    document: dict
    published_by: str | None = None
    published_at: datetime | None = None
