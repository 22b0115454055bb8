"""A value the database cannot store or compare is the caller's mistake, answered 422 — never a 500.

PostgreSQL refuses some values a request can carry past its pydantic model: a NUL character (0x00) in a text, an
integer beyond bigint (an `offset` of 10^20), a number out of a column's range. psycopg raises a DataError (SQLSTATE
class 22, "data exception") before or while running the statement; nothing was written. Found by fuzzing every
OpenAPI (tests/fuzz). The answer names what was wrong in Chinese and English; the log has one warning line."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from libs.observability import get_logger

log = get_logger(__name__)

BAD_VALUE_DETAIL = ("提交的值无法保存：数字超出范围，或文字中含有不可见的控制字符（如 \\x00）。"
                    "A value cannot be stored: a number is out of range or a text holds a NUL character.")


def install_bad_value_handler(app: FastAPI, service: str) -> None:
    async def _bad_value(request: Request, exc: Exception) -> JSONResponse:
        route = request.scope.get("route")
        log.warning("bad_value_refused", service=service, method=request.method, route=getattr(route, "path", None),
                    error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return JSONResponse({"detail": BAD_VALUE_DETAIL}, status_code=422)

    app.add_exception_handler(sa_exc.DataError, _bad_value)
