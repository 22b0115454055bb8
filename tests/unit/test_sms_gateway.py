"""libs/sms: the HTTP gateway against a local HTTP server, the development sink, and logs without numbers in clear."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from libs.settings import get_settings
from libs.sms import DevSmsSink, HttpSmsGateway, SmsError, SmsSettings, build_gateway, mask_phone

PHONE = "13812345678"


@pytest.fixture
def provider():
    """A provider's SMS API on a local port: records what it got, answers as `reply` says."""
    received: list[dict] = []
    reply = {"status": 200, "body": {"message_id": "prov-1"}}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers["Content-Length"])
            received.append({"auth": self.headers.get("Authorization"), "body": json.loads(self.rfile.read(length))})
            payload = json.dumps(reply["body"]).encode()
            self.send_response(reply["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/send", received, reply
    finally:
        server.shutdown()
        server.server_close()


def test_http_gateway_posts_number_and_text_with_the_token_and_returns_the_providers_id(provider):
    url, received, _ = provider
    message_id = HttpSmsGateway(url, token="tok-1").send(PHONE, "您的工单号：T1")
    assert message_id == "prov-1"
    assert received == [{"auth": "Bearer tok-1", "body": {"to": PHONE, "text": "您的工单号：T1"}}]


def test_http_gateway_raises_when_the_provider_refuses(provider):
    url, _, reply = provider
    reply["status"] = 503
    with pytest.raises(SmsError, match="503"):
        HttpSmsGateway(url).send(PHONE, "x")


def test_http_gateway_raises_when_the_provider_is_unreachable():
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsGateway("http://127.0.0.1:9/send", timeout=1).send(PHONE, "x")


def test_dev_sink_keeps_messages_newest_first(tmp_path):
    sink = DevSmsSink(tmp_path / "sms.jsonl")
    first = sink.send(PHONE, "第一条")
    second = sink.send("13900001111", "第二条")
    assert first != second
    assert [(m.message_id, m.phone, m.text) for m in sink.messages()] == [
        (second, "13900001111", "第二条"), (first, PHONE, "第一条"),
    ]


def test_sending_logs_the_masked_number_and_message_id_never_the_number(tmp_path, provider, capsys, caplog):
    url, _, _ = provider
    caplog.set_level(logging.DEBUG)
    DevSmsSink(tmp_path / "sms.jsonl").send(PHONE, "验证码 123456")
    HttpSmsGateway(url).send(PHONE, "验证码 123456")
    logged = capsys.readouterr().out + capsys.readouterr().err + caplog.text
    assert "138****5678" in logged
    assert PHONE not in logged and "123456" not in logged


def test_settings_choose_the_gateway(tmp_path, monkeypatch):
    assert isinstance(build_gateway(SmsSettings(gateway="dev", sink_file=tmp_path / "s.jsonl")), DevSmsSink)
    assert isinstance(build_gateway(SmsSettings(gateway="http", http_url="http://x/send")), HttpSmsGateway)
    with pytest.raises(ValueError, match="SMS_HTTP_URL"):
        build_gateway(SmsSettings(gateway="http"))
    monkeypatch.setenv("WHISTLE_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "a-real-secret-for-this-test")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="production"):
            build_gateway(SmsSettings(gateway="dev"))
    finally:
        get_settings.cache_clear()


def test_masking_keeps_three_and_four_digits():
    assert mask_phone("+86 138-1234-5678") == "861****5678"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "****"
