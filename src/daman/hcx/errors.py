"""The protocol's errors: a code from its list and the HTTP status of the synchronous
answer, rendered as ``{"timestamp", "api_call_id", "correlation_id", "error": {code,
message, trace}}``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from daman.core.dates import now
from daman.core.errors import DamanError


class ProtocolError(Exception):
    def __init__(
        self, code: str, message: str, status: int = 400, header: dict[str, Any] | None = None
    ) -> None:
        self.code, self.message, self.status = code, message, status
        self.header = header or {}
        super().__init__(f"{code}: {message}")


def error_body(code: str, message: str, header: dict[str, Any] | None = None) -> dict[str, Any]:
    header = header or {}
    body: dict[str, Any] = {
        "timestamp": now().isoformat(),
        "error": {"code": code, "message": message, "trace": ""},
    }
    for name in ("api_call_id", "correlation_id"):
        value = header.get(f"x-hcx-{name}")
        if isinstance(value, str):
            body[name] = value
    return body


_BY_STATUS = {401: "ERR_ACCESS_DENIED", 403: "ERR_ACCESS_DENIED", 503: "ERR_SERVICE_UNAVAILABLE"}


class HcxRoute(APIRoute):
    """Every error of an HCX route answered in the protocol's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ProtocolError as exc:
                body = error_body(exc.code, exc.message, exc.header)
                return JSONResponse(body, status_code=exc.status)
            except DamanError as exc:
                code = _BY_STATUS.get(exc.status, "ERR_INVALID_PAYLOAD")
                return JSONResponse(error_body(code, str(exc)), status_code=exc.status)
            except RequestValidationError as exc:
                message = "; ".join(str(e["msg"]) for e in exc.errors())
                return JSONResponse(error_body("ERR_INVALID_PAYLOAD", message), status_code=400)

        return route
