"""The document store: PDF, JPEG or PNG files, kept outside the database by checksum.

The type is read from the bytes (a file named .pdf that is not a PDF is refused), the size
is capped by settings.max_document_bytes. Files live under settings.documents_dir as
``<first two hex digits>/<sha256>``: the same scan attached twice is stored once. A file is
written before the transaction commits; if it rolls back, the file stays unreferenced and
is reused by the next upload of the same bytes (content addressing makes this harmless).

The rows describing the files (``daman.core.db.StoredFile``) belong to their owners:
``claim_documents``, ``preauth_documents``, ``ald_request_documents``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from fastapi import UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.core.errors import NotFound, ValidationFailed

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
ACCEPTED = tuple(kind for _, kind in _SIGNATURES)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_GENERIC = {"", "application/octet-stream", "binary/octet-stream"}
D = TypeVar("D")


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (PDF, JPEG, PNG), or None."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    return None


def download_name(filename: str | None, content_type: str) -> str:
    """The name a document downloads under: the name it was given, with the extension of
    the type its bytes were found to be (``report.html`` holding a PDF: ``report.pdf``)."""
    stem = Path(filename or "document").stem or "document"
    return stem + EXTENSIONS.get(content_type, ".bin")


def download(doc: Any, path: Path) -> FileResponse:
    """A stored document as a download, typed and named from its bytes: the name a person
    gave the file never decides how a browser opens it."""
    return FileResponse(
        path, media_type=doc.content_type, filename=download_name(doc.filename, doc.content_type)
    )


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


def read_upload(file: UploadFile) -> bytes:
    """The uploaded bytes, read up to one byte past the limit (so `check` can refuse)."""
    return file.file.read(get_settings().max_document_bytes + 1)


def attach(
    session: Session,
    documents: list[Any],
    new: Callable[..., D],
    filename: str,
    declared_type: str | None,
    data: bytes,
    actor: str,
) -> tuple[D, bool]:
    """Attach an upload to an owner's ``documents`` (a claim's, a request's relationship),
    making the row with ``new(**columns)`` (the owner's documents table); the row gets its
    owner through the relationship. The same bytes twice return the first row (False)."""
    kind = check(data, declared_type)
    digest = hashlib.sha256(data).hexdigest()
    for doc in documents:
        if doc.sha256 == digest:
            existing: D = doc
            return existing, False
    write_blob(data)
    doc = new(
        filename=Path(filename or "document").name[:255],
        content_type=kind,
        size_bytes=len(data),
        sha256=digest,
        created_by=actor,
        updated_by=actor,
    )
    documents.append(doc)
    session.flush()
    return doc, True


def locate(documents: Sequence[D], document_id: int, owner: str) -> tuple[D, Path]:
    """One of an owner's documents and the path of its bytes, or NotFound (``owner``, as
    the message names it: ``claim F0000000001``)."""
    for doc in documents:
        if getattr(doc, "id", None) == document_id:
            path = path_for(getattr(doc, "sha256", ""))
            if not path.exists():
                raise NotFound(f"the file of document {document_id} is missing from the store")
            return doc, path
    raise NotFound(f"no document {document_id} on {owner}")
