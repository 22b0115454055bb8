"""The dev SMS page: what the development sink sent, newest first, only when WHISTLE_ENV is development."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from libs.settings import Settings
from libs.sms import DevSmsSink, sink_path
from services.portal.app import create_app


def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str) -> TestClient:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SMS_SINK_FILE", raising=False)
    monkeypatch.setenv("PORTAL_DEMO_USERS", "none")
    settings = Settings(env=env, jwt_secret="a-real-secret-for-this-test", data_dir=tmp_path, database_url=None)
    app = create_app(settings, transport=httpx.MockTransport(lambda request: httpx.Response(404)))
    return PortalClient(app)


def test_the_dev_page_shows_what_the_sink_sent_newest_first(tmp_path, monkeypatch):
    sink = DevSmsSink(tmp_path / "sms_sink.jsonl")
    sink.send("13812345678", "【居民吹哨】您的验证码：482913")
    sink.send("13900001111", "【居民吹哨】您反映的问题已受理，工单号：T20261127-0000ABCD。")
    with portal(tmp_path, monkeypatch, "development") as client:
        page = client.get("/dev/sms")
    assert page.status_code == 200
    assert "开发短信箱" in page.text and "13812345678" in page.text and "482913" in page.text
    assert page.text.index("T20261127-0000ABCD") < page.text.index("482913")


def test_the_dev_page_says_so_when_nothing_was_sent(tmp_path, monkeypatch):
    with portal(tmp_path, monkeypatch, "development") as client:
        assert "还没有短信" in client.get("/dev/sms").text


@pytest.mark.parametrize("env", ["production", "staging", "test"])
def test_the_dev_page_does_not_exist_outside_development(tmp_path, monkeypatch, env):
    DevSmsSink(sink_path(data_dir=tmp_path)).send("13812345678", "【居民吹哨】您的验证码：482913")
    with portal(tmp_path, monkeypatch, env) as client:
        page = client.get("/dev/sms")
    assert page.status_code == 404 and "482913" not in page.text
