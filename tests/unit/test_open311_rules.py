"""Open311 GeoReport v2 without servers: documents in the spec's XML shape, form fields to one FileTicket (or every
fault at once, each naming its field), the retry window, public text without phone numbers, status open/closed."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from starlette.datastructures import MultiDict

from libs.directory import get_directory
from libs.ticket.status import TicketStatus
from libs.ticket.view import TicketView
from services.intake.abuse import RateLimited
from services.intake.channels import open311
from services.intake.domain import FilingRejected
from services.intake.channels.open311 import CLOSED, GeoReportError, georeport_filing, retry_keys, to_xml
from services.intake.models import IntakeTicket
from services.intake.open311_keys import Open311Key

CLIENT = Open311Key(
    id="k1", client_id="cityapp", client_name="市民App", key_hash="0" * 64, key_prefix="o311_abcd",
    created_at=datetime(2026, 11, 27, tzinfo=timezone.utc), created_by="admin",
)


def form(**fields: str) -> MultiDict:
    return MultiDict(list(fields.items()))


def test_lists_become_repeated_elements_named_as_the_spec_names_them():
    body = to_xml("services", [{"service_code": "road", "metadata": True, "keywords": "", "group": None}])
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services><service>')
    service = ET.fromstring(body).find("service")
    assert (service.findtext("service_code"), service.findtext("metadata"), service.find("group").text) == ("road", "true", None)
    errors = ET.fromstring(to_xml("errors", [{"code": 403, "description": "api_key: 缺失"}]))
    assert [(e.findtext("code"), e.findtext("description")) for e in errors.iter("error")] == [("403", "api_key: 缺失")]


def test_a_form_becomes_one_open311_filing_of_the_client():
    fields = MultiDict([
        ("service_code", "road"), ("lat", "39.7511"), ("long", "116.1402"), ("address_string", "馨然嘉园3号楼"),
        ("description", "路面塌陷。很危险"), ("first_name", "雷"), ("last_name", "李"), ("phone", "13812345678"),
        ("media_url", "https://files.example/a.jpg"), ("attribute[community]", "xinran"), ("attribute[kind]", "hazard"),
        ("email", "li@example.com"), ("device_id", "d1"),
    ])
    command = georeport_filing(get_directory(), fields, CLIENT, "sha256:x:1")
    assert (command.channel, command.filed_by, command.actor.id) == ("open311", "open311:cityapp", "open311:cityapp")
    assert (command.category, command.kind, command.community_id, command.title) == ("road", "hazard", "xinran", "路面塌陷")
    assert (command.latitude, command.longitude, command.address) == (39.7511, 116.1402, "馨然嘉园3号楼")
    assert (command.contact_phone, command.contact_name, command.anonymous) == ("13812345678", "李雷", False)
    assert command.attachments == ("https://files.example/a.jpg",)
    assert "li@example.com" not in command.model_dump_json()  # e-mail and device id are not kept


def test_without_a_description_or_contact_the_filing_is_anonymous_and_named_after_the_service():
    command = georeport_filing(get_directory(), form(service_code="noise", address_string="石榴桥"), CLIENT, "k")
    assert (command.title, command.description, command.anonymous, command.contact_phone) == ("噪音扰民", "噪音扰民", True, None)


def test_every_fault_of_a_form_is_reported_at_once_each_naming_its_field():
    fields = MultiDict([
        ("service_code", "road"), ("lat", "91"), ("long", "116"), ("phone", "call me"), ("media_url", "ftp://x"),
        ("attribute[urgency]", "yesterday"), ("attribute[colour]", "red"), ("description", "x" * 2001),
    ])
    with pytest.raises(GeoReportError) as refused:
        georeport_filing(get_directory(), fields, CLIENT, "k")
    assert refused.value.status_code == 400
    named = sorted(d.split(":")[0] for _, d in refused.value.errors)
    assert named == sorted(["attribute[urgency]", "attribute[colour]", "lat, long", "description", "media_url", "phone"])


@pytest.mark.parametrize(("service_code", "status"), [(None, 400), ("teleport", 404)])
def test_a_missing_service_code_is_a_400_and_an_unknown_one_a_404(service_code, status):
    fields = form(address_string="馨然嘉园", **({"service_code": service_code} if service_code else {}))
    with pytest.raises(GeoReportError) as refused:
        georeport_filing(get_directory(), fields, CLIENT, "k")
    assert refused.value.status_code == status and refused.value.errors[0][1].startswith("service_code:")


def test_a_retry_within_the_window_meets_the_first_key_even_across_a_bucket_edge():
    fields = form(service_code="road", address_string="馨然嘉园", description="井盖缺失", api_key="o311_one")
    edge = datetime.fromtimestamp(
        (int(datetime(2026, 11, 27, tzinfo=timezone.utc).timestamp()) // 600 + 1) * 600, timezone.utc
    )
    first, _, lock = retry_keys(fields, None, edge - timedelta(seconds=1))
    same, _, _ = retry_keys(fields, None, edge - timedelta(minutes=9))
    _, earlier, same_lock = retry_keys(form(**{**dict(fields), "api_key": "o311_rotated"}), None, edge + timedelta(seconds=1))
    assert same == first and earlier == (first,) and lock == same_lock  # the key that sent it is not part of the request
    other, _, _ = retry_keys(form(**{**dict(fields), "description": "井盖破损"}), None, edge - timedelta(seconds=1))
    assert other != first
    later, earlier_later, _ = retry_keys(fields, None, edge + timedelta(minutes=25))
    assert first != later and first not in earlier_later  # long after the window, the same text is a new report


def test_a_client_idempotency_key_wins_over_the_content():
    key, earlier, _ = retry_keys(form(service_code="road"), "abc-123", datetime.now(timezone.utc))
    assert key == "key:abc-123" and earlier == ()  # file_ticket holds the key and checks the request under it


def test_phone_numbers_in_public_text_are_masked():
    assert open311._scrub("请回电13812345678或010-88886666，谢谢") == "请回电138****5678或010****6666，谢谢"
    assert open311._scrub("3号楼2单元501") == "3号楼2单元501"


def test_resolved_settled_closed_and_merged_read_as_closed_and_the_rest_as_open():
    assert {s.value for s in CLOSED} == {"resolved", "settled_on_spot", "closed", "merged"}
    assert TicketStatus.reopened not in CLOSED and TicketStatus.returned not in CLOSED


def test_chinese_names_read_family_name_first():
    assert open311._contact_name("雷", "李") == "李雷"
    assert open311._contact_name("John", "Smith") == "John Smith"
    assert open311._contact_name(None, None) is None


def _ticket(status: str, warnings: dict[str, str], department_id: str | None = None) -> IntakeTicket:
    now = datetime(2026, 11, 27, 8, tzinfo=timezone.utc)
    ticket = IntakeTicket(
        id="T20261127-0000ABCD", kind="problem", title="路灯不亮", description="联系13812345678", category="road",
        urgency="ordinary", channel="open311", community_id="xinran", filed_by="open311:cityapp", idempotency_key="k",
        request_fingerprint="f", created_at=now, updated_at=now, address="馨然嘉园3号楼",
    )
    ticket.store(TicketView(status=TicketStatus(status), department_id=department_id, warnings=warnings))
    return ticket


def test_a_public_request_expects_the_standing_deadline_and_names_the_department_holding_it():
    found = open311.public_request(get_directory(), _ticket("accepted", {"resolve": "2026-12-01T09:00:00+08:00"}, "urban"))
    assert (found["status"], found["status_notes"], found["agency_responsible"]) == ("open", "部门办理中", "城市管理委员会")
    assert found["expected_datetime"] == "2026-12-01T09:00:00+08:00"
    assert found["description"] == "联系138****5678" and found["address"] == "馨然嘉园3号楼"
    assert "phone" not in str(found) and "13812345678" not in str(found)


def test_a_public_request_without_a_standing_deadline_or_once_closed_has_no_expected_datetime():
    assert "expected_datetime" not in open311.public_request(get_directory(), _ticket("filed", {}))
    resolved = open311.public_request(get_directory(), _ticket("resolved", {"rating": "2026-12-01T09:00:00Z"}, "urban"))
    assert resolved["status"] == "closed" and "expected_datetime" not in resolved


def test_a_rate_limit_stays_a_429_with_retry_after_and_other_refusals_are_400s_keeping_our_code():
    limited = open311.from_domain_error(RateLimited("contact_phone", 12.2))
    assert (limited.status_code, limited.errors[0][0], limited.headers) == (429, 429, {"Retry-After": "13"})
    rejected = open311.from_domain_error(FilingRejected("category: unknown category 'x'"))
    assert (rejected.status_code, rejected.errors[0]) == (400, (422, "category: unknown category 'x'"))
