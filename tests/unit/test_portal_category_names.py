"""Every category a person sees is named in Chinese: the directory's name wherever an id would show (lists, ticket
pages, the hotline's caller history, admin tables), 未命名类别（id） for an id the directory does not know, and the
directory refuses a category without a Chinese name."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_pages import FakeBackends, fake, intake_ticket, log_in, portal, settings  # noqa: F401

from libs.directory import DEFAULT_FILE, Directory, get_directory
from services.portal.views import category_name


def test_a_known_category_shows_its_name_and_an_unknown_one_a_chinese_fallback() -> None:
    assert category_name("road") == "道路破损"
    assert category_name("parking") == "未命名类别（parking）"
    assert category_name(None) == "—" and category_name("") == "—"


def test_every_shipped_category_has_a_chinese_name() -> None:
    assert all(category_name(c.id) == c.name for c in get_directory().categories)


@pytest.mark.parametrize("name", ["Parking", "", "   ", "parking_2"])
def test_the_directory_refuses_a_category_without_a_chinese_name(name: str) -> None:
    document = yaml.safe_load(Path(DEFAULT_FILE).read_text(encoding="utf-8"))
    document["categories"].append({"id": "parking", "name": name, "department": "urban"})
    with pytest.raises(ValidationError) as refused:
        Directory.model_validate(document)
    assert "每个类别都需要中文名称" in str(refused.value)
    assert "categories.9.name" in str(refused.value), "the error names the entry"


def test_my_tickets_show_a_category_name_never_an_english_id(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/mine", httpx.Response(200, json=[
        intake_ticket(id="T1", category="road"), intake_ticket(id="T2", category="parking"),
    ]))
    log_in(portal, "resident1")
    page = portal.get("/mine").text
    assert "道路破损" in page and "未命名类别（parking）" in page


def test_the_ticket_page_names_an_unknown_category_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", category="parking")))
    log_in(portal, "resident1")
    assert "<dd>未命名类别（parking）" in portal.get("/tickets/T1").text


def test_the_hotline_caller_history_names_categories(portal: TestClient, fake: FakeBackends) -> None:
    row = {"id": "T1", "title": "车位被占", "status": "filed", "status_label": "已吹哨", "category": "parking",
           "community_id": "xinran", "created_at": "2026-11-26T02:30:00+00:00"}
    fake.on("intake", "GET", "/hotline/callers/tickets", httpx.Response(200, json=[row, {**row, "category": "road"}]))
    log_in(portal, "operator1")
    answer = portal.get("/hotline/caller", params={"phone": "13800138000"}).json()
    assert [t["category_name"] for t in answer["tickets"]] == ["未命名类别（parking）", "道路破损"]
