"""The WeChat conversation: what it asks next, and what it keeps when a photo or a position comes early."""
from __future__ import annotations

from datetime import datetime, timezone

from wechatpy import parse_message

from libs.directory import get_directory
from services.intake.channels.state import IntakeWechatConversation
from services.intake.channels.wechat import advance, wechat_filing


def message(kind: str, msg_id: int = 1, **fields: str) -> object:
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return parse_message(
        f"<xml><ToUserName><![CDATA[gh_whistle]]></ToUserName><FromUserName><![CDATA[o-user]]></FromUserName>"
        f"<CreateTime>1764200000</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{body}<MsgId>{msg_id}</MsgId></xml>"
    )


def text(content: str):
    return message("text", Content=content)


def fresh() -> IntakeWechatConversation:
    return IntakeWechatConversation(openid="o-user", step="category", attachments=[], expires_at=datetime.now(timezone.utc))


def test_a_greeting_gets_the_numbered_category_list():
    conversation = fresh()
    reply = advance(conversation, text("你好"), get_directory())
    assert "1. 道路破损" in reply and conversation.step == "category"


def test_a_number_outside_the_list_asks_again():
    conversation = fresh()
    assert "请回复数字" in advance(conversation, text("99"), get_directory())
    assert conversation.category is None


def test_the_conversation_collects_category_description_photo_and_location():
    directory = get_directory()
    conversation = fresh()
    assert "描述" in advance(conversation, text("1"), directory)
    assert "照片" in advance(conversation, text("路面塌陷，老人经过很危险"), directory)
    picture = message("image", PicUrl="http://mmbiz.qpic.cn/x.jpg", MediaId="m1")
    assert "没能收到" in advance(conversation, picture, directory)  # not kept on our side: asked again, nothing recorded
    assert conversation.attachments == [] and conversation.step == "photo"
    assert "位置" in advance(conversation, picture, directory, "/attachments/" + "a" * 32 + ".jpg")
    done = advance(conversation, message("location", Location_X="39.7511", Location_Y="116.1402", Scale="16",
                                         Label="馨然嘉园3号楼"), directory)
    assert done is None
    command = wechat_filing(conversation, "555")
    assert (command.category, command.community_id, command.channel) == ("road", None, "wechat")  # placed by position
    assert (command.latitude, command.longitude, command.address) == (39.7511, 116.1402, "馨然嘉园3号楼")
    assert command.attachments == ("/attachments/" + "a" * 32 + ".jpg",)  # our copy, never WeChat's expiring URL
    assert (command.filed_by, command.reporter_id, command.idempotency_key) == ("wechat:o-user", "wechat:o-user", "wechat-msg:555")


def test_a_photo_and_position_sent_early_are_not_asked_for_again():
    directory = get_directory()
    conversation = fresh()
    advance(conversation, message("location", Location_X="39.75", Location_Y="116.14", Scale="16", Label=""), directory)
    advance(conversation, message("image", PicUrl="", MediaId="media-9"), directory, "/attachments/" + "b" * 32 + ".jpg")
    advance(conversation, text("1"), directory)
    assert advance(conversation, text("井盖缺失"), directory) is None
    assert conversation.attachments == ["/attachments/" + "b" * 32 + ".jpg"] and conversation.address is None


def test_without_a_position_the_resident_picks_the_community():
    directory = get_directory()
    conversation = fresh()
    for answer in ("1", "路灯不亮"):
        advance(conversation, text(answer), directory)
    assert "位置" in advance(conversation, text("跳过"), directory)
    assert "1. 馨然嘉园社区" in advance(conversation, text("跳过"), directory)
    assert "社区" in advance(conversation, text("9"), directory)
    assert advance(conversation, text("2"), directory) is None
    assert conversation.attachments == [] and conversation.latitude is None
    assert wechat_filing(conversation, "1").community_id == directory.communities[1].id
