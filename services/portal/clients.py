"""HTTP clients for the backend services (BACKENDS), called with the logged-in user's own token."""
from __future__ import annotations

from typing import Any

import httpx

from libs.observability import get_logger
from libs.settings import Settings

log = get_logger(__name__)

BACKENDS = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify")
BACKEND_NAMES_ZH = {
    "intake": "吹哨受理服务",
    "dispatch": "社区转哨服务",
    "department": "部门办哨服务",
    "feedback": "评价反馈服务",
    "dashboard": "数据大屏服务",
    "wishes": "微心愿服务",
    "notify": "消息通知服务",
}
FIELD_NAMES_ZH = {
    "idempotency_key": "表单标识（请刷新页面后重新填写提交）",
    "kind": "类型",
    "title": "标题",
    "description": "详细描述",
    "category": "问题类别",
    "community_id": "所属社区",
    "grid_id": "网格",
    "address": "地址",
    "contact_phone": "联系电话",
    "contact_name": "联系人",
    "department_id": "承办部门",
    "note": "说明",
    "reason": "理由",
    "amount": "时长",
    "unit": "单位",
    "into_ticket_id": "合并到工单号",
    "holidays": "节假日",
    "workdays": "调休上班日",
    "remove": "撤销的日期",
    "month": "月份",
    "day": "日期",
    "satisfaction": "满意度",
    "solved": "是否解决",
    "reached": "接通情况",
    "comment": "评价留言",
    "evidence": "办结材料",
    "idempotency-key": "提交编号",
    "attachments": "照片",
    "files": "照片",
    "latitude": "纬度",
    "longitude": "经度",
    "lead_department_id": "牵头部门",  # 吹哨报到
    "co_department_ids": "协办部门",
    "reason_text": "补充说明",
    "code": "兑换码",  # 积分兑换
    "points": "所需积分",
    "stock": "库存",
    "name": "名称",
    "place": "地点",  # 服务项目
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "capacity": "名额",
    "hours": "服务时长",
}


class BackendRejected(Exception):
    """The backend said no (4xx): show the person why, in plain words."""

    def __init__(self, service: str, status_code: int, detail: Any) -> None:
        self.service = service
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"{service} answered {status_code}: {detail}")

    @property
    def message(self) -> str:
        return describe_detail(self.detail)


class BackendUnavailable(Exception):
    """The backend did not answer, or failed (5xx): the portal shows a 503 page."""

    def __init__(self, service: str, reason: str) -> None:
        self.service = service
        self.reason = reason
        super().__init__(f"{service} unavailable: {reason}")


def _describe_error(error: dict[str, Any]) -> str:
    """Plain Chinese for the validation errors people actually hit; FastAPI's English otherwise."""
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "missing":
        return "必填"
    if kind == "string_too_short":
        return f"至少 {ctx.get('min_length', '?')} 个字"
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length', '?')} 个字"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind in ("literal_error", "enum"):
        return "取值不正确"
    return str(error.get("msg", ""))


def describe_detail(detail: Any) -> str:
    """FastAPI's detail is a string, or a list of validation errors; make either readable."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for error in detail:
            if not isinstance(error, dict):
                parts.append(str(error))
                continue
            loc = [p for p in error.get("loc", []) if p not in ("body", "header", "query", "path")]
            names = [str(p) for p in loc if not isinstance(p, int)]
            field = FIELD_NAMES_ZH.get(names[-1].lower(), names[-1]) if names else ""
            if field and isinstance(loc[-1], int):
                field += f"第 {loc[-1] + 1} 项"  # e.g. the third date of a list
            msg = _describe_error(error)
            parts.append(f"{field}：{msg}" if field else msg)
        return "；".join(parts)
    return "" if detail is None else str(detail)


def loggable(detail: Any) -> str:
    """A refusal as the log may keep it: validation errors without the `input` that was typed (a phone number, a
    name), at most 300 characters."""
    if isinstance(detail, list):
        detail = [
            {k: v for k, v in error.items() if k in ("type", "loc", "msg")} if isinstance(error, dict) else "?"
            for error in detail
        ]
    return str(detail)[:300]


class Backends:
    """One AsyncClient per backend, opened in the portal's lifespan and closed with it."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 10.0) -> None:
        urls = {
            "intake": settings.intake_url,
            "dispatch": settings.dispatch_url,
            "department": settings.department_url,
            "feedback": settings.feedback_url,
            "dashboard": settings.dashboard_url,
            "wishes": settings.wishes_url,
            "notify": settings.notify_url,
        }
        self.clients = {
            name: httpx.AsyncClient(base_url=url, transport=transport, timeout=timeout) for name, url in urls.items()
        }

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The backend's JSON answer; raises BackendRejected (4xx) or BackendUnavailable (no answer / 5xx). `token`
        None: a public route, called without one (不登录吹哨, 查询进度)."""
        client = self.clients[service]
        auth = {"Authorization": f"Bearer {token}"} if token is not None else {}
        try:
            response = await client.request(method, path, json=json, params=params, headers={**auth, **(headers or {})})
        except httpx.InvalidURL as exc:  # an id with characters no URL holds (typed or forged): nothing has that id
            raise BackendRejected(service, 404, "not found: the id is not a valid one") from exc
        except httpx.HTTPError as exc:
            log.warning("backend_unreachable", backend=service, path=path, error=f"{type(exc).__name__}: {exc}")
            raise BackendUnavailable(service, type(exc).__name__) from exc
        if response.status_code >= 500:
            log.warning("backend_failed", backend=service, path=path, status=response.status_code)
            raise BackendUnavailable(service, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                body = response.json()
                detail = body.get("detail", body) if isinstance(body, dict) else body
            except ValueError:
                detail = response.text
            log.info("backend_rejected", backend=service, path=path, status=response.status_code, detail=loggable(detail))
            raise BackendRejected(service, response.status_code, detail)
        if not response.content:
            return None
        return response.json()
