"""系统设置 in the portal (issue 12): 基础数据 (streets, communities and grids, departments, categories and their routing
rule) published as the next directory version through dispatch, grid boundaries uploaded to intake; 用户与权限 (create,
change role and scope, 停用/启用) with every change in the audit. Admins only; wrong fields named in Chinese, nothing sent."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from libs.directory import get_directory, live
from services.portal import reference_forms
from test_portal_pages import FakeBackends, fake, log_in, portal, settings  # noqa: F401  (fixtures are used by name)

NOW = "2026-11-27T02:30:00+00:00"


def current_document() -> dict:
    return get_directory().model_dump(mode="json")


@pytest.fixture
def directory_backend(fake: FakeBackends):  # noqa: ANN201
    live.reset_to_file()
    fake.on("dispatch", "GET", "/admin/directory", httpx.Response(200, json={"version": 3, "source": "stored", "document": current_document(),
            "change": "新增社区 西潞园社区", "published_by": "admin", "published_at": NOW}))
    fake.on("dispatch", "GET", "/admin/directory/history", httpx.Response(200, json=[
        {"version": 3, "change": "新增社区 西潞园社区", "published_by": "admin", "published_at": NOW}]))
    fake.on("intake", "GET", "/admin/grids", httpx.Response(200, json={"version": 2, "source": "published", "grids": 13, "document": {}}))
    yield fake
    live.reset_to_file()


def test_the_admin_sees_the_hierarchy_routing_and_change_log(portal: TestClient, directory_backend: FakeBackends) -> None:
    log_in(portal, "admin")
    html = portal.get("/admin/reference").text
    for text in ("长阳镇", "拱辰街道", "西潞园社区", "xiluyuan-02", "拱辰街道综合行政执法队", "街道级", "道路破损", "城市管理委员会",
                 "第 3 版", "变更记录", "新增社区 西潞园社区", "13 个网格"):
        assert text in html, text


def test_a_new_community_is_published_as_the_next_version_and_adopted_at_once(portal: TestClient, directory_backend: FakeBackends) -> None:
    def published(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json={**body, "source": "stored", "published_by": "admin", "published_at": NOW})

    directory_backend.on("dispatch", "PUT", "/admin/directory", published)
    log_in(portal, "admin")
    form = {"version": "3", "street": "gongchen", "id": "haiguang", "name": "海光社区", "grids": "haiguang-01，haiguang-02",
            "compounds": "海光家园、海光南里"}
    done = portal.post("/admin/reference/community", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/reference?ok=reference"
    [sent] = directory_backend.sent("dispatch", "PUT", "/admin/directory")
    body = json.loads(sent.content)
    assert body["version"] == 4 and body["change"] == "新增社区 海光社区（haiguang）"
    added = next(c for c in body["document"]["communities"] if c["id"] == "haiguang")
    assert added == {"id": "haiguang", "name": "海光社区", "street": "gongchen", "grids": ["haiguang-01", "haiguang-02"],
                     "compounds": ["海光家园", "海光南里"]}
    assert get_directory().street_of("haiguang") == "gongchen" and live.in_force().version == 4


@pytest.mark.parametrize(
    ("kind", "form", "named"),
    [
        ("community", {"street": "nowhere", "id": "Bad Id", "name": ""}, ("所属街道", "编号", "名称")),
        ("community", {"street": "gongchen", "id": "xiluyuan", "name": "西潞园社区", "grids": "xiluyuan-01"}, ("不能删除已有网格 xiluyuan-02",)),
        ("community", {"street": "gongchen", "id": "haiguang", "name": "海光社区", "grids": "xinran-01"}, ("xinran-01 已属于馨然嘉园社区",)),
        ("category", {"id": "parking", "name": "Parking", "department": "moon", "urgency": "soon"}, ("中文名称", "默认承办部门", "紧急程度")),
        ("department", {"id": "x1", "name": "某部门", "street": "mars"}, ("层级",)),
    ],
)
def test_a_wrong_field_is_named_in_chinese_and_nothing_is_published(
    portal: TestClient, directory_backend: FakeBackends, kind: str, form: dict, named: tuple[str, ...]
) -> None:
    log_in(portal, "admin")
    refused = portal.post(f"/admin/reference/{kind}", data={"version": "3", **form})
    assert refused.status_code == 422
    for text in named:
        assert text in refused.text, text
    assert not directory_backend.sent("dispatch", "PUT", "/admin/directory")


def test_someone_publishing_first_is_a_409_in_chinese(portal: TestClient, directory_backend: FakeBackends) -> None:
    directory_backend.on("dispatch", "PUT", "/admin/directory", httpx.Response(409, json={"detail": "version: expected 4 (current is 3), got 4"}))
    log_in(portal, "admin")
    refused = portal.post("/admin/reference/category", data={"version": "3", "id": "parking", "name": "停车管理", "department": "urban"})
    assert refused.status_code == 409 and "已有人先发布了新版本" in refused.text


def test_grid_boundaries_are_uploaded_to_intake(portal: TestClient, directory_backend: FakeBackends) -> None:
    directory_backend.on("intake", "PUT", "/admin/grids", httpx.Response(200, json={"version": 3}))
    log_in(portal, "admin")
    geojson = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    done = portal.post("/admin/reference-grids", files={"geojson": ("grids.geojson", geojson, "application/geo+json")}, follow_redirects=False)
    assert done.status_code == 303
    [sent] = directory_backend.sent("intake", "PUT", "/admin/grids")
    assert json.loads(sent.content) == {"type": "FeatureCollection", "features": []}
    broken = portal.post("/admin/reference-grids", files={"geojson": ("grids.geojson", b"{not json", "application/json")})
    assert broken.status_code == 422 and "不是有效的 GeoJSON" in broken.text


@pytest.mark.parametrize("username", ["supervisor1", "leader1", "xinran_staff"])
def test_only_admins_edit_reference_data_and_users(portal: TestClient, directory_backend: FakeBackends, username: str) -> None:
    log_in(portal, username)
    for path in ("/admin/reference", "/admin/users"):
        assert portal.get(path).status_code == 403
    assert portal.post("/admin/reference/street", data={"version": "3", "id": "x", "name": "某街道"}).status_code == 403
    assert portal.post("/admin/users", data={"username": "newbie"}).status_code == 403
    assert not directory_backend.sent("dispatch", "PUT", "/admin/directory")


def test_users_are_created_changed_deactivated_and_every_change_is_in_the_audit(portal: TestClient) -> None:
    log_in(portal, "admin")
    new = {"mode": "create", "username": "haiguang_staff", "display_name": "海光社区·王主任", "role": "community_staff",
           "community_id": "tianxingjie", "password": "changeme123"}
    assert portal.post("/admin/users", data=new, follow_redirects=False).status_code == 303
    moved = {**new, "mode": "update", "role": "supervisor", "street_id": "gongchen", "password": ""}
    assert portal.post("/admin/users", data=moved, follow_redirects=False).status_code == 303
    assert portal.post("/admin/users/haiguang_staff/active", data={"active": "0"}, follow_redirects=False).status_code == 303
    html = portal.get("/admin/users?q=haiguang").text
    assert "海光社区·王主任" in html and "督办" in html and "已停用" in html
    for action in ("新建", "修改", "停用"):
        assert action in html
    portal.post("/logout")
    refused = portal.post("/login", data={"username": "haiguang_staff", "password": "changeme123"}, follow_redirects=False)
    assert refused.status_code == 401  # a deactivated account cannot sign in

    log_in(portal, "admin")
    lines = [(line.action, (line.after or {}).get("role")) for line in reversed(
        __import__("services.portal.user_admin", fromlist=["x"]).audit_lines(portal.app.state.users.engine, username="haiguang_staff"))]
    assert lines == [("created", "community_staff"), ("updated", "supervisor"), ("deactivated", "supervisor")]


@pytest.mark.parametrize(
    ("form", "named"),
    [
        ({"role": "supervisor", "street_id": ""}, "督办只管辖一个街道"),
        ({"role": "department_staff", "department_id": "moon"}, "所属部门"),
        ({"role": "grid_worker", "community_id": "xinran", "grid_ids": "jiamenkou-01"}, "jiamenkou-01 不是馨然嘉园社区的网格"),
        ({"role": "community_staff", "community_id": "xinran", "password": "short"}, "初始密码"),
        ({"role": "community_staff", "community_id": "xinran", "username": "xinran_staff"}, "已存在"),
    ],
)
def test_a_wrong_account_field_is_named_and_nothing_is_saved(portal: TestClient, form: dict, named: str) -> None:
    log_in(portal, "admin")
    body = {"mode": "create", "username": "someone_new", "display_name": "某人", "password": "changeme123", **form}
    refused = portal.post("/admin/users", data=body)
    assert refused.status_code == 422 and named in refused.text
    assert portal.app.state.users.get("someone_new") is None


def test_the_form_change_keeps_ids_and_names_the_change() -> None:
    document = current_document()
    renamed, line = reference_forms.change(document, "department", {"id": "urban", "name": "城市管理委员会（城管委）", "street": ""})
    assert line == "修改部门 城市管理委员会（城管委）（urban）"
    assert [d["id"] for d in renamed["departments"]] == [d["id"] for d in document["departments"]]
    routed, line = reference_forms.change(document, "category", {"id": "road", "name": "道路破损", "department": "housing", "urgency": "urgent"})
    assert next(c for c in routed["categories"] if c["id"] == "road")["department"] == "housing" and "默认承办部门：housing" in line


def test_a_session_ends_when_its_account_is_deactivated_or_its_role_changes(portal: TestClient, settings) -> None:  # noqa: ANN001
    from tests.portal_client import PortalClient as Client

    log_in(portal, "admin")
    new = {"mode": "create", "username": "acting_staff", "display_name": "代班·李", "role": "community_staff",
           "community_id": "xinran", "password": "whistle123"}  # log_in's password
    assert portal.post("/admin/users", data=new, follow_redirects=False).status_code == 303
    with Client(portal.app) as other:
        log_in(other, "acting_staff")
        assert other.get("/console", follow_redirects=False).status_code != 303
        changed = {**new, "mode": "update", "role": "resident", "password": ""}
        assert portal.post("/admin/users", data=changed, follow_redirects=False).status_code == 303
        gone = other.get("/console", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")  # the role changed: sign in again
        log_in(other, "acting_staff")
        assert portal.post("/admin/users/acting_staff/active", data={"active": "0"}, follow_redirects=False).status_code == 303
        assert other.get("/mine", follow_redirects=False).status_code == 303  # deactivated
