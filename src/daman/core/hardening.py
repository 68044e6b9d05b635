"""HTTP hardening: security headers on every response, and a cap on request bodies.

Both are plain ASGI middleware (no per-request objects beyond a header list), so they cost
nothing measurable on the real-time path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages are served from this origin only: no inline script, no framing by other sites.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive API documentation (Swagger UI, ReDoc): scripts served by the app itself
# (pinned copies, no CDN), started by a small inline script.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
DOCS = ("/docs", "/redoc")
# The pharmacy's counter reads barcodes with the phone's camera: this site's own pages
# under these paths may ask for it; every other page, and every other site, may not.
CAMERA_PAGES = ("/care/",)
NO_DEVICES = b"camera=(), microphone=(), geolocation=()"
OWN_CAMERA = b"camera=(self), microphone=(), geolocation=()"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = [
            (b"content-security-policy", (DOCS_CSP if path.startswith(DOCS) else CSP).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", OWN_CAMERA if path.startswith(CAMERA_PAGES) else NO_DEVICES),
        ]
        if path.startswith("/api/") or not path.startswith(("/static/", *DOCS)):
            extra.append((b"cache-control", b"no-store"))  # personal data: never cached
        if self.https:
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """A streamed body passed the limit while something read it."""


class BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413: at once when Content-Length says
    so, else as soon as the streamed (chunked) body passes the limit.

    Past the limit, reading the body raises BodyTooLarge. Read by a route, it reaches the
    app's handler of HTTP errors (413); read by middleware outside that handler (RefuseNul
    reads JSON bodies whole), it comes back here, and the 413 is answered from here.
    """

    def __init__(self, app: ASGIApp, *, limit: int, wider: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        # paths (by prefix) whose forms carry several documents at once, and their limit
        self.wider = dict(wider or {})

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.wider.items() if path.startswith(prefix)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    body = {
                        "error": "malformed_request",
                        "detail": "Content-Length is not a number",
                    }
                    await _answer(send, 400, body)
                    return
                if declared > limit:
                    await _answer(send, 413, self._refusal(limit))
                    return
        received = 0
        answered = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(status_code=413, detail=self._reason(limit))
            return message

        async def watched(message: Message) -> None:
            nonlocal answered
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if answered:  # too late to answer: let the server close the connection
                raise
            await _answer(send, 413, self._refusal(limit))

    def _reason(self, limit: int) -> str:
        return f"the request body is over {limit:,} bytes"

    def _refusal(self, limit: int) -> dict[str, str]:
        return {"error": "request_too_large", "detail": self._reason(limit)}


async def _answer(send: Send, status: int, content: Mapping[str, object]) -> None:
    """Answer from the middleware itself, before the app, in the app's error shape."""
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RefuseNul:
    """Refuse a NUL character in the path, the query or a JSON body with 422, naming where.

    No text Daman stores may hold one (PostgreSQL refuses it in text columns), and none is
    ever meaningful in a name, a code or a reason; refusing it at the door is one rule
    instead of a failure deep in whichever query first meets it. JSON bodies are read whole
    here (they are small, and capped by BodyLimit) and handed on unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope["path"]:
            await _malformed(send, "path", "contains a NUL character")
            return
        if b"%00" in query or b"\x00" in query:
            await _malformed(send, "query", "contains a NUL character")
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"\\u0000" in body:
            await _malformed(send, "body", "contains a NUL character (\\u0000)")
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _malformed(send: Send, field: str, reason: str) -> None:
    detail = [{"field": field, "reason": reason}]
    await _answer(send, 422, {"error": "malformed_request", "detail": detail})
