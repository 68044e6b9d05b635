"""Documents: PDF, JPEG, PNG only (read from the bytes), size capped, stored by checksum."""

from __future__ import annotations

import hashlib

import pytest

from daman.claims.documents import sniff
from daman.config import get_settings
from tests.claims.support import PDF, PNG, act, cnss_insured, electronic, provider, recent


@pytest.fixture
def number(client, session):
    payload = electronic(cnss_insured(session), [act(provider(session), recent(), 15_000)])
    return client.post("/api/v1/claims", json=payload).json()["number"]


def upload(client, number, name, data, content_type):
    return client.post(
        f"/api/v1/claims/{number}/documents",
        files={"file": (name, data, content_type)},
        headers={"X-Daman-Actor": "agent-3"},
    )


def test_sniff_reads_the_bytes():
    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert sniff(b"GIF89a") is None
    assert sniff(b"") is None


def test_pdf_is_stored_with_its_checksum(client, number, documents_dir):
    r = upload(client, number, "ordonnance.pdf", PDF, "application/pdf")
    assert r.status_code == 201, r.text
    doc = r.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert doc["sha256"] == digest
    assert (doc["content_type"], doc["size_bytes"]) == ("application/pdf", len(PDF))
    assert doc["uploaded_by"] == "user:agent-3"
    stored = documents_dir / digest[:2] / digest
    assert stored.read_bytes() == PDF
    claim = client.get(f"/api/v1/claims/{number}").json()
    assert [d["sha256"] for d in claim["documents"]] == [digest]
    download = client.get(f"/api/v1/claims/{number}/documents/{doc['id']}")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"


def test_the_same_file_twice_is_kept_once(client, number, documents_dir):
    first = upload(client, number, "scan.png", PNG, "image/png")
    again = upload(client, number, "scan-again.png", PNG, "image/png")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(client.get(f"/api/v1/claims/{number}").json()["documents"]) == 1


def test_a_file_that_is_not_pdf_jpeg_png_is_refused(client, number, documents_dir):
    r = upload(client, number, "virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    assert r.status_code == 400
    assert r.json() == {
        "error": "document_refused",
        "detail": [{"field": "file", "reason": "only PDF, JPEG or PNG documents are accepted"}],
    }
    assert not documents_dir.exists() or not any(documents_dir.rglob("*"))


def test_declared_type_must_match_the_bytes(client, number, documents_dir):
    r = upload(client, number, "photo.jpg", PNG, "image/jpeg")
    assert r.status_code == 400
    assert r.json()["detail"] == [
        {"field": "content_type", "reason": "declared image/jpeg but the file is image/png"}
    ]
    generic = upload(client, number, "photo", PNG, "application/octet-stream")
    assert generic.status_code == 201
    assert generic.json()["content_type"] == "image/png"


def test_size_limit_and_empty_file(client, number, documents_dir, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_document_bytes", 64)
    big = upload(client, number, "big.pdf", PDF + b"0" * 64, "application/pdf")
    assert big.status_code == 400
    assert big.json()["detail"][0] == {
        "field": "file",
        "reason": "larger than the limit of 64 bytes",
    }
    empty = upload(client, number, "empty.pdf", b"", "application/pdf")
    assert empty.status_code == 400
    assert empty.json()["detail"][0]["reason"] == "the file is empty"


def test_upload_to_an_unknown_claim_is_404(client, documents_dir):
    assert upload(client, "F0000000000", "a.pdf", PDF, "application/pdf").status_code == 404


def test_a_download_is_named_from_the_bytes_not_from_the_name_given(client, number, documents_dir):
    """A PDF polyglot sent as `rapport.html` downloads as `rapport.pdf`, typed PDF, never as
    HTML a browser would open; the name as given stays on record."""
    r = upload(client, number, "rapport.html", PDF, "application/octet-stream")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["filename"], doc["content_type"]) == ("rapport.html", "application/pdf")
    got = client.get(f"/api/v1/claims/{number}/documents/{doc['id']}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert 'filename="rapport.pdf"' in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    png = upload(client, number, "scan", PNG, "image/png").json()
    named = client.get(f"/api/v1/claims/{number}/documents/{png['id']}").headers
    assert 'filename="scan.png"' in named["content-disposition"]
