"""Domain errors: a stable code, an HTTP status and a detail, rendered as one JSON shape.

Every error leaving the API looks like ``{"error": code, "detail": ...}``. ``detail`` is a
sentence, or for validation a list of ``{"field": ..., "reason": ...}`` so that a form or a
bulk import can point at the exact field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    reason: str


class ErrorBody(BaseModel):
    error: str
    detail: str | list[FieldError]


class DamanError(Exception):
    code = "error"
    status = 400

    def __init__(self, detail: str | list[FieldError], *, code: str | None = None) -> None:
        self.detail = detail
        if code:
            self.code = code
        super().__init__(
            detail
            if isinstance(detail, str)
            else "; ".join(f"{e.field}: {e.reason}" for e in detail)
        )

    def body(self) -> dict[str, Any]:
        return ErrorBody(error=self.code, detail=self.detail).model_dump()


class NotFound(DamanError):
    code = "not_found"
    status = 404


class Conflict(DamanError):
    code = "conflict"
    status = 409


class ValidationFailed(DamanError):
    """Business validation of a well-formed payload failed; names each field and reason."""

    code = "validation_failed"
    status = 400

    def __init__(self, errors: list[FieldError] | str, *, code: str | None = None) -> None:
        super().__init__(errors, code=code)

    @classmethod
    def one(cls, field: str, reason: str, *, code: str | None = None) -> ValidationFailed:
        return cls([FieldError(field=field, reason=reason)], code=code)


class DatabaseBusy(DamanError):
    """The database could not take the work now (SQLite's write lock held past the busy
    timeout, a PostgreSQL deadlock or serialisation failure): nothing was stored; retry."""

    code = "database_busy"
    status = 503


class ImportFailed(DamanError):
    code = "import_failed"
    status = 400


def error_responses(*errors: type[DamanError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for endpoints, so clients see every error a route can return."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        out[err.status] = {"model": ErrorBody, "description": err.code}
    return out
