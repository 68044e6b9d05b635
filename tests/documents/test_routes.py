"""The document routes of claims, pre-authorisations and exemption requests come from one
factory (daman.documents.routes) and answer the same way: a file stored once by checksum,
the same file twice answered 200, a file too large, empty or of another type refused with
the same body, an unknown owner or document 404, someone else's document 404, a download
typed and named from its bytes, and every staff download written to the read log."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal, current_principal
from daman.auth.models import ReadLog, Role
from daman.config import get_settings
from daman.core.dates import today
from daman.preauth.seed import load_requirements
from daman.providers import builders as pb
from tests.claims.support import PDF, PNG, act, cnss_insured, electronic, provider, recent

API = "/api/v1"
_user = count(1)


@dataclass(frozen=True)
class Kind:
    name: str
    path: str  # the owners' collection
    not_found: str  # the error code of an unknown owner
    owner: str  # how the message of a missing document names the owner
    logged_as: str  # what a staff download is in the read log
    providers_read: bool  # whether a provider may read this kind at all


KINDS = [
    Kind("claim", "/claims", "claim_not_found", "claim", "claim_document", True),
    Kind(
        "preauth",
        "/preauthorisations",
        "preauth_not_found",
        "pre-authorisation",
        "preauth_document",
        True,
    ),
    Kind(
        "exemption",
        "/ald-exemption-requests",
        "exemption_request_not_found",
        "request",
        "ald_document",
        False,
    ),
]


@pytest.fixture(params=KINDS, ids=[k.name for k in KINDS])
def kind(request: pytest.FixtureRequest) -> Kind:
    return request.param


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    load_requirements(session)
    return {
        "patient": cnss_insured(session),
        "doctor": provider(session),
        "clinic": pb.provider(session, kind="clinic", sector="private"),
    }


def new_owner(client: TestClient, kind: Kind, world: dict[str, Any]) -> str:
    """A claim, a pre-authorisation request or an exemption request of the patient, sent
    by the fund; its number."""
    patient = world["patient"].immatriculation
    if kind.name == "claim":
        body = electronic(world["patient"], [act(world["doctor"], recent(), 15_000)])
    elif kind.name == "preauth":
        start = today()
        body = {
            "patient": patient,
            "provider_inpe": world["clinic"].inpe,
            "care_kind": "hospitalisation",
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=2)).isoformat(),
            "diagnosis": "cholécystectomie programmée",
            "lines": [
                {
                    "category": "hospitalisation",
                    "act_key": "HOSP_MED",
                    "quantity": 3,
                    "estimate_centimes": 300_000,
                    "description": "séjour en chirurgie",
                }
            ],
        }
    else:
        body = {
            "patient": patient,
            "ald_code": "ALD09",
            "icd10": "E11",
            "evidence": "HbA1c 9.1 % on two measures",
            "doctor_inpe": world["doctor"].inpe,
        }
    r = client.post(f"{API}{kind.path}", json=body)
    assert r.status_code == 201, r.text
    return r.json()["number"]


@pytest.fixture
def number(client: TestClient, kind: Kind, world: dict[str, Any], documents_dir) -> str:
    return new_owner(client, kind, world)


def documents(kind: Kind, number: str) -> str:
    return f"{API}{kind.path}/{number}/documents"


def upload(client: TestClient, url: str, name: str, data: bytes, content_type: str) -> Any:
    return client.post(url, files={"file": (name, data, content_type)})


@contextmanager
def acting_as(client: TestClient, who: Principal) -> Iterator[TestClient]:
    """The client acting as ``who`` (its role rules and scope), then as the fund again."""
    overrides = client.app.dependency_overrides  # type: ignore[attr-defined]
    fund = overrides[current_principal]
    overrides[current_principal] = lambda: who
    try:
        yield client
    finally:
        overrides[current_principal] = fund


def insured(person_id: int) -> Principal:
    return Principal(
        actor=f"insured:i{next(_user)}", role=Role.INSURED, user_id=1, person_id=person_id
    )


def test_a_file_is_stored_once_by_checksum_and_downloads_as_sent(
    client: TestClient, kind: Kind, number: str, documents_dir
):
    r = upload(client, documents(kind, number), "ordonnance.pdf", PDF, "application/pdf")
    assert r.status_code == 201, r.text
    doc = r.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert doc["sha256"] == digest and doc["filename"] == "ordonnance.pdf"
    assert (doc["content_type"], doc["size_bytes"]) == ("application/pdf", len(PDF))
    assert doc["uploaded_by"] == "user:tester"
    assert (documents_dir / digest[:2] / digest).read_bytes() == PDF
    again = upload(client, documents(kind, number), "again.pdf", PDF, "application/pdf")
    assert (again.status_code, again.json()) == (200, doc)
    owner = client.get(f"{API}{kind.path}/{number}").json()
    assert owner["documents"] == [doc]
    got = client.get(f"{documents(kind, number)}/{doc['id']}")
    assert (got.status_code, got.content) == (200, PDF)
    assert got.headers["content-type"] == "application/pdf"


def test_a_file_too_large_or_empty_is_refused_alike(
    client: TestClient, kind: Kind, number: str, documents_dir, monkeypatch
):
    monkeypatch.setattr(get_settings(), "max_document_bytes", 64)
    big = upload(client, documents(kind, number), "big.pdf", PDF + b"0" * 64, "application/pdf")
    assert (big.status_code, big.json()) == (
        400,
        {
            "error": "document_refused",
            "detail": [{"field": "file", "reason": "larger than the limit of 64 bytes"}],
        },
    )
    empty = upload(client, documents(kind, number), "empty.pdf", b"", "application/pdf")
    assert (empty.status_code, empty.json()) == (
        400,
        {"error": "document_refused", "detail": [{"field": "file", "reason": "the file is empty"}]},
    )
    assert not documents_dir.exists() or not any(documents_dir.rglob("*"))
    assert client.get(f"{API}{kind.path}/{number}").json()["documents"] == []


def test_a_file_of_another_type_is_refused_alike(
    client: TestClient, kind: Kind, number: str, documents_dir
):
    url = documents(kind, number)
    r = upload(client, url, "virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    assert (r.status_code, r.json()) == (
        400,
        {
            "error": "document_refused",
            "detail": [{"field": "file", "reason": "only PDF, JPEG or PNG documents are accepted"}],
        },
    )
    assert not documents_dir.exists() or not any(documents_dir.rglob("*"))
    declared = upload(client, url, "photo.jpg", PNG, "image/jpeg")
    assert (declared.status_code, declared.json()["detail"]) == (
        400,
        [{"field": "content_type", "reason": "declared image/jpeg but the file is image/png"}],
    )
    generic = upload(client, url, "photo", PNG, "application/octet-stream")
    assert generic.status_code == 201 and generic.json()["content_type"] == "image/png"


def test_an_unknown_owner_or_document_is_not_found(
    client: TestClient, kind: Kind, number: str, documents_dir
):
    unknown = documents(kind, "ZZ0000000000")
    up = upload(client, unknown, "a.pdf", PDF, "application/pdf")
    assert (up.status_code, up.json()["error"]) == (404, kind.not_found)
    down = client.get(f"{unknown}/1")
    assert (down.status_code, down.json()["error"]) == (404, kind.not_found)
    missing = client.get(f"{documents(kind, number)}/999999")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "not_found", "detail": f"no document 999999 on {kind.owner} {number}"},
    )


def test_a_download_is_typed_and_named_from_its_bytes(
    client: TestClient, kind: Kind, number: str, documents_dir
):
    """A PDF sent as `rapport.html` downloads as `rapport.pdf`, typed PDF, never as HTML a
    browser would open; the name as given stays on record."""
    url = documents(kind, number)
    doc = upload(client, url, "rapport.html", PDF, "application/octet-stream").json()
    assert (doc["filename"], doc["content_type"]) == ("rapport.html", "application/pdf")
    got = client.get(f"{url}/{doc['id']}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert 'filename="rapport.pdf"' in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    png = upload(client, url, "scan", PNG, "image/png").json()
    named = client.get(f"{url}/{png['id']}").headers
    assert 'filename="scan.png"' in named["content-disposition"]
    assert named["content-type"] == "image/png"


def test_someone_else_s_document_is_not_found(
    client: TestClient, session: Session, kind: Kind, number: str, world: dict[str, Any]
):
    """The patient's family downloads it; an insured person of another family, and a
    provider with nothing to do with it, get 404 as for a document that does not exist
    (an exemption request is never a provider's business: 403 by role)."""
    url = documents(kind, number)
    doc = upload(client, url, "bilan.pdf", PDF, "application/pdf").json()
    with acting_as(client, insured(world["patient"].id)):
        assert client.get(f"{url}/{doc['id']}").status_code == 200
    stranger = cnss_insured(session)
    with acting_as(client, insured(stranger.id)):
        r = client.get(f"{url}/{doc['id']}")
        assert (r.status_code, r.json()["error"]) == (404, kind.not_found)
    other = pb.provider(session, kind="clinic", sector="private")
    outsider = Principal(actor="provider:other", role=Role.PROVIDER, provider_id=other.id)
    with acting_as(client, outsider):
        r = client.get(f"{url}/{doc['id']}")
        if kind.providers_read:
            assert (r.status_code, r.json()["error"]) == (404, kind.not_found)
        else:
            assert r.status_code == 403


def test_a_staff_download_is_written_to_the_read_log(
    client: TestClient, session: Session, kind: Kind, number: str, world: dict[str, Any]
):
    url = documents(kind, number)
    doc = upload(client, url, "bilan.pdf", PDF, "application/pdf").json()
    key = f"{number}/{doc['id']}"

    def logged() -> list[tuple[str, str, str]]:
        rows = session.scalars(select(ReadLog).where(ReadLog.key == key).order_by(ReadLog.id))
        return [(x.actor, x.role, x.what) for x in rows]

    controller = Principal(actor="controller:nadia", role=Role.CONTROLLER, user_id=1)
    with acting_as(client, controller):
        assert client.get(f"{url}/{doc['id']}").status_code == 200
    assert logged() == [("controller:nadia", "controller", kind.logged_as)]
    # the patient's family reading their own document is not "staff reading"
    with acting_as(client, insured(world["patient"].id)):
        assert client.get(f"{url}/{doc['id']}").status_code == 200
    assert len(logged()) == 1


def test_the_three_kinds_have_the_same_operations(client: TestClient):
    """Built by one factory: the same parameters, body and answers (409 where the owner
    closes: a pre-authorisation or an exemption request already answered); only the names,
    descriptions and tags differ."""
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    named = ("operationId", "summary", "description", "tags")
    uploads, downloads = {}, {}
    for kind in KINDS:
        up = paths[f"{API}{kind.path}/{{number}}/documents"]["post"]
        down = paths[f"{API}{kind.path}/{{number}}/documents/{{document_id}}"]["get"]
        uploads[kind.name] = (
            [p["name"] for p in up["parameters"]],
            sorted(up["requestBody"]["content"]),
            sorted(up["responses"]),
        )
        downloads[kind.name] = {k: v for k, v in down.items() if k not in named}
    assert uploads["claim"] == (
        ["number"],
        ["multipart/form-data"],
        ["200", "201", "400", "404", "422"],
    )
    closes = (["number"], ["multipart/form-data"], ["200", "201", "400", "404", "409", "422"])
    assert uploads["preauth"] == uploads["exemption"] == closes
    assert [p["name"] for p in downloads["claim"]["parameters"]] == ["number", "document_id"]
    assert sorted(downloads["claim"]["responses"]) == ["200", "404", "422"]
    assert downloads["claim"] == downloads["preauth"] == downloads["exemption"]
