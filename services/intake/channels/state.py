"""What the conversational channels remember between messages: every inbound message handled (so a retried push
answers the same and files nothing new) and each WeChat user's conversation in progress (expires)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import JSON, Field, SQLModel


class IntakeChannelMessage(SQLModel, table=True):
    """One inbound WeChat or SMS message, keyed by the channel's own message id, with the answer it got."""

    __tablename__ = "intake_channel_message"

    channel: str = Field(primary_key=True, max_length=20)
    message_id: str = Field(primary_key=True, max_length=100)  # WeChat MsgId, SMS provider message id
    sender_key: str = Field(max_length=80, index=True)  # wechat:<openid> or sms:<keyed hash of the number>
    ticket_id: str | None = Field(default=None, max_length=40)  # filed or rated by this message
    reply: str | None = Field(default=None, max_length=1000)  # None while a rating is under way
    reply_message_id: str | None = Field(default=None, max_length=100)  # SMS: the gateway's id once the answer is sent
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IntakeWechatConversation(SQLModel, table=True):
    """A WeChat user's filing in progress: category, community, description, photos, location."""

    __tablename__ = "intake_wechat_conversation"

    openid: str = Field(primary_key=True, max_length=64)
    step: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=40)
    community_id: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=2000)
    attachments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=200)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
