"""Documents attached to claims: PDF, JPEG or PNG, stored outside the database by checksum.

The type is read from the bytes (a file named .pdf that is not a PDF is refused), the size
is capped by settings.max_document_bytes. Files live under settings.documents_dir as
``<first two hex digits>/<sha256>``: the same scan attached twice is stored once. A file is
written before the transaction commits; if it rolls back, the file stays unreferenced and
is reused by the next upload of the same bytes (content addressing makes this harmless).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.claims.models import Claim, ClaimDocument
from daman.config import get_settings
from daman.core.errors import NotFound, ValidationFailed

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
ACCEPTED = tuple(kind for _, kind in _SIGNATURES)
_GENERIC = {"", "application/octet-stream", "binary/octet-stream"}


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (PDF, JPEG, PNG), or None."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    return None


def documents_root() -> Path:
    return get_settings().documents_dir


def path_for(sha256: str, root: Path | None = None) -> Path:
    return (root or documents_root()) / sha256[:2] / sha256


def write_blob(data: bytes, root: Path | None = None) -> str:
    """Store the bytes under their sha256 (atomically, once) and return the checksum."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest, root)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def check(data: bytes, declared_type: str | None) -> str:
    """The sniffed content type of an upload, or ValidationFailed naming why it is refused."""
    limit = get_settings().max_document_bytes
    if not data:
        raise ValidationFailed.one("file", "the file is empty", code="document_refused")
    if len(data) > limit:
        raise ValidationFailed.one(
            "file", f"larger than the limit of {limit} bytes", code="document_refused"
        )
    kind = sniff(data)
    if kind is None:
        raise ValidationFailed.one(
            "file", "only PDF, JPEG or PNG documents are accepted", code="document_refused"
        )
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in _GENERIC and declared != kind:
        raise ValidationFailed.one(
            "content_type",
            f"declared {declared} but the file is {kind}",
            code="document_refused",
        )
    return kind


def attach(
    session: Session,
    claim: Claim,
    filename: str,
    declared_type: str | None,
    data: bytes,
    actor: str,
) -> tuple[ClaimDocument, bool]:
    """Attach a document to a claim; the same bytes twice return the first row (False)."""
    kind = check(data, declared_type)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalars(
        select(ClaimDocument).where(
            ClaimDocument.claim_id == claim.id, ClaimDocument.sha256 == digest
        )
    ).first()
    if existing is not None:
        return existing, False
    write_blob(data)
    doc = ClaimDocument(
        claim_id=claim.id,
        filename=Path(filename or "document").name[:255],
        content_type=kind,
        size_bytes=len(data),
        sha256=digest,
        created_by=actor,
        updated_by=actor,
    )
    claim.documents.append(doc)
    session.flush()
    return doc, True


def open_document(session: Session, claim: Claim, document_id: int) -> tuple[ClaimDocument, Path]:
    doc = session.get(ClaimDocument, document_id)
    if doc is None or doc.claim_id != claim.id:
        raise NotFound(f"no document {document_id} on claim {claim.number}")
    path = path_for(doc.sha256)
    if not path.exists():
        raise NotFound(f"the file of document {document_id} is missing from the store")
    return doc, path
