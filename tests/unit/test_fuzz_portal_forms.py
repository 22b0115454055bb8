"""The portal's forms fuzzed (issue 13 item 2): every POST route of the portal (read from its OpenAPI: the form's
fields and path parameters) is posted random values — empty, long, unicode, markup, numbers, dates, lists — by a
signed-in person of a random role, with the page's CSRF token, while the backends answer with their refusals (404,
409, 422, 503) or nothing useful. Whatever comes in, the portal answers a page or a redirect, never a 500.
FUZZ_EXAMPLES sets the examples per form (`make test`: 6; `make fuzz`: more)."""
from __future__ import annotations

import json
import os
import random
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings as hsettings
from hypothesis import strategies as st

from services.portal.app import create_app
from tests.portal_client import PortalClient
from test_portal_pages import PASSWORD, settings  # noqa: F401 - fixture

EXAMPLES = max(6, int(os.environ.get("FUZZ_EXAMPLES", "6")))
USERS = ("resident1", "grid1", "xinran_staff", "urban_staff", "supervisor1", "leader1", "admin", "volunteer1", "operator1")
TEXT = st.one_of(
    st.just(""), st.text(max_size=40), st.text(min_size=300, max_size=3000),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "13800138000", "-1", "0",
                     "1e309", "NaN", "2026-02-30", "2026-11-27T08:00", "xinran", "urban", "road", "T20261127-0000ABCD",
                     "satisfied", "true", "\x00", "🙂" * 50, "1" * 40]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str), st.floats(allow_nan=True).map(str),
)


class RefusingBackends:
    """Every backend call is answered with one of the refusals a real backend gives (seeded, so a run repeats)."""

    def __init__(self) -> None:
        self.random = random.Random(13)

    def handle(self, request: httpx.Request) -> httpx.Response:
        status = self.random.choice([404, 409, 422, 503, 403])
        detail: Any = f"{status}: refused"
        if status == 422:
            detail = [{"loc": ["body", "title"], "msg": "Field required", "type": "missing"}]
        return httpx.Response(status, json={"detail": detail})


def forms(app) -> list[tuple[str, str | None, list[str]]]:  # noqa: ANN001
    """(path, content type, field names) of every POST operation of the portal."""
    spec = app.openapi()
    found = []
    for path, item in sorted(spec["paths"].items()):
        operation = item.get("post")
        if operation is None:
            continue
        content = operation.get("requestBody", {}).get("content", {})
        kind = next(iter(content), None)
        fields: list[str] = []
        if kind:
            schema = content[kind]["schema"]
            ref = schema.get("$ref")
            fields = list((spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema).get("properties", {}))
        found.append((path, kind, fields))
    return found


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    from libs.settings import Settings

    mp = pytest.MonkeyPatch()
    mp.delenv("PORTAL_DATABASE_URL", raising=False)
    mp.delenv("PORTAL_DEMO_USERS", raising=False)
    mp.setenv("PORTAL_LOGIN_MAX_FAILURES", "1000000")  # the fuzzer types wrong passwords: no lockout in its way
    mp.setenv("PORTAL_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000")
    mp.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzzportal"), database_url=None, **{
        f"{s}_url": f"http://{s}.test" for s in ("intake", "dispatch", "department", "feedback", "dashboard")})
    app = create_app(settings, transport=httpx.MockTransport(RefusingBackends().handle))
    with PortalClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client
    mp.undo()


def _sessions(client: PortalClient) -> dict[str, str]:
    cookies = {}
    for user in USERS:
        client.cookies.clear()
        answer = client.post("/login", data={"username": user, "password": PASSWORD})
        assert answer.status_code == 303, (user, answer.status_code)
        cookies[user] = client.cookies.get("whistle_session")
    client.cookies.clear()
    return cookies


def test_every_portal_form_answers_random_input_with_a_page_never_a_500(portal):
    sessions = _sessions(portal)
    crashes: list[str] = []
    posted = 0
    statuses: Counter = Counter()
    all_forms = forms(portal.app)
    for path, kind, fields in all_forms:
        values = st.fixed_dictionaries({}, optional={name: st.one_of(TEXT, st.lists(TEXT, max_size=3)) for name in fields})

        @hsettings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                   suppress_health_check=list(HealthCheck))
        @given(user=st.sampled_from(USERS), data=values, ident=st.one_of(st.just("T1"), st.text(min_size=1, max_size=30)))
        def post(user: str, data: dict[str, Any], ident: str) -> None:
            nonlocal posted
            url = "".join(quote(ident, safe="") if part.startswith("{") else part
                          for part in _split(path)) or path
            portal.cookies.set("whistle_session", sessions[user])
            if kind == "application/json":
                answer = portal.post(url, content=json.dumps(data), headers={"content-type": "application/json"})
            elif kind == "multipart/form-data":
                answer = portal.post(url, data=data, files={"photos": ("a.jpg", b"\xff\xd8\xff not a photo", "image/jpeg")})
            else:
                answer = portal.post(url, data=data)
            posted += 1
            statuses[answer.status_code] += 1
            if answer.status_code >= 500 and answer.status_code != 503:
                crashes.append(f"POST {url} as {user} {data!r:.300}: {answer.status_code}")

        post()
    _report({"forms": len(all_forms), "posts": posted, "server_errors": len(crashes), "examples_per_form": EXAMPLES,
             "statuses": {str(k): v for k, v in sorted(statuses.items())}, "crashes": crashes[:20]})
    assert posted > 0
    assert crashes == [], "\n".join(crashes[:30])


def _report(figures: dict[str, Any]) -> None:
    """With FUZZ_REPORT (make fuzz), the portal's figures join the API's in bench/results/fuzz-<commit>.json."""
    target = os.environ.get("FUZZ_REPORT")
    if not target:
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    path = Path(target.replace("{commit}", commit))
    document = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"commit": commit}
    document["portal_forms"] = figures
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nportal forms fuzzing: {figures['posts']} posts, {figures['server_errors']} server errors -> {path}")


def _split(path: str) -> list[str]:
    parts, rest = [], path
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        parts += [before, "{" + name + "}"]
    return parts + [rest]


def test_an_id_no_url_can_hold_is_a_not_found_page(portal):
    """Found by the fuzzer: a control character in an id reached httpx, which refused to build the backend's URL (500)."""
    sessions = _sessions(portal)
    portal.cookies.set("whistle_session", sessions["resident1"])
    for path in ("/rewards/%01x/redeem", "/wish-review/%01x/%01x/approve", "/projects/manage/%01x/%01x/cancel"):
        answer = portal.post(path, data={})
        assert answer.status_code != 500 and "系统出了点问题" not in answer.text, (path, answer.status_code)
