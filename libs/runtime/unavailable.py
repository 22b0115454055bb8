"""A database (or broker) outage is answered with 503 + Retry-After and a Chinese message, never a 500.

While PostgreSQL is down or restarting, every request that needs it fails with a connection error. That is not a bug
of the service and not the client's fault: the answer is `503 Service Unavailable` with `Retry-After` (seconds) and
`{"detail": "服务暂时不可用…"}`, logged as one warning line (`service_unavailable`), not as an unhandled exception.
Any other database error (an integrity error, a bad query) is still a bug and stays a 500.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from libs.messaging.consumer import is_infrastructure_error
from libs.observability import get_logger

log = get_logger(__name__)

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DETAIL = "服务暂时不可用（数据库连接中断），请稍后重试。Service temporarily unavailable: please retry shortly."


def unavailable_response() -> JSONResponse:
    return JSONResponse({"detail": UNAVAILABLE_DETAIL}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def is_outage(exc: BaseException) -> bool:
    """A failure of the database connection (refused, lost, pool exhausted, server shutting down)."""
    return isinstance(exc, sa_exc.TimeoutError) or (isinstance(exc, sa_exc.DBAPIError) and is_infrastructure_error(exc))


def install_unavailable_handler(app: FastAPI, service: str) -> None:
    """Map database outages to 503 (see the module doc); other database errors go on to the 500 handler."""

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not is_outage(exc):
            raise exc
        route = request.scope.get("route")
        log.warning("service_unavailable", service=service, method=request.method, route=getattr(route, "path", None),
                    error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return unavailable_response()

    app.add_exception_handler(sa_exc.DBAPIError, _unavailable)
    app.add_exception_handler(sa_exc.TimeoutError, _unavailable)
