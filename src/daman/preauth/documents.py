"""Documents of a pre-authorisation request: the claims' document store (type read from
the bytes, size capped, content-addressed files), attached to the request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from daman.claims import documents as store
from daman.preauth.errors import PreauthNotOpen
from daman.preauth.models import OPEN, PreauthDocument, PreauthRequest


def attach(
    session: Session,
    row: PreauthRequest,
    filename: str,
    declared_type: str | None,
    data: bytes,
    actor: str,
) -> tuple[PreauthDocument, bool]:
    """Attach a document to an open request; the same bytes twice return the first row."""
    if row.status not in OPEN:
        raise PreauthNotOpen(f"pre-authorisation {row.number} is {row.status}: no more documents")

    def new(**columns: Any) -> PreauthDocument:
        return PreauthDocument(request_id=row.id, **columns)

    return store.attach_to(session, row.documents, new, filename, declared_type, data, actor)


def open_document(row: PreauthRequest, document_id: int) -> tuple[PreauthDocument, Path]:
    return store.find(row.documents, document_id, f"pre-authorisation {row.number}")
