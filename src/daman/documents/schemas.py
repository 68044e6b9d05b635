"""API shape of a stored document (in a claim, a pre-authorisation, an exemption request,
and the answer to an upload)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel

from daman.core.dates import aware

if TYPE_CHECKING:
    from daman.auth.access import Principal

Instant = Annotated[datetime, AfterValidator(aware)]


class DocumentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: Instant
    uploaded_by: str

    @classmethod
    def seen_by(cls, doc: Any, who: Principal | None) -> DocumentOut:
        """A document row as ``who`` may see it: the uploader shown by role only to insured
        persons and providers when it was not they (Principal.shown)."""
        return cls(
            id=doc.id,
            filename=doc.filename,
            content_type=doc.content_type,
            size_bytes=doc.size_bytes,
            sha256=doc.sha256,
            uploaded_at=doc.created_at,
            uploaded_by=who.shown(doc.created_by) if who is not None else doc.created_by,
        )
