"""手机号注册 and the two phone logins (password with the number as the username, 短信验证码) through the pages, with the
SMS gateway and the clock replaced; and the scope rules: nobody takes over a verified number, nobody signs in with a
code texted to another number."""
from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from test_portal_pages import FakeBackends, fake, intake_ticket, settings  # noqa: F401  (fixtures are used by name)
from test_portal_otp import Clock, Phone

from libs.auth import decode_token
from libs.pii import get_vault
from services.portal.app import create_app
from services.portal.otp import OtpStore
from services.portal.views import SESSION_COOKIE

NUMBER = "13812345678"
NEIGHBOUR = "13987654321"
PASSWORD = "Sunny2026"


class Portal:
    def __init__(self, client: TestClient, phone: Phone, clock: Clock) -> None:
        self.client, self.phone, self.clock = client, phone, clock

    @property
    def users(self):  # noqa: ANN201
        return self.client.app.state.users

    def get_code(self, number: str = NUMBER, route: str = "/register/code", **form: str) -> httpx.Response:
        return self.client.post(route, data={"phone": number, **form})

    def register(self, number: str = NUMBER, code: str | None = None, **overrides: str) -> httpx.Response:
        form = {
            "phone": number, "code": code if code is not None else self.phone.code(number), "display_name": "王阿姨",
            "password": PASSWORD, "password_confirm": PASSWORD, "community_id": "xinran", **overrides,
        }
        return self.client.post("/register", data=form, follow_redirects=False)

    def sign_up(self, number: str = NUMBER, **overrides: str) -> httpx.Response:
        assert self.get_code(number).status_code == 200
        self.clock.advance(minutes=2)  # the next code for this number may be sent
        return self.register(number, **overrides)

    def session(self, response: httpx.Response) -> dict:
        assert response.status_code == 303, response.text
        return decode_token(response.cookies[SESSION_COOKIE]).model_dump()

    def log_out(self) -> None:
        self.client.cookies.clear()


@pytest.fixture
def portal(settings, fake: FakeBackends) -> Iterator[Portal]:  # noqa: F811
    app = create_app(settings, transport=httpx.MockTransport(fake.handle))
    phone, clock = Phone(), Clock()
    with PortalClient(app) as client:
        app.state.otps = OtpStore(app.state.users.engine, "test-secret", gateway=lambda: phone, clock=clock)
        yield Portal(client, phone, clock)


# ---------------------------------------------------------------------- 手机号注册


def test_the_register_page_asks_for_number_code_name_password_and_community(portal: Portal) -> None:
    page = portal.client.get("/register")
    assert page.status_code == 200
    for text in ("手机号注册", "手机号", "短信验证码", "获取验证码", "称呼", "设置密码", "确认密码", "所在社区", "馨然嘉园社区", "注册并登录"):
        assert text in page.text, text
    assert 'formaction="/register/code"' in page.text
    assert "手机号注册" in portal.client.get("/login").text and "/login/sms" in portal.client.get("/login").text


def test_registering_makes_the_numbers_resident_account_and_logs_in(portal: Portal) -> None:
    sent = portal.get_code(" 138-1234-5678 ", display_name="王阿姨")
    assert sent.status_code == 200
    assert "验证码已发送至 138****5678，5 分钟内有效" in sent.text
    assert 'value="王阿姨"' in sent.text  # what was typed stays
    [(to, text)] = portal.phone.sent
    assert to == NUMBER and "注册验证码" in text
    claims = portal.session(portal.register())
    assert claims["sub"] == get_vault().resident_id(NUMBER)
    assert (claims["role"], claims["name"], claims["community_id"]) == ("resident", "王阿姨", "xinran")
    user = portal.users.get(claims["sub"])
    assert (user.verified, user.phone_masked, user.phone_hash) == (True, "138****5678", get_vault().phone_hash(NUMBER))
    assert portal.register().status_code == 409  # not twice


def test_after_registering_the_resident_lands_on_my_tickets_with_a_welcome(portal: Portal, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/mine", httpx.Response(200, json=[intake_ticket(title="楼道灯坏了")]))
    landed = portal.sign_up()
    assert landed.headers["location"] == "/mine?ok=registered"
    page = portal.client.get(landed.headers["location"])
    assert "注册成功" in page.text and "楼道灯坏了" in page.text
    [mine] = fake.sent("intake", "GET", "/tickets/mine")
    assert decode_token(mine.headers["authorization"].split()[1]).sub == get_vault().resident_id(NUMBER)


def test_registering_claims_the_unverified_account_made_for_a_caller(portal: Portal) -> None:
    caller = portal.users.ensure_resident(NUMBER, display_name="来电居民", community_id="shiliuqiao")
    assert not caller.verified
    claims = portal.session(portal.sign_up(display_name="王阿姨", community_id="xinran"))
    assert claims["sub"] == caller.username
    user = portal.users.get(caller.username)
    assert (user.verified, user.display_name, user.community_id) == (True, "王阿姨", "xinran")
    portal.log_out()
    assert portal.session(portal.client.post("/login", data={"username": NUMBER, "password": PASSWORD}, follow_redirects=False))


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"phone": "1381234"}, "手机号格式不正确"),
        ({"phone": "abc"}, "手机号格式不正确"),
        ({"code": "12ab"}, "验证码是6位数字"),
        ({"code": ""}, "请填写短信验证码"),
        ({"display_name": "  "}, "请填写称呼"),
        ({"display_name": "王" * 21}, "称呼最多20个字"),
        ({"password": "short1", "password_confirm": "short1"}, "密码需8到64位"),
        ({"password": "onlyletters", "password_confirm": "onlyletters"}, "密码需同时包含字母和数字"),
        ({"password_confirm": "Sunny2027"}, "两次输入的密码不一致"),
        ({"community_id": ""}, "请选择您所在的社区"),
        ({"community_id": "atlantis"}, "请选择您所在的社区"),
    ],
)
def test_a_bad_field_is_named_in_chinese_and_the_code_stays_usable(portal: Portal, overrides, field_message) -> None:
    assert portal.get_code().status_code == 200
    refused = portal.register(**overrides)
    assert refused.status_code == 422
    assert field_message in refused.text and 'aria-invalid="true"' in refused.text
    assert PASSWORD not in refused.text  # a password is never shown again
    assert portal.session(portal.register())  # the code was not used up by the refusal


def test_a_wrong_an_expired_and_a_missing_code_are_each_explained(portal: Portal) -> None:
    missing = portal.register(code="123456")
    assert (missing.status_code, "请先获取验证码" in missing.text) == (422, True)
    portal.get_code()
    right = portal.phone.code(NUMBER)
    wrong = portal.register(code=f"{(int(right) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 422 and "验证码不正确，还可以再试 4 次" in wrong.text
    portal.clock.advance(minutes=5)
    expired = portal.register(code=right)
    assert expired.status_code == 422 and "验证码已过期，请重新获取" in expired.text
    assert portal.users.by_phone(NUMBER) is None


def test_five_wrong_codes_void_it(portal: Portal) -> None:
    portal.get_code()
    right = portal.phone.code(NUMBER)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = [portal.register(code=wrong).status_code for _ in range(5)]
    assert answers == [422, 422, 422, 422, 429]
    void = portal.register(code=right)
    assert void.status_code == 429 and "验证码输错次数过多，已失效，请重新获取" in void.text
    assert portal.users.by_phone(NUMBER) is None


def test_asking_again_too_soon_is_429_with_retry_after_in_chinese(portal: Portal) -> None:
    assert portal.get_code().status_code == 200
    portal.clock.advance(seconds=15)
    again = portal.get_code()
    assert again.status_code == 429
    assert again.headers["retry-after"] == "45"
    assert "获取验证码太频繁，请 45 秒后再试" in again.text
    assert len(portal.phone.sent) == 1


def test_one_address_cycling_numbers_is_stopped_with_429_and_retry_after(portal: Portal) -> None:
    """The per-address limit (default 10 an hour) over the pages: sign-up and sign-in codes count together."""
    for i in range(5):  # five numbers sign up (a code each) and then ask for a sign-in code: ten texts
        number = f"1360000{i:04d}"
        assert portal.sign_up(number).status_code == 303
        portal.log_out()
        assert portal.get_code(number, "/login/sms/code").status_code == 200
    assert len(portal.phone.sent) == 10
    refused = portal.get_code("13600009999")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "本网络获取验证码过于频繁（60 分钟内最多 10 次）" in refused.text
    assert len(portal.phone.sent) == 10
    behind_proxy = portal.client.post("/register/code", data={"phone": "13600009999"}, headers={"X-Forwarded-For": "1.2.3.4"})
    assert behind_proxy.status_code == 429, "a forwarded-for header from an untrusted peer changes nothing"


def test_a_code_for_a_bad_number_sends_nothing(portal: Portal) -> None:
    refused = portal.get_code("12345")
    assert refused.status_code == 422 and "手机号格式不正确" in refused.text
    assert portal.phone.sent == []


def test_a_gateway_failure_is_503_in_chinese(portal: Portal) -> None:
    portal.phone.fail = True
    refused = portal.get_code()
    assert refused.status_code == 503 and "短信发送失败，请稍后再试" in refused.text


# ---------------------------------------------------------------------- the two phone logins


def test_a_resident_logs_in_with_the_number_as_username_and_the_password(portal: Portal) -> None:
    portal.sign_up()
    portal.log_out()
    claims = portal.session(portal.client.post(
        "/login", data={"username": "+86 138 1234 5678", "password": PASSWORD}, follow_redirects=False,
    ))
    assert claims["sub"] == get_vault().resident_id(NUMBER)
    wrong = portal.client.post("/login", data={"username": NUMBER, "password": "Sunny2027"}, follow_redirects=False)
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text


def test_a_resident_logs_in_with_a_code_texted_to_the_number(portal: Portal) -> None:
    portal.sign_up()
    portal.log_out()
    portal.clock.advance(minutes=2)
    page = portal.client.get("/login/sms?next=/mine")
    assert page.status_code == 200 and "短信验证码登录" in page.text
    sent = portal.get_code(route="/login/sms/code", next="/mine")
    assert sent.status_code == 200 and "验证码已发送至 138****5678" in sent.text
    assert "登录验证码" in portal.phone.sent[-1][1]
    answer = portal.client.post(
        "/login/sms", data={"phone": NUMBER, "code": portal.phone.code(NUMBER), "next": "/mine"}, follow_redirects=False
    )
    assert portal.session(answer)["sub"] == get_vault().resident_id(NUMBER)
    assert answer.headers["location"] == "/mine"


def test_a_caller_signs_in_by_code_and_is_then_verified(portal: Portal) -> None:
    caller = portal.users.ensure_resident(NUMBER)
    portal.get_code(route="/login/sms/code")
    answer = portal.client.post("/login/sms", data={"phone": NUMBER, "code": portal.phone.code(NUMBER)}, follow_redirects=False)
    assert portal.session(answer)["sub"] == caller.username
    assert portal.users.get(caller.username).verified


def test_an_unregistered_number_gets_no_login_code(portal: Portal) -> None:
    refused = portal.get_code(route="/login/sms/code")
    assert refused.status_code == 404 and "该手机号还没有注册，请先注册" in refused.text
    assert portal.phone.sent == []
    bad = portal.client.post("/login/sms", data={"phone": NUMBER, "code": "123456"})
    assert bad.status_code == 404


def test_a_wrong_login_code_is_refused_without_a_session(portal: Portal) -> None:
    portal.sign_up()
    portal.log_out()
    portal.clock.advance(minutes=2)
    portal.get_code(route="/login/sms/code")
    code = portal.phone.code(NUMBER)
    refused = portal.client.post(
        "/login/sms", data={"phone": NUMBER, "code": f"{(int(code) + 1) % 1_000_000:06d}"}, follow_redirects=False
    )
    assert refused.status_code == 422 and "验证码不正确" in refused.text
    assert SESSION_COOKIE not in refused.cookies


# ---------------------------------------------------------------------- scope: another resident


def test_another_resident_cannot_take_over_a_verified_number(portal: Portal) -> None:
    owner = portal.session(portal.sign_up())
    portal.log_out()
    portal.clock.advance(minutes=2)
    # asking for a sign-up code for a verified number: refused, nothing texted
    refused = portal.get_code()
    assert refused.status_code == 409 and "该手机号已注册" in refused.text
    assert len(portal.phone.sent) == 1
    # and a sign-up with a code for the neighbour's own number, posted with the owner's number, is refused too
    portal.get_code(NEIGHBOUR)
    takeover = portal.register(NUMBER, code=portal.phone.code(NEIGHBOUR), display_name="冒名者", password="Stolen2026",
                               password_confirm="Stolen2026")
    assert takeover.status_code == 409
    kept = portal.users.get(owner["sub"])
    assert kept.display_name == "王阿姨"
    assert portal.users.authenticate(NUMBER, "Stolen2026") is None
    assert portal.users.authenticate(NUMBER, PASSWORD) is not None


def test_nobody_logs_in_with_a_code_texted_to_another_number(portal: Portal) -> None:
    portal.sign_up(NUMBER)
    portal.log_out()
    portal.sign_up(NEIGHBOUR, display_name="李先生")
    portal.log_out()
    portal.clock.advance(minutes=2)
    portal.get_code(NEIGHBOUR, route="/login/sms/code")  # the neighbour's code, seen by the owner of NUMBER...
    neighbours_code = portal.phone.code(NEIGHBOUR)
    as_self = portal.client.post("/login/sms", data={"phone": NUMBER, "code": neighbours_code}, follow_redirects=False)
    assert as_self.status_code == 422 and SESSION_COOKIE not in as_self.cookies  # nothing was texted to NUMBER
    portal.get_code(NUMBER, route="/login/sms/code")
    if portal.phone.code(NUMBER) != neighbours_code:
        mine = portal.client.post("/login/sms", data={"phone": NUMBER, "code": neighbours_code}, follow_redirects=False)
        assert mine.status_code == 422 and SESSION_COOKIE not in mine.cookies
    # and the neighbour's code still opens only the neighbour's account
    theirs = portal.client.post("/login/sms", data={"phone": NEIGHBOUR, "code": neighbours_code}, follow_redirects=False)
    assert portal.session(theirs)["sub"] == get_vault().resident_id(NEIGHBOUR)


def test_a_logged_in_person_opening_register_goes_home(portal: Portal) -> None:
    portal.sign_up()
    assert portal.client.get("/register", follow_redirects=False).headers["location"] == "/mine"
    assert portal.client.get("/login/sms", follow_redirects=False).headers["location"] == "/mine"


def test_neither_number_nor_code_reaches_the_log(portal: Portal, capsys) -> None:
    portal.sign_up()
    portal.log_out()
    portal.client.post("/login", data={"username": NUMBER, "password": "wrong-one1"})
    portal.clock.advance(minutes=2)
    portal.get_code(route="/login/sms/code")
    portal.client.post("/login/sms", data={"phone": NUMBER, "code": portal.phone.code(NUMBER)})
    logged = capsys.readouterr()
    text = logged.out + logged.err
    assert "otp_sent" in text and "login_failed" in text
    assert NUMBER not in text
    for _, message in portal.phone.sent:
        assert re.search(r"验证码是(\d{6})", message).group(1) not in text


def test_the_clock_is_the_one_the_codes_follow(portal: Portal) -> None:
    """Guard for the fixture itself: the app's codes expire on the test's clock, not the wall's."""
    portal.get_code()
    portal.clock.advance(minutes=4)
    assert portal.session(portal.register())
