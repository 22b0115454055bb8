"""Signing up and signing in with a mobile number (手机号注册, 短信验证码登录): the checks on what was typed, each with a
Chinese message naming its field, and the account a verified code gives.

A number's account is `resident_id(phone)` (libs/pii), the reporter_id the hotline, SMS and guest filings use, so the
tickets that number filed before are the new account's at once. An unverified account made for a caller (hotline,
`UserStore.ensure_resident`) is claimed by registering: it becomes verified with the name and password chosen."""
from __future__ import annotations

import re

from pydantic import Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from libs.directory import get_directory
from libs.observability import get_logger
from libs.pii import get_vault, mask_phone, normalize_phone
from services.portal.forms import PageForm
from services.portal.otp import CODE_DIGITS, OtpPurpose, OtpStore
from services.portal.users import PortalUser, UserStore, hash_password, is_mobile

log = get_logger(__name__)

NAME_MAX = 20
PASSWORD_MIN, PASSWORD_MAX = 8, 64
CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")


class SignupError(Exception):
    """What was typed cannot be used; `field` is the input the message sits beside."""

    def __init__(self, field: str, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.field, self.message, self.status_code = field, message, status_code


class AlreadyRegistered(SignupError):
    def __init__(self) -> None:
        super().__init__("phone", "该手机号已注册，请直接登录（可用手机号作用户名，或用短信验证码登录）", 409)


class NotRegistered(SignupError):
    def __init__(self) -> None:
        super().__init__("phone", "该手机号还没有注册，请先注册", 404)


# ---------------------------------------------------------------------- forms (generous caps; the checks below name the field)


class PhoneForm(PageForm):
    """获取验证码 (sign-up or sign-in): only the number counts; the rest of the form is kept as typed."""

    phone: str = Field("", max_length=200)
    code: str = Field("", max_length=200)
    display_name: str = Field("", max_length=200)
    community_id: str = Field("", max_length=200)
    next: str = Field("", max_length=500)


class RegisterForm(PhoneForm):
    password: str = Field("", max_length=1000)
    password_confirm: str = Field("", max_length=1000)


# ---------------------------------------------------------------------- checks


def check_phone(phone: str) -> str:
    if not phone.strip():
        raise SignupError("phone", "请填写手机号")
    if not is_mobile(phone):
        raise SignupError("phone", "手机号格式不正确，请填写11位手机号码，如 13800138000")
    return normalize_phone(phone)


def check_code(code: str) -> str:
    code = code.strip()
    if not code:
        raise SignupError("code", "请填写短信验证码")
    if not CODE.fullmatch(code):
        raise SignupError("code", f"验证码是{CODE_DIGITS}位数字，请核对短信后重新填写")
    return code


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise SignupError("display_name", "请填写称呼，如“王阿姨”“李先生”")
    if len(name) > NAME_MAX:
        raise SignupError("display_name", f"称呼最多{NAME_MAX}个字")
    return name


def check_password(password: str, confirm: str) -> str:
    if len(password) < PASSWORD_MIN or len(password) > PASSWORD_MAX:
        raise SignupError("password", f"密码需{PASSWORD_MIN}到{PASSWORD_MAX}位")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)):
        raise SignupError("password", "密码需同时包含字母和数字")
    if password != confirm:
        raise SignupError("password_confirm", "两次输入的密码不一致")
    return password


def check_community(community_id: str) -> str:
    directory = get_directory()
    if not community_id or directory.community(community_id) is None or directory.is_triage(community_id):
        raise SignupError("community_id", "请选择您所在的社区")
    return community_id


# ---------------------------------------------------------------------- use cases


class Accounts:
    """Sign-up and SMS sign-in over the portal's accounts and codes."""

    def __init__(self, users: UserStore, otps: OtpStore) -> None:
        self.users, self.otps = users, otps

    def send_register_code(self, phone: str, client: str | None = None) -> None:
        phone = check_phone(phone)
        found = self.users.by_phone(phone)
        if found is not None and found.verified:
            raise AlreadyRegistered()
        self.otps.send(phone, OtpPurpose.register, client)

    def register(self, form: RegisterForm) -> PortalUser:
        """Everything is checked before the code, so a typo elsewhere does not use the code up."""
        phone = check_phone(form.phone)
        code = check_code(form.code)
        name = check_name(form.display_name)
        password = check_password(form.password, form.password_confirm)
        community_id = check_community(form.community_id)
        found = self.users.by_phone(phone)
        if found is not None and found.verified:
            raise AlreadyRegistered()
        self.otps.verify(phone, OtpPurpose.register, code)
        return self._claim(phone, name, password, community_id)

    def _claim(self, phone: str, name: str, password: str, community_id: str) -> PortalUser:
        """The number's account, new or the unverified one made for a caller, verified with the chosen name and password."""
        vault = get_vault()
        phone_hash = vault.phone_hash(phone)
        try:
            with Session(self.users.engine, expire_on_commit=False) as session:
                user = session.exec(select(PortalUser).where(PortalUser.phone_hash == phone_hash).with_for_update()).first()
                claimed = user is not None
                if user is None:
                    user = PortalUser(
                        username=vault.resident_id(phone), display_name=name, role="resident", password_hash="",
                        phone_hash=phone_hash, phone_masked=mask_phone(phone),
                    )
                elif user.verified:
                    raise AlreadyRegistered()
                user.display_name = name
                user.password_hash = hash_password(password)
                user.community_id = community_id
                user.verified = True
                session.add(user)
                session.commit()
        except IntegrityError as exc:  # registered a moment ago by a parallel request with this number's code
            raise AlreadyRegistered() from exc
        log.info("resident_registered", username=user.username, claimed_caller_account=claimed)
        return user

    def send_login_code(self, phone: str, client: str | None = None) -> None:
        phone = check_phone(phone)
        found = self.users.by_phone(phone)
        if found is None or not found.active:
            raise NotRegistered()
        self.otps.send(phone, OtpPurpose.login, client)

    def login_with_code(self, phone: str, code: str) -> PortalUser:
        """The account the number owns; a caller's unverified account becomes verified (the code proves the number)."""
        phone = check_phone(phone)
        code = check_code(code)
        found = self.users.by_phone(phone)
        if found is None or not found.active:
            raise NotRegistered()
        self.otps.verify(phone, OtpPurpose.login, code)
        if not found.verified:
            with Session(self.users.engine, expire_on_commit=False) as session:
                user = session.get(PortalUser, found.username)
                if user is not None:
                    user.verified = True
                    session.add(user)
                    session.commit()
                    found = user
        return found
