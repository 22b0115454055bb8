"""One-time SMS codes: 6 digits kept only as a hash, 5 minutes, 5 tries, one code per minute and 5 an hour per number,
10 an hour per client address (configurable), bound to the number and the purpose. The clock is a variable the tests move; nothing sleeps."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from libs.db import make_engine
from libs.pii import get_vault
from libs.sms import SmsError
from services.portal.otp import (
    ClientLimit,
    CodeExpired,
    CodeMissing,
    CodeWrong,
    OtpPurpose,
    OtpSettings,
    OtpStore,
    PortalOtp,
    SendFailed,
    Throttled,
    TooManyTries,
)
from services.portal.users import UserStore

PHONE = "13800138000"
OTHER = "13900139000"
REGISTER, LOGIN = OtpPurpose.register, OtpPurpose.login


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **span: float) -> None:
        self.now += timedelta(**span)


class Phone:
    """The SMS gateway: keeps what was sent; `fail` makes it refuse."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = False

    def send(self, phone: str, text: str) -> str:
        if self.fail:
            raise SmsError("provider down")
        self.sent.append((phone, text))
        return f"m{len(self.sent)}"

    def code(self, phone: str = PHONE) -> str:
        text = [t for p, t in self.sent if p == phone][-1]
        return re.search(r"验证码是(\d{6})", text).group(1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def phone() -> Phone:
    return Phone()


@pytest.fixture
def otps(tmp_path: Path, clock: Clock, phone: Phone) -> OtpStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    UserStore(engine).migrate()
    return OtpStore(engine, "test-secret", gateway=lambda: phone, clock=clock)


def test_a_code_is_six_digits_in_chinese_and_accepted_once(otps: OtpStore, phone: Phone, clock: Clock) -> None:
    expires = otps.send("+86 138-0013-8000", REGISTER)
    assert expires == clock.now + timedelta(minutes=5)
    [(to, text)] = phone.sent
    code = phone.code()
    assert to == PHONE and re.fullmatch(r"\d{6}", code)
    assert text == f"【居民吹哨】您的注册验证码是{code}，5分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。"
    otps.verify(PHONE, REGISTER, code)
    with pytest.raises(CodeMissing):  # used
        otps.verify(PHONE, REGISTER, code)


def test_only_a_hash_of_the_code_and_of_the_number_is_stored(otps: OtpStore, phone: Phone) -> None:
    otps.send(PHONE, REGISTER)
    with Session(otps.engine) as session:
        [row] = session.exec(select(PortalOtp)).all()
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert phone.code() not in stored and PHONE not in stored
    assert row.phone_hash == get_vault().phone_hash(PHONE)


def test_a_code_expires_after_five_minutes(otps: OtpStore, phone: Phone, clock: Clock) -> None:
    otps.send(PHONE, LOGIN)
    clock.advance(minutes=4, seconds=59)
    otps.verify(PHONE, LOGIN, phone.code())
    clock.advance(minutes=1)
    otps.send(PHONE, LOGIN)
    clock.advance(minutes=5)
    with pytest.raises(CodeExpired) as refused:
        otps.verify(PHONE, LOGIN, phone.code())
    assert refused.value.message == "验证码已过期，请重新获取"


def test_five_wrong_tries_void_the_code_even_the_right_one_after(otps: OtpStore, phone: Phone) -> None:
    otps.send(PHONE, REGISTER)
    right = phone.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeWrong) as refused:
            otps.verify(PHONE, REGISTER, wrong)
        assert refused.value.tries_left == left
        assert refused.value.message == f"验证码不正确，还可以再试 {left} 次"
    with pytest.raises(TooManyTries):
        otps.verify(PHONE, REGISTER, wrong)
    with pytest.raises(TooManyTries) as refused:
        otps.verify(PHONE, REGISTER, right)
    assert refused.value.status_code == 429


def test_parallel_guesses_get_five_tries_between_them(otps: OtpStore, phone: Phone) -> None:
    otps.send(PHONE, REGISTER)
    right = phone.code()
    guesses = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 21)]

    def guess(code: str) -> str:
        try:
            otps.verify(PHONE, REGISTER, code)
        except (CodeWrong, TooManyTries) as exc:
            return type(exc).__name__
        return "accepted"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(guess, guesses))
    assert outcomes.count("CodeWrong") + outcomes.count("TooManyTries") == 20
    with Session(otps.engine) as session:
        assert session.exec(select(PortalOtp.tries)).one() == 5


def test_a_new_code_is_sent_a_minute_after_the_last_and_replaces_it(otps: OtpStore, phone: Phone, clock: Clock) -> None:
    otps.send(PHONE, REGISTER)
    first = phone.code()
    clock.advance(seconds=20)
    with pytest.raises(Throttled) as refused:
        otps.send(PHONE, REGISTER)
    assert (refused.value.retry_after, refused.value.status_code) == (40, 429)
    assert refused.value.message == "获取验证码太频繁，请 40 秒后再试"
    with pytest.raises(Throttled):  # the minute is per number, whatever the purpose
        otps.send(PHONE, LOGIN)
    assert len(phone.sent) == 1
    otps.send(OTHER, REGISTER)  # another number is not held up
    clock.advance(seconds=40)
    otps.send(PHONE, REGISTER)
    second = phone.code()
    if second != first:  # one in a million they are equal
        with pytest.raises(CodeWrong):
            otps.verify(PHONE, REGISTER, first)
    otps.verify(PHONE, REGISTER, second)


def test_at_most_five_codes_an_hour_per_number(otps: OtpStore, phone: Phone, clock: Clock) -> None:
    start = clock.now
    for _ in range(5):
        otps.send(PHONE, LOGIN)
        clock.advance(minutes=2)
    with pytest.raises(Throttled) as refused:
        otps.send(PHONE, LOGIN)
    assert refused.value.retry_after == 50 * 60  # until the first of the five is an hour old
    assert "一小时内获取验证码已达 5 次，请 50 分钟后再试" in refused.value.message
    clock.now = start + timedelta(hours=1, seconds=1)
    otps.send(PHONE, LOGIN)
    assert len(phone.sent) == 6


def test_a_code_is_bound_to_its_number_and_its_purpose(otps: OtpStore, phone: Phone) -> None:
    otps.send(PHONE, REGISTER)
    code = phone.code()
    with pytest.raises(CodeMissing):  # nothing was sent to this number
        otps.verify(OTHER, REGISTER, code)
    with pytest.raises(CodeMissing):  # a sign-up code does not sign in
        otps.verify(PHONE, LOGIN, code)
    otps.send(OTHER, REGISTER)
    if phone.code(OTHER) != code:
        with pytest.raises(CodeWrong):  # someone else's code, typed for one's own number
            otps.verify(OTHER, REGISTER, code)
    otps.verify(PHONE, REGISTER, code)


def test_a_refused_send_records_nothing_and_may_be_retried_at_once(otps: OtpStore, phone: Phone) -> None:
    phone.fail = True
    with pytest.raises(SendFailed) as refused:
        otps.send(PHONE, REGISTER)
    assert refused.value.status_code == 503
    phone.fail = False
    otps.send(PHONE, REGISTER)
    otps.verify(PHONE, REGISTER, phone.code())


def test_neither_the_number_nor_the_code_is_logged(otps: OtpStore, phone: Phone, capsys) -> None:
    otps.send(PHONE, REGISTER)
    with pytest.raises(CodeWrong):
        otps.verify(PHONE, REGISTER, "000000" if phone.code() != "000000" else "111111")
    otps.verify(PHONE, REGISTER, phone.code())
    logged = capsys.readouterr()
    assert "otp_sent" in logged.out + logged.err
    assert PHONE not in logged.out + logged.err and phone.code() not in logged.out + logged.err


def test_codes_older_than_a_day_are_purged(otps: OtpStore, clock: Clock) -> None:
    otps.send(PHONE, REGISTER)
    clock.advance(hours=23)
    assert otps.purge() == 0
    clock.advance(hours=2)
    assert otps.purge() == 1


# ---------------------------------------------------------------------- per client address


def numbers(n: int) -> list[str]:
    return [f"1370000{i:04d}" for i in range(n)]


@pytest.fixture
def few_per_client(tmp_path: Path, clock: Clock, phone: Phone) -> OtpStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    UserStore(engine).migrate()
    return OtpStore(engine, "test-secret", gateway=lambda: phone, clock=clock, per_client=ClientLimit(3, 3600))


def test_one_address_cycling_numbers_gets_ten_codes_an_hour_by_default(otps: OtpStore, phone: Phone, clock: Clock) -> None:
    start = clock.now
    for number in numbers(10):
        otps.send(number, REGISTER, "203.0.113.7")
        clock.advance(minutes=1)
    with pytest.raises(Throttled) as refused:
        otps.send("13700009999", REGISTER, "203.0.113.7")
    assert refused.value.status_code == 429 and refused.value.field == "phone"
    assert refused.value.retry_after == 50 * 60  # until the first of the ten is an hour old
    assert refused.value.message == "本网络获取验证码过于频繁（60 分钟内最多 10 次），请 50 分钟后再试"
    assert len(phone.sent) == 10, "the eleventh number got no text"
    otps.send("13700009999", REGISTER, "198.51.100.1")  # another address is not held up
    clock.now = start + timedelta(hours=1, seconds=1)
    otps.send("13700008888", REGISTER, "203.0.113.7")  # the first code left the window
    assert len(phone.sent) == 12


def test_the_per_address_limit_is_configurable_and_counts_every_purpose(
    few_per_client: OtpStore, phone: Phone, clock: Clock
) -> None:
    a, b, c, d = numbers(4)
    few_per_client.send(a, REGISTER, "2001:db8::1")
    few_per_client.send(b, LOGIN, "2001:db8::1")
    few_per_client.send(c, REGISTER, "2001:db8::1")
    clock.advance(minutes=10)
    with pytest.raises(Throttled) as refused:
        few_per_client.send(d, LOGIN, "2001:db8::1")
    assert refused.value.retry_after == 50 * 60
    few_per_client.send(d, LOGIN)  # no address known (a test or an internal caller): only the number's limits
    assert len(phone.sent) == 4


def test_a_refused_or_failed_send_does_not_count_for_the_address(few_per_client: OtpStore, phone: Phone, clock: Clock) -> None:
    a, b, c = numbers(3)
    few_per_client.send(a, REGISTER, "203.0.113.7")
    with pytest.raises(Throttled):  # the number's minute: not sent, not counted
        few_per_client.send(a, REGISTER, "203.0.113.7")
    phone.fail = True
    with pytest.raises(SendFailed):
        few_per_client.send(b, REGISTER, "203.0.113.7")
    phone.fail = False
    few_per_client.send(b, REGISTER, "203.0.113.7")
    few_per_client.send(c, REGISTER, "203.0.113.7")
    assert len(phone.sent) == 3


def test_the_address_is_stored_only_as_a_keyed_hash(otps: OtpStore) -> None:
    otps.send(PHONE, REGISTER, "203.0.113.7")
    with Session(otps.engine) as session:
        [row] = session.exec(select(PortalOtp)).all()
    assert row.client_hash and "203.0.113.7" not in " ".join(str(v) for v in row.model_dump().values())


@pytest.mark.parametrize(
    ("spec", "limit"), [("10/3600", ClientLimit(10, 3600)), ("20", ClientLimit(20, 3600)), ("off", None), (" ", None)]
)
def test_the_limit_is_read_as_count_per_seconds_or_off(spec: str, limit: ClientLimit | None) -> None:
    assert ClientLimit.parse(spec) == limit


@pytest.mark.parametrize("spec", ["0/3600", "5/0", "5/100000", "many"])
def test_a_bad_limit_is_refused_at_start(spec: str) -> None:
    with pytest.raises(ValueError):
        ClientLimit.parse(spec)


def test_the_settings_read_the_environment_and_trust_only_named_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_OTP_PER_CLIENT", "4/600")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.2")
    settings = OtpSettings()
    assert settings.client_limit() == ClientLimit(4, 600)
    assert settings.client_address("10.0.0.2", "1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert settings.client_address("198.51.100.9", "203.0.113.7") == "198.51.100.9", "anyone else's header is ignored"
    assert OtpSettings(trusted_proxies="").client_address("10.0.0.2", "203.0.113.7") == "10.0.0.2"
