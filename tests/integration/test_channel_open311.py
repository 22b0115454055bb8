"""Open311 GeoReport v2: a client written from the spec alone (http://wiki.open311.org/GeoReport_v2), speaking httpx,
files through /open311/v2/ with an admin-issued api_key and reads back in JSON and XML; the filing reaches Kafka and
the community's queue; reads are public and carry no personal data; keys are refused once revoked; the key admin API
is the admins' alone."""
from __future__ import annotations

import asyncio
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from libs.directory import get_directory
from libs.events import TICKETS, topic_name
from libs.settings import get_settings
from services.intake.abuse import AbuseSettings, get_limiter
from services.intake.suggest import load_rules_file
from tests.integration.conftest import bearer, eventually

ADMIN = bearer("admin", "admin-o311")
STAFF = bearer("community_staff", "s-o311", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-o311-other", community_id="shiliuqiao")
PHONE = "13812345678"


class GeoReportError(Exception):
    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        super().__init__(f"HTTP {status}: {errors}")
        self.status = status
        self.errors = errors


class GeoReportClient:
    """GeoReport v2 as the spec words it: resources end in .xml or .json, POST is form-encoded with api_key among the
    fields, attributes go as attribute[code]=value, errors are a list of {code, description}."""

    def __init__(self, http: httpx.Client, *, endpoint: str = "/open311/v2", fmt: str = "json", api_key: str | None = None):
        self.http, self.endpoint, self.fmt, self.api_key = http, endpoint, fmt, api_key

    def _url(self, resource: str) -> str:
        return f"{self.endpoint}/{resource}.{self.fmt}"

    def _parse(self, response: httpx.Response, shape: str) -> Any:
        expected = "application/json" if self.fmt == "json" else "text/xml"
        assert response.headers["content-type"].startswith(expected), response.headers["content-type"]
        if self.fmt == "xml":
            assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        if response.status_code >= 400:
            errors = response.json() if self.fmt == "json" else parse_xml(response.content, "errors")
            raise GeoReportError(response.status_code, errors)
        return response.json() if self.fmt == "json" else parse_xml(response.content, shape)

    def discovery(self) -> dict:
        return self._parse(self.http.get(self._url("discovery")), "discovery")

    def services(self, jurisdiction_id: str | None = None) -> list[dict]:
        return self._parse(self.http.get(self._url("services"), params={"jurisdiction_id": jurisdiction_id or ""}), "services")

    def service_definition(self, service_code: str) -> dict:
        return self._parse(self.http.get(self._url(f"services/{service_code}")), "service_definition")

    def create_request(self, *, attributes: dict[str, str] | None = None, headers: dict | None = None, **fields: Any) -> list[dict]:
        form = {k: str(v) for k, v in fields.items() if v is not None}
        if self.api_key is not None:
            form["api_key"] = self.api_key
        form.update({f"attribute[{code}]": value for code, value in (attributes or {}).items()})
        response = self.http.post(
            self._url("requests"), content=httpx.QueryParams(form).__str__().encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **(headers or {})},
        )
        return self._parse(response, "service_requests")

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "api_key": self.api_key} if self.api_key else params

    def requests(self, **params: Any) -> list[dict]:
        return self._parse(self.http.get(self._url("requests"), params=self._params(params)), "service_requests")

    def request(self, service_request_id: str) -> dict:
        found = self._parse(self.http.get(self._url(f"requests/{service_request_id}"), params=self._params({})), "service_requests")
        assert len(found) == 1
        return found[0]


def _text(element: ET.Element | None) -> str | None:
    return None if element is None or element.text is None else element.text


def parse_xml(body: bytes, shape: str) -> Any:
    """The spec's XML documents as the same lists and dicts its JSON (Spark convention) gives, values as strings."""
    root = ET.fromstring(body)
    assert root.tag == shape, f"root element {root.tag!r}, expected {shape!r}"
    flat = lambda element: {child.tag: _text(child) for child in element}  # noqa: E731
    if shape in ("services", "service_requests", "errors"):
        return [flat(item) for item in root]
    if shape == "service_definition":
        attributes = []
        for attribute in root.find("attributes") or []:
            fields = {child.tag: _text(child) for child in attribute if child.tag != "values"}
            fields["values"] = [flat(value) for value in attribute.find("values") or []]
            attributes.append(fields)
        return {"service_code": _text(root.find("service_code")), "attributes": attributes}
    if shape == "discovery":
        endpoints = []
        for endpoint in root.find("endpoints") or []:
            fields = {child.tag: _text(child) for child in endpoint if child.tag != "formats"}
            fields["formats"] = [f.text for f in endpoint.find("formats") or []]
            endpoints.append(fields)
        top = {child.tag: _text(child) for child in root if child.tag != "endpoints"}
        return {**top, "endpoints": endpoints}
    raise AssertionError(shape)


def as_text(value: Any) -> str | None:
    """How a JSON value reads in the XML document (an empty string is an empty element)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def issue_key(intake, client_id: str) -> dict:
    issued = intake.post("/admin/open311/keys", json={"client_id": client_id, "client_name": f"{client_id} 接入方"}, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    return issued.json()


def kafka_records_of(ticket_id: str, timeout: float = 120) -> list[tuple[bytes, bytes]]:
    """(event_type header, raw value) of every record about the ticket on the tickets topic, once TicketFiled is there."""

    async def read() -> list[tuple[bytes, bytes]]:
        consumer = AIOKafkaConsumer(
            topic_name(TICKETS), bootstrap_servers=get_settings().kafka_bootstrap, auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        found: list[tuple[bytes, bytes]] = []
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not any(t == b"TicketFiled" for t, _ in found) and loop.time() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [(dict(r.headers)["event_type"], r.value) for r in records if r.key == ticket_id.encode()]
        finally:
            await consumer.stop()
        return found

    return asyncio.run(read())


@pytest.fixture(scope="module")
def intake(service_clients):
    return service_clients["intake"]


@pytest.fixture(scope="module")
def client_key(intake) -> str:
    return issue_key(intake, f"app-{uuid.uuid4().hex[:6]}")["api_key"]


def unique(text: str) -> str:
    return f"{text} #{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- discovery and services


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_names_the_v2_endpoint_its_formats_and_how_to_get_a_key(intake, fmt):
    found = GeoReportClient(intake, fmt=fmt).discovery()
    assert set(found) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert endpoint["type"] in ("production", "test")


def test_the_services_are_the_districts_categories_alike_in_json_and_xml(intake):
    as_json = GeoReportClient(intake, fmt="json").services(jurisdiction_id="changyang")
    as_xml = GeoReportClient(intake, fmt="xml").services()
    assert [s["service_code"] for s in as_json] == [c.id for c in get_directory().categories]
    road = next(s for s in as_json if s["service_code"] == "road")
    assert list(road) == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert (road["service_name"], road["metadata"], road["type"], road["group"]) == ("道路破损", True, "realtime", "城市管理委员会")
    heaviest = max(load_rules_file(get_directory()).categories["road"].items(), key=lambda kv: kv[1])[0]
    assert heaviest in road["keywords"].split(", ")  # the 分类建议 keywords admins maintain
    assert as_xml == [{k: as_text(v) for k, v in s.items()} for s in as_json]


def test_a_service_definition_lists_its_attributes_with_their_values(intake):
    definition = GeoReportClient(intake, fmt="json").service_definition("road")
    assert definition["service_code"] == "road"
    by_code = {a["code"]: a for a in definition["attributes"]}
    assert list(by_code) == ["kind", "title", "community", "grid", "urgency"]
    assert sorted(a["order"] for a in definition["attributes"]) == [1, 2, 3, 4, 5]
    assert {v["key"] for v in by_code["community"]["values"]} == {c.id for c in get_directory().communities}
    assert {v["key"] for v in by_code["kind"]["values"]} == {"problem", "wish", "hazard", "consultation", "suggestion"}
    assert all(a["variable"] is True and a["required"] is False for a in definition["attributes"])
    as_xml = GeoReportClient(intake, fmt="xml").service_definition("road")
    assert as_xml["attributes"] == [
        {**{k: as_text(v) for k, v in a.items() if k != "values"}, "values": a["values"]} for a in definition["attributes"]
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_a_404_in_the_specs_error_shape(intake, fmt):
    with pytest.raises(GeoReportError) as refused:
        GeoReportClient(intake, fmt=fmt).service_definition("no-such-service")
    assert refused.value.status == 404
    (error,) = refused.value.errors
    assert str(error["code"]) == "404" and error["description"].startswith("service_code:")


def test_an_unknown_format_is_a_404_answered_in_xml(intake):
    response = intake.get("/open311/v2/services.html")
    assert response.status_code == 404
    assert parse_xml(response.content, "errors")[0]["description"].startswith("format:")


# --------------------------------------------------------------------------- filing


def test_a_request_filed_with_a_key_reaches_kafka_and_the_community_queue_and_reads_back_without_personal_data(
    service_clients, intake, client_key
):
    dispatch = service_clients["dispatch"]
    client = GeoReportClient(intake, fmt="json", api_key=client_key)
    description = unique("3号楼南侧人行道塌陷约半米，老人经过很危险。联系13987654321")
    (created,) = client.create_request(
        service_code="road", lat=39.7511, long=116.1402, address_string="馨然嘉园3号楼南侧", description=description,
        email="li@example.com", first_name="雷", last_name="李", phone=PHONE, device_id="dev-1", account_id="acc-1",
        media_url="https://files.example/o311/pothole.jpg", attributes={"community": "xinran", "kind": "hazard"},
    )
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    ticket_id = created["service_request_id"]

    records = kafka_records_of(ticket_id)
    filed = next(value for event_type, value in records if event_type == b"TicketFiled")
    assert b'"channel":"open311"' in filed.replace(b" ", b"")
    assert PHONE.encode() not in filed and "李雷".encode() not in filed and b"li@example.com" not in filed

    def in_queue():
        found = dispatch.get(f"/tickets/{ticket_id}", headers=STAFF)
        return found.json() if found.status_code == 200 else None

    queued = eventually(in_queue)
    assert (queued["community_id"], queued["kind"], queued["category"]) == ("xinran", "hazard", "road")
    assert (queued["latitude"], queued["longitude"], queued["attachments"]) == (39.7511, 116.1402, ["https://files.example/o311/pothole.jpg"])
    assert queued["reporter_phone_masked"] == "138****5678" and not queued["anonymous"]
    revealed = intake.post(f"/tickets/{ticket_id}/contact/reveal", headers=STAFF)  # kept encrypted, for the call back
    assert revealed.status_code == 200, revealed.text
    assert (revealed.json()["contact_name"], revealed.json()["contact_phone"]) == ("李雷", PHONE)
    assert dispatch.get(f"/tickets/{ticket_id}", headers=OTHER_STAFF).status_code in (403, 404)

    public = GeoReportClient(intake, fmt="json")  # reads need no key
    as_json = public.request(ticket_id)
    assert list(as_json)[:10] == [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
    ]
    assert (as_json["status"], as_json["service_code"], as_json["service_name"]) == ("open", "road", "道路破损")
    assert as_json["status_notes"] == "已吹哨，待社区转哨"
    assert as_json["agency_responsible"] == "馨然嘉园社区"  # the community holds it until it is dispatched
    assert (as_json["lat"], as_json["long"], as_json["address"]) == (39.7511, 116.1402, "馨然嘉园3号楼南侧")
    assert as_json["media_url"] == "https://files.example/o311/pothole.jpg"
    assert "expected_datetime" not in as_json  # intake knows no deadline until one is near
    assert datetime.fromisoformat(as_json["requested_datetime"].replace("Z", "+00:00")).tzinfo is not None
    assert client.request(ticket_id) == as_json  # a client that sends its api_key everywhere reads the same
    as_xml = GeoReportClient(intake, fmt="xml").request(ticket_id)
    assert as_xml == {k: as_text(v) for k, v in as_json.items()}
    for body in (intake.get(f"/open311/v2/requests/{ticket_id}.json").text, intake.get(f"/open311/v2/requests/{ticket_id}.xml").text):
        assert PHONE not in body and "13987654321" not in body and "李" not in body and "li@example.com" not in body
        assert "139****4321" in body  # a number typed into the description is masked

    sent = dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban"}, headers=STAFF)
    assert sent.status_code == 200, sent.text

    def followed():
        found = public.request(ticket_id)
        return found if found["status_notes"] != "已吹哨，待社区转哨" else None

    moved = eventually(followed)
    assert (moved["status"], moved["status_notes"], moved["agency_responsible"]) == ("open", "已派单，待部门签收", "城市管理委员会")


def test_a_request_posted_for_xml_answers_in_xml(intake, client_key):
    client = GeoReportClient(intake, fmt="xml", api_key=client_key)
    (created,) = client.create_request(
        service_code="noise", address_string="石榴桥社区5号楼", description=unique("夜间施工噪音"),
        attributes={"community": "shiliuqiao"},
    )
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] is None
    found = client.request(created["service_request_id"])
    assert (found["service_code"], found["status"], found["address"], found["lat"]) == ("noise", "open", "石榴桥社区5号楼", None)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("api_key", "why"), [(None, "missing"), ("o311_not-a-key", "invalid")])
def test_a_request_without_a_valid_key_is_a_403_and_files_nothing(intake, fmt, api_key, why):
    description = unique("没有钥匙的请求")
    with pytest.raises(GeoReportError) as refused:
        GeoReportClient(intake, fmt=fmt, api_key=api_key).create_request(
            service_code="road", address_string="馨然嘉园", description=description, attributes={"community": "xinran"}
        )
    assert refused.value.status == 403
    (error,) = refused.value.errors
    assert str(error["code"]) == "403" and error["description"].startswith("api_key:") and why in error["description"]
    listed = GeoReportClient(intake).requests(service_code="road")
    assert description not in [r["description"] for r in listed]


def test_a_revoked_key_is_refused_while_the_clients_other_key_still_files(intake):
    client_id = f"rotating-{uuid.uuid4().hex[:6]}"
    old, new = issue_key(intake, client_id), issue_key(intake, client_id)
    revoked = intake.post(f"/admin/open311/keys/{old['id']}/revoke", headers=ADMIN)
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "admin-o311"
    fields = {"service_code": "road", "address_string": "馨然嘉园", "attributes": {"community": "xinran"}}
    with pytest.raises(GeoReportError) as refused:
        GeoReportClient(intake, api_key=old["api_key"]).create_request(description=unique("旧钥匙"), **fields)
    assert refused.value.status == 403
    (created,) = GeoReportClient(intake, api_key=new["api_key"]).create_request(description=unique("新钥匙"), **fields)
    assert created["service_request_id"]


@pytest.mark.parametrize(
    ("fields", "attributes", "named"),
    [
        ({"description": "没有位置"}, {}, "lat, long, address_string:"),
        ({"lat": 39.75, "description": "只有纬度"}, {}, "lat, long:"),
        ({"address_id": "545483"}, {}, "address_id:"),
        ({"address_string": "馨然嘉园"}, {"colour": "red"}, "attribute[colour]:"),
        ({"address_string": "馨然嘉园"}, {"community": "atlantis"}, "attribute[community]:"),
        ({"address_string": "馨然嘉园", "phone": "call me"}, {}, "phone:"),
        ({"address_string": "馨然嘉园", "media_url": "javascript:alert(1)"}, {}, "media_url:"),
    ],
)
def test_a_request_the_spec_or_our_service_definition_does_not_allow_is_a_400_naming_the_field(
    intake, client_key, fields, attributes, named
):
    with pytest.raises(GeoReportError) as refused:
        GeoReportClient(intake, api_key=client_key).create_request(service_code="road", attributes=attributes, **fields)
    assert refused.value.status == 400
    assert any(e["description"].startswith(named) for e in refused.value.errors), refused.value.errors


def test_an_unknown_or_missing_service_code_is_refused(intake, client_key):
    client = GeoReportClient(intake, api_key=client_key)
    with pytest.raises(GeoReportError) as unknown:
        client.create_request(service_code="teleport", address_string="馨然嘉园")
    with pytest.raises(GeoReportError) as missing:
        client.create_request(address_string="馨然嘉园")
    assert (unknown.value.status, missing.value.status) == (404, 400)


@pytest.fixture
def phone_limit():
    """Two tickets an hour per phone for one test (tests run with the abuse limits off), off again afterwards."""
    limiter = get_limiter()
    limiter.configure(AbuseSettings(rate_per_phone="2/3600", rate_per_ip="off"))
    yield
    limiter.configure(AbuseSettings(rate_per_phone="off", rate_per_ip="off"))


def test_a_phone_filing_too_often_is_a_429_with_retry_after_in_the_specs_error_shape(intake, client_key, phone_limit):
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    client = GeoReportClient(intake, fmt="xml", api_key=client_key)
    for n in (1, 2):
        client.create_request(service_code="road", address_string="馨然嘉园", description=unique(f"第{n}次"), phone=phone)
    description = unique("又一次")
    response = intake.post(
        "/open311/v2/requests.xml",
        data={"api_key": client_key, "service_code": "road", "address_string": "馨然嘉园", "description": description, "phone": phone},
    )
    assert response.status_code == 429 and 3500 <= int(response.headers["Retry-After"]) <= 3600
    (error,) = parse_xml(response.content, "errors")
    assert error["code"] == "429" and error["description"].startswith("contact_phone:")
    assert description not in [r["description"] for r in GeoReportClient(intake).requests(service_code="road")]


# --------------------------------------------------------------------------- retries


def test_a_retried_request_returns_the_first_ticket_and_files_nothing_new(intake, client_key):
    client = GeoReportClient(intake, api_key=client_key)
    fields = {"service_code": "garbage", "address_string": "佳门口社区东门", "description": unique("垃圾桶满溢"),
              "attributes": {"community": "jiamenkou"}}
    (first,) = client.create_request(**fields)
    (again,) = client.create_request(**fields)
    assert again["service_request_id"] == first["service_request_id"]
    listed = GeoReportClient(intake).requests(service_code="garbage")
    assert [r["description"] for r in listed].count(fields["description"]) == 1


def test_an_idempotency_key_makes_a_retry_safe_and_refuses_a_different_request_under_it(intake, client_key):
    client = GeoReportClient(intake, api_key=client_key)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    fields = {"service_code": "road", "address_string": "馨然嘉园", "attributes": {"community": "xinran"}}
    description = unique("同一个请求")
    (first,) = client.create_request(description=description, headers=key, **fields)
    (again,) = client.create_request(description=description, headers=key, **fields)
    assert again["service_request_id"] == first["service_request_id"]
    with pytest.raises(GeoReportError) as refused:
        client.create_request(description=unique("另一个请求"), headers=key, **fields)
    assert refused.value.status == 400 and str(refused.value.errors[0]["code"]) == "409"


def test_concurrent_identical_retries_file_one_ticket(intake, client_key):
    fields = {"service_code": "water_supply", "address_string": "石榴桥社区2号楼", "description": unique("水管爆裂"),
              "attributes": {"community": "shiliuqiao"}}

    def post(_: int) -> str:
        return GeoReportClient(intake, api_key=client_key).create_request(**fields)[0]["service_request_id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(post, range(6)))
    assert len(ids) == 1
    listed = GeoReportClient(intake).requests(service_code="water_supply")
    assert [r["description"] for r in listed].count(fields["description"]) == 1


# --------------------------------------------------------------------------- GET requests: filters


def test_requests_filter_by_id_service_code_status_and_dates_and_page(service_clients, intake, client_key):
    dispatch = service_clients["dispatch"]
    client = GeoReportClient(intake, api_key=client_key)
    made = [
        client.create_request(service_code=code, address_string="馨然嘉园", description=unique(f"筛选 {code}"),
                              attributes={"community": "xinran"})[0]["service_request_id"]
        for code in ("heating", "heating", "elderly")
    ]
    settled = made[2]
    eventually(lambda: dispatch.get(f"/tickets/{settled}", headers=STAFF).status_code == 200)
    done = dispatch.post(f"/tickets/{settled}/settle", json={"note": "社区已上门解决"}, headers=STAFF)
    assert done.status_code == 200, done.text
    eventually(lambda: GeoReportClient(intake).request(settled)["status"] == "closed")

    reader = GeoReportClient(intake)
    by_id = reader.requests(service_request_id=f"{made[0]},{made[2]}")
    assert sorted(r["service_request_id"] for r in by_id) == sorted([made[0], made[2]])
    heating = {r["service_request_id"] for r in reader.requests(service_code="heating")}
    assert set(made[:2]) <= heating and settled not in heating
    several = {r["service_request_id"] for r in reader.requests(service_code="heating,elderly")}
    assert set(made) <= several
    closed = {r["service_request_id"] for r in reader.requests(status="closed")}
    opened = {r["service_request_id"] for r in reader.requests(status="open")}
    assert settled in closed and settled not in opened and set(made[:2]) <= opened
    assert set(made) <= {r["service_request_id"] for r in reader.requests(status="open,closed")}
    assert all(r["status"] == "closed" for r in reader.requests(status="closed"))

    now = datetime.now(timezone.utc)
    w3 = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    recent = {r["service_request_id"] for r in reader.requests(start_date=w3(now - timedelta(hours=1)), end_date=w3(now + timedelta(minutes=5)))}
    assert set(made) <= recent
    assert not {r["service_request_id"] for r in reader.requests(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00+08:00")} & set(made)
    assert not {r["service_request_id"] for r in reader.requests(end_date=w3(now - timedelta(days=1)))} & set(made)

    first = reader.requests(service_code="heating,elderly", page_size=2, page=1)
    second = reader.requests(service_code="heating,elderly", page_size=2, page=2)
    assert len(first) == 2 and not {r["service_request_id"] for r in first} & {r["service_request_id"] for r in second}
    as_xml = GeoReportClient(intake, fmt="xml").requests(service_request_id=settled)
    assert as_xml == [{k: as_text(v) for k, v in r.items()} for r in reader.requests(service_request_id=settled)]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"status": "pending"}, "status:"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "start_date, end_date:"),
        ({"start_date": "yesterday"}, "start_date:"),
        ({"start_date": "2026-01-01T00:00:00"}, "start_date:"),
        ({"page_size": "5000"}, "page_size:"),
        ({"page": "0"}, "page:"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(intake, params, named):
    for fmt in ("json", "xml"):
        with pytest.raises(GeoReportError) as refused:
            GeoReportClient(intake, fmt=fmt).requests(**params)
        assert refused.value.status == 400 and refused.value.errors[0]["description"].startswith(named)


def test_an_unknown_request_is_a_404(intake):
    with pytest.raises(GeoReportError) as refused:
        GeoReportClient(intake).request("T20200101-00000000")
    assert refused.value.status == 404 and refused.value.errors[0]["description"].startswith("service_request_id:")


# --------------------------------------------------------------------------- the key admin API


def test_admins_list_keys_without_the_key_and_only_admins_reach_the_key_api(intake, client_key):
    issued = issue_key(intake, f"listed-{uuid.uuid4().hex[:6]}")
    listed = intake.get("/admin/open311/keys", params={"client_id": issued["client_id"]}, headers=ADMIN)
    assert listed.status_code == 200
    (row,) = listed.json()
    assert row["id"] == issued["id"] and "api_key" not in row and "key_hash" not in row
    assert issued["api_key"].startswith(row["key_prefix"]) and issued["api_key"] not in listed.text

    others = [
        bearer(role, f"{role}-o311", community_id="xinran", department_id="urban")
        for role in ("resident", "grid_worker", "community_staff", "department_staff", "supervisor", "leader")
    ]
    for headers in others:
        assert intake.get("/admin/open311/keys", headers=headers).status_code == 403
        assert intake.post("/admin/open311/keys", json={"client_id": "intruder", "client_name": "x"}, headers=headers).status_code == 403
        assert intake.post(f"/admin/open311/keys/{issued['id']}/revoke", headers=headers).status_code == 403
    # A client's own key (or another client's) opens nothing here, as a bearer token or as api_key.
    for key in (client_key, issued["api_key"]):
        assert intake.get("/admin/open311/keys", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        assert intake.post(f"/admin/open311/keys/{issued['id']}/revoke", params={"api_key": key}).status_code == 401
        assert intake.post("/admin/open311/keys", data={"api_key": key, "client_id": "x", "client_name": "x"}).status_code == 401
    still = intake.get("/admin/open311/keys", params={"client_id": issued["client_id"]}, headers=ADMIN).json()
    assert still[0]["revoked_at"] is None
    assert intake.post("/admin/open311/keys/k-none/revoke", headers=ADMIN).status_code == 404
