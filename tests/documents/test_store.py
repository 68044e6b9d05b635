"""The document store: PDF, JPEG, PNG only (read from the bytes), size capped, kept once
by checksum, downloaded under a name that follows the type found."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.config import get_settings
from daman.core.errors import ValidationFailed
from daman.documents.schemas import DocumentOut
from daman.documents.store import check, download_name, path_for, sniff, write_blob
from tests.claims.support import PDF, PNG


def test_sniff_reads_the_bytes():
    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert sniff(b"GIF89a") is None
    assert sniff(b"") is None


def refusal(data: bytes, declared: str | None) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        check(data, declared)
    assert caught.value.code == "document_refused"
    return caught.value.body()["detail"]


def test_check_types_from_the_bytes_and_refuses_naming_the_field(monkeypatch):
    assert check(PNG, "image/png; charset=binary") == "image/png"
    assert check(PNG, "application/octet-stream") == "image/png"  # a generic type is fine
    assert check(PDF, None) == "application/pdf"
    assert refusal(b"MZ\x90\x00", "application/pdf") == [
        {"field": "file", "reason": "only PDF, JPEG or PNG documents are accepted"}
    ]
    assert refusal(PNG, "image/jpeg") == [
        {"field": "content_type", "reason": "declared image/jpeg but the file is image/png"}
    ]
    assert refusal(b"", "application/pdf") == [{"field": "file", "reason": "the file is empty"}]
    monkeypatch.setattr(get_settings(), "max_document_bytes", 64)
    assert refusal(PDF + b"0" * 64, "application/pdf") == [
        {"field": "file", "reason": "larger than the limit of 64 bytes"}
    ]


def test_the_same_bytes_are_kept_once_under_their_checksum(tmp_path):
    digest = hashlib.sha256(PDF).hexdigest()
    assert write_blob(PDF, tmp_path) == write_blob(PDF, tmp_path) == digest
    assert path_for(digest, tmp_path) == tmp_path / digest[:2] / digest
    assert path_for(digest, tmp_path).read_bytes() == PDF
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]  # no leftovers


def test_the_download_name_follows_the_type_found():
    assert download_name("rapport.html", "application/pdf") == "rapport.pdf"
    assert download_name("scan", "image/png") == "scan.png"
    assert download_name("photo.png", "image/jpeg") == "photo.jpg"
    assert download_name("", "application/pdf") == "document.pdf"
    assert download_name(None, "text/plain") == "document.bin"


def test_a_document_shows_staff_uploaders_by_role_to_insured_and_providers():
    at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    row = SimpleNamespace(
        id=7,
        filename="bilan.pdf",
        content_type="application/pdf",
        size_bytes=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        created_at=at,
        created_by="agent:amina",
    )
    insured = Principal(actor="insured:youssef", role=Role.INSURED, person_id=1)
    agent = Principal(actor="agent:karim", role=Role.AGENT, user_id=2)
    assert DocumentOut.seen_by(row, insured).uploaded_by == "agent"
    assert DocumentOut.seen_by(row, agent).uploaded_by == "agent:amina"
    assert DocumentOut.seen_by(row, None).model_dump() == {
        "id": 7,
        "filename": "bilan.pdf",
        "content_type": "application/pdf",
        "size_bytes": len(PDF),
        "sha256": row.sha256,
        "uploaded_at": at,
        "uploaded_by": "agent:amina",
    }
