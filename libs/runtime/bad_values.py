"""A value the database cannot store or compare is the caller's mistake, answered 422 — never a 500.

PostgreSQL refuses some values a request can carry past its pydantic model: a NUL character (0x00) in a text, an
integer beyond bigint (an `offset` of 10^20), a number out of a column's range. psycopg raises a DataError (SQLSTATE
class 22, "data exception") before or while running the statement; nothing was written. Found by fuzzing every
OpenAPI (tests/fuzz). The answer names what was wrong in Chinese and English; the log has one warning line.

Likewise a body FastAPI cannot even read (bytes that are not UTF-8 where JSON is expected): FastAPI answers 400
"There was an error parsing the body", documented nowhere and naming nothing; it is answered 422 naming `body`
(found by stateful fuzzing, whose negative cases send such bodies). Every other HTTPException keeps FastAPI's answer."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from libs.observability import get_logger

log = get_logger(__name__)

BAD_VALUE_DETAIL = ("提交的值无法保存：数字超出范围，或文字中含有不可见的控制字符（如 \\x00）。"
                    "A value cannot be stored: a number is out of range or a text holds a NUL character.")
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's own words (fastapi.routing)
UNREADABLE_DETAIL = "body: 请求体无法解析（应为 UTF-8 编码的 JSON）。The body cannot be parsed: UTF-8 JSON expected."


def install_bad_value_handler(app: FastAPI, service: str) -> None:
    async def _bad_value(request: Request, exc: Exception) -> JSONResponse:
        route = request.scope.get("route")
        log.warning("bad_value_refused", service=service, method=request.method, route=getattr(route, "path", None),
                    error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return JSONResponse({"detail": BAD_VALUE_DETAIL}, status_code=422)

    async def _http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 400 and exc.detail == UNREADABLE_BODY:
            route = request.scope.get("route")
            log.warning("unreadable_body_refused", service=service, method=request.method, route=getattr(route, "path", None))
            return JSONResponse({"detail": UNREADABLE_DETAIL}, status_code=422)
        return await http_exception_handler(request, exc)  # type: ignore[arg-type]

    app.add_exception_handler(sa_exc.DataError, _bad_value)
    app.add_exception_handler(HTTPException, _http_error)
