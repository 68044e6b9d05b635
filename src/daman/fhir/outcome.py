"""Errors as OperationOutcome, each issue naming the element path (FHIRPath expression).

`FhirError` carries issues; `FhirRoute` is the route class of every FHIR route: whatever
a route or its dependencies raise (a domain error, a refused credential, a malformed
body, a database error) is answered as an OperationOutcome with the HTTP status the REST
API would give, in ``application/fhir+json``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError

from daman.core.db import database_error
from daman.core.errors import DamanError, FieldError
from daman.fhir import codes

log = logging.getLogger("daman.fhir")


class FhirResponse(JSONResponse):
    media_type = codes.MEDIA_TYPE


@dataclass(frozen=True)
class Issue:
    code: str  # an IssueType code
    diagnostics: str
    expression: str | None = None
    severity: str = "error"

    def __post_init__(self) -> None:
        assert self.code in codes.ISSUE_TYPE, self.code
        assert self.severity in codes.ISSUE_SEVERITY, self.severity

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            out["expression"] = [self.expression]
        return out


class FhirError(Exception):
    """An answer that is an OperationOutcome: the issues and the HTTP status."""

    def __init__(self, issues: Sequence[Issue], status: int = 400) -> None:
        self.issues = list(issues)
        self.status = status
        super().__init__("; ".join(f"{i.expression}: {i.diagnostics}" for i in self.issues))

    @classmethod
    def one(cls, code: str, diagnostics: str, expression: str | None = None, status: int = 400):  # type: ignore[no-untyped-def]
        return cls([Issue(code, diagnostics, expression)], status)


def outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.json() for i in issues]}


def answer(issues: Sequence[Issue], status: int) -> FhirResponse:
    return FhirResponse(outcome(issues), status_code=status)


_STATUS_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-long",
    422: "structure",
    423: "lock-error",
    429: "throttled",
    503: "transient",
}

# Where a domain error's field lies in the resource that was sent: a function from the
# field named by the domain (``lines[2].charged_centimes``) to a FHIRPath expression.
PathOf = Callable[[str], str]


def from_domain(exc: DamanError, path_of: PathOf | None = None) -> FhirError:
    """A domain error as an OperationOutcome, its fields translated to element paths."""
    code = _STATUS_CODE.get(exc.status, "processing")
    if exc.status == 409 and exc.code == "idempotency_key_reused":
        code = "duplicate"
    elif exc.status == 409:
        code = "business-rule"
    if isinstance(exc.detail, list):
        issues = [_field_issue(e, code, path_of) for e in exc.detail]
    else:
        issues = [Issue(code, f"{exc.code}: {exc.detail}")]
    return FhirError(issues or [Issue(code, exc.code)], exc.status)


def _field_issue(e: FieldError, code: str, path_of: PathOf | None) -> Issue:
    return Issue(code, e.reason, path_of(e.field) if path_of else e.field)


def _malformed(exc: RequestValidationError) -> FhirError:
    issues = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")]
        issues.append(Issue("structure", str(e["msg"]), ".".join(loc) or None))
    return FhirError(issues, 422)


class FhirRoute(APIRoute):
    """Every error of a FHIR route (dependencies included) answered as an OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except FhirError as exc:
                return answer(exc.issues, exc.status)
            except DamanError as exc:
                found = from_domain(exc)
                headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
                response = answer(found.issues, found.status)
                if headers:
                    response.headers.update(headers)
                return response
            except RequestValidationError as exc:
                found = _malformed(exc)
                return answer(found.issues, found.status)
            except DBAPIError as exc:
                known = database_error(exc)
                if known is None:
                    log.exception("database error", exc_info=exc)
                    return answer([Issue("exception", "unexpected error, logged")], 500)
                response = answer(from_domain(known).issues, known.status)
                if known.status == 503:
                    response.headers["Retry-After"] = "1"
                return response

        return route
