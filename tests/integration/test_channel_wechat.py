"""The WeChat Official Account callback over HTTP, signed as WeChat signs it: a conversation files one ticket that
reaches the community queue over Kafka; forged and stale pushes are 403 and file nothing; a retried MsgId files once;
safe (encrypted) mode works end to end."""
from __future__ import annotations

import hashlib
import itertools
import re
import threading
import time
import uuid

import pytest
import xmltodict
from sqlmodel import select
from wechatpy.crypto import WeChatCrypto

from services.intake.channels.state import IntakeChannelMessage
from services.intake.channels.wechat import WechatSettings, get_wechat_settings
from services.intake.models import IntakeTicket
from services.intake.attachments import IntakeAttachment
from tests.integration.conftest import bearer, eventually
from tests.integration.wechat_doubles import WechatDouble

TOKEN = "wechat-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the 公众平台 issues it
APP_ID = "wx1234567890abcdef"
XINRAN_STAFF = bearer("community_staff", "s-wechat", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-wechat-2", community_id="shiliuqiao")
MSG_IDS = itertools.count(int(time.time() * 1000))


@pytest.fixture(scope="module")
def wechat_double():
    """WeChat's picture host and media API, on 127.0.0.1 (wechat_doubles.py)."""
    with WechatDouble() as double:
        yield double


def settings_for(double: WechatDouble, **overrides) -> WechatSettings:
    return WechatSettings(
        token=TOKEN, encoding_aes_key=AES_KEY, app_id=APP_ID, pic_hosts="127.0.0.1", api_base_url=double.api_base_url,
        **overrides,
    )


@pytest.fixture(scope="module")
def intake(service_clients, wechat_double):
    client = service_clients["intake"]
    client.app.dependency_overrides[get_wechat_settings] = lambda: settings_for(wechat_double)
    yield client
    client.app.dependency_overrides.pop(get_wechat_settings, None)


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def push_xml(openid: str, kind: str, msg_id: int, **fields: str) -> str:
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (
        f"<xml><ToUserName><![CDATA[gh_whistle]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{body}<MsgId>{msg_id}</MsgId></xml>"
    )


def post(intake, xml: str, *, encrypted: bool = False, timestamp: int | None = None, token: str = TOKEN):
    """POST as WeChat does; returns (response, the reply's fields or None)."""
    ts, nonce = str(timestamp or int(time.time())), uuid.uuid4().hex[:10]
    params = {"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": "x"}
    content = xml
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    if encrypted:
        wrapped = xmltodict.parse(crypto.encrypt_message(xml, nonce, ts))["xml"]
        content = f"<xml><ToUserName><![CDATA[gh_whistle]]></ToUserName><Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>"
        params |= {"encrypt_type": "aes", "msg_signature": wrapped["MsgSignature"]}
    response = intake.post("/channels/wechat", params=params, content=content.encode(), headers={"Content-Type": "text/xml"})
    if response.status_code != 200 or response.text in ("", "success"):
        return response, None
    reply = xmltodict.parse(response.text)["xml"]
    if encrypted:
        assert "Content" not in reply  # the answer itself travels encrypted
        reply = xmltodict.parse(crypto.decrypt_message(response.text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]))["xml"]
    return response, reply


def converse(intake, openid: str, pic_url: str, *, encrypted: bool = False) -> tuple[dict, str]:
    """The whole conversation; returns the last reply and the last push (to retry it)."""
    steps = [
        ("text", {"Content": "你好"}, "1. 道路破损"),
        ("text", {"Content": "1"}, "描述"),
        ("text", {"Content": "3号楼南侧人行道塌陷约半米，老人经过很危险"}, "照片"),
        ("image", {"PicUrl": pic_url, "MediaId": "media-abc"}, "位置"),
    ]
    for kind, fields, expected in steps:
        _, reply = post(intake, push_xml(openid, kind, next(MSG_IDS), **fields), encrypted=encrypted)
        assert expected in reply["Content"], reply
        assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"]) == (openid, "gh_whistle", "text")
    last = push_xml(openid, "location", next(MSG_IDS), Location_X="39.7511", Location_Y="116.1402", Scale="16", Label="馨然嘉园3号楼南侧")
    _, reply = post(intake, last, encrypted=encrypted)
    return reply, last


def tickets_of(intake, openid: str) -> list[IntakeTicket]:
    runtime = intake.app.state.runtime
    return runtime.read(lambda s: list(s.exec(select(IntakeTicket).where(IntakeTicket.filed_by == f"wechat:{openid}"))))


def recorded(intake, msg_id: int) -> IntakeChannelMessage | None:
    return intake.app.state.runtime.read(lambda s: s.get(IntakeChannelMessage, ("wechat", str(msg_id))))


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_a_wechat_conversation_files_one_ticket_that_reaches_the_community_queue(service_clients, intake, wechat_double, encrypted):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    reply, _ = converse(intake, openid, wechat_double.picture_url, encrypted=encrypted)
    [ticket] = tickets_of(intake, openid)
    assert f"工单号：{ticket.id}" in reply["Content"] and "已受理" in reply["Content"]

    dispatch = service_clients["dispatch"]

    def in_queue():
        found = dispatch.get(f"/tickets/{ticket.id}", headers=XINRAN_STAFF)
        return found.json() if found.status_code == 200 else None

    seen = eventually(in_queue)
    assert (seen["channel"], seen["category"], seen["community_id"]) == ("wechat", "road", "xinran")
    assert (seen["latitude"], seen["longitude"]) == (39.7511, 116.1402)
    [photo] = seen["attachments"]  # our own copy of the picture, not WeChat's URL (it expires after three days)
    assert re.fullmatch(r"/attachments/[0-9a-f]{32}\.jpg", photo)
    assert seen["grid_id"] == "xinran-02"  # placed by its position
    assert dispatch.get(f"/tickets/{ticket.id}", headers=OTHER_STAFF).status_code in (403, 404)
    kept = intake.get(photo, headers=XINRAN_STAFF)
    assert (kept.status_code, kept.headers["content-type"]) == (200, "image/jpeg")
    assert b"AcmePhone" not in kept.content  # re-encoded like an upload: the phone's EXIF is gone
    assert intake.get(photo, headers=OTHER_STAFF).status_code == 404


def test_a_retried_msgid_gets_the_same_answer_and_files_once(intake, wechat_double):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    first, last = converse(intake, openid, wechat_double.picture_url)
    for _ in range(3):  # WeChat retries three times when it did not hear back within 5 s
        _, again = post(intake, last)
        assert again["Content"] == first["Content"]
    assert len(tickets_of(intake, openid)) == 1


@pytest.mark.parametrize(
    "forgery",
    ["wrong signature", "stale timestamp", "future timestamp", "encrypted with a wrong msg_signature"],
)
def test_a_forged_or_stale_push_is_403_and_files_nothing(intake, forgery):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    msg_id = next(MSG_IDS)
    xml = push_xml(openid, "text", msg_id, Content="你好")
    if forgery == "wrong signature":
        response, _ = post(intake, xml, token="not-the-token")
    elif forgery == "stale timestamp":
        response, _ = post(intake, xml, timestamp=int(time.time()) - 3600)
    elif forgery == "future timestamp":
        response, _ = post(intake, xml, timestamp=int(time.time()) + 3600)
    else:
        ts, nonce = str(int(time.time())), "n1"
        wrapped = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, ts))["xml"]
        response = intake.post(
            "/channels/wechat",
            params={"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "encrypt_type": "aes",
                    "msg_signature": "0" * 40},
            content=f"<xml><Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>".encode(),
        )
    assert response.status_code == 403
    assert recorded(intake, msg_id) is None and tickets_of(intake, openid) == []


def test_the_server_verification_echoes_echostr_only_when_signed(intake):
    ts, nonce = str(int(time.time())), "nonce-v"
    signed = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "echo-123"}
    ok = intake.get("/channels/wechat", params=signed)
    assert (ok.status_code, ok.text) == (200, "echo-123")
    assert intake.get("/channels/wechat", params={**signed, "signature": "0" * 40}).status_code == 403
    stale = str(int(time.time()) - 3600)
    assert intake.get("/channels/wechat", params={**signed, "timestamp": stale, "signature": sign(TOKEN, stale, nonce)}).status_code == 403


def test_cancel_starts_over_and_an_unsupported_message_is_answered_in_chinese(intake):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    post(intake, push_xml(openid, "text", next(MSG_IDS), Content="1"))
    _, reply = post(intake, push_xml(openid, "text", next(MSG_IDS), Content="取消"))
    assert "已取消" in reply["Content"]
    _, reply = post(intake, push_xml(openid, "voice", next(MSG_IDS), MediaId="v1", Format="amr"))
    assert "暂不支持" in reply["Content"]
    _, reply = post(intake, push_xml(openid, "text", next(MSG_IDS), Content="2"))
    assert "描述" in reply["Content"]  # a fresh conversation: "2" picked a category
    assert tickets_of(intake, openid) == []


def test_parallel_retries_of_the_completing_msgid_file_once(intake):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    for answer in ("1", "楼道堆满杂物，堵住消防通道", "跳过", "跳过"):
        post(intake, push_xml(openid, "text", next(MSG_IDS), Content=answer))
    last = push_xml(openid, "text", next(MSG_IDS), Content="1")  # 馨然嘉园社区
    replies: list = []
    threads = [threading.Thread(target=lambda: replies.append(post(intake, last))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {response.status_code for response, _ in replies} == {200}
    [ticket] = tickets_of(intake, openid)
    assert all(f"工单号：{ticket.id}" in reply["Content"] for _, reply in replies)
    assert (ticket.community_id, ticket.latitude) == ("xinran", None)  # no position: the community the resident picked


def test_an_expired_conversation_starts_over(intake):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    normal = intake.app.dependency_overrides[get_wechat_settings]
    intake.app.dependency_overrides[get_wechat_settings] = lambda: WechatSettings(
        token=TOKEN, encoding_aes_key=AES_KEY, app_id=APP_ID, conversation_ttl_seconds=0
    )
    try:
        _, reply = post(intake, push_xml(openid, "text", next(MSG_IDS), Content="1"))
        assert "描述" in reply["Content"]
        _, reply = post(intake, push_xml(openid, "text", next(MSG_IDS), Content="路灯不亮"))
    finally:
        intake.app.dependency_overrides[get_wechat_settings] = normal
    assert "1. 道路破损" in reply["Content"]  # the category was forgotten: asked again
    assert tickets_of(intake, openid) == []


def photos_of(intake, openid: str) -> list[IntakeAttachment]:
    runtime = intake.app.state.runtime
    return runtime.read(
        lambda s: list(s.exec(select(IntakeAttachment).where(IntakeAttachment.uploaded_by == f"wechat:{openid}")))
    )


def to_photo_step(intake, openid: str) -> None:
    for answer in ("1", "路灯不亮，晚上一片漆黑"):
        post(intake, push_xml(openid, "text", next(MSG_IDS), Content=answer))


@pytest.mark.parametrize(
    "pic_url",
    ["http://mmbiz.qpic.cn.evil.example/x.jpg", "{base}/pic/script.jpg", "{base}/pic/missing.jpg", "{base}/pic/huge.jpg"],
    ids=["a host that is not WeChat's", "a script named .jpg", "404", "larger than the photo limit"],
)
def test_a_picture_that_cannot_be_kept_is_asked_for_again_and_nothing_is_stored(intake, wechat_double, pic_url):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    to_photo_step(intake, openid)
    msg_id = next(MSG_IDS)
    pic_url = pic_url.format(base=wechat_double.base_url)
    _, reply = post(intake, push_xml(openid, "image", msg_id, PicUrl=pic_url, MediaId="media-none"))
    assert "没能收到" in reply["Content"]
    assert photos_of(intake, openid) == []
    _, reply = post(intake, push_xml(openid, "text", next(MSG_IDS), Content="跳过"))
    assert "位置" in reply["Content"]  # the conversation goes on without a photo


def test_a_retried_image_push_fetches_the_picture_once(intake, wechat_double):
    openid = f"o-{uuid.uuid4().hex[:20]}"
    to_photo_step(intake, openid)
    push = push_xml(openid, "image", next(MSG_IDS), PicUrl=wechat_double.picture_url, MediaId="media-once")
    before = wechat_double.picture_fetches
    first = [post(intake, push)[1]["Content"] for _ in range(3)]
    assert len(set(first)) == 1 and "位置" in first[0]
    assert wechat_double.picture_fetches == before + 1
    assert len(photos_of(intake, openid)) == 1


def test_with_an_app_secret_the_media_api_fetches_what_the_pic_url_cannot(intake, wechat_double):
    normal = intake.app.dependency_overrides[get_wechat_settings]
    intake.app.dependency_overrides[get_wechat_settings] = lambda: settings_for(wechat_double, app_secret="s3cret")
    try:
        openid = f"o-{uuid.uuid4().hex[:20]}"
        to_photo_step(intake, openid)
        _, reply = post(intake, push_xml(openid, "image", next(MSG_IDS), PicUrl="", MediaId=WechatDouble.MEDIA_ID))
        assert "位置" in reply["Content"]
        _, reply = post(intake, push_xml(openid, "image", next(MSG_IDS), PicUrl="", MediaId="media-unknown"))
        assert "没能收到" in reply["Content"]  # the API answered with an errcode: not a picture
    finally:
        intake.app.dependency_overrides[get_wechat_settings] = normal
    assert len(photos_of(intake, openid)) == 1
    assert wechat_double.token_requests == [("wx1234567890abcdef", "s3cret")]
