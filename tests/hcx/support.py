"""A partner's side of the exchange for the tests: its key pair, its calls, and the HCX
specification's example Bundle shapes with Daman's identifiers."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from jwcrypto import jwk

from daman.core.dates import now
from daman.fhir import codes
from daman.hcx import jwe
from daman.hcx.service import DAMAN_CODE

PARTNER_KEY = jwk.JWK.generate(kty="RSA", size=2048, kid="partner-1")


def public_jwk() -> dict[str, Any]:
    return json.loads(PARTNER_KEY.export_public())


def call(
    resource: dict[str, Any], sender: str, fund_key: jwk.JWK, **headers: Any
) -> tuple[str, str]:
    """A payload encrypted to the fund, and its api_call_id."""
    api_call_id = str(uuid.uuid4())
    protected = {
        "x-hcx-sender_code": sender,
        "x-hcx-recipient_code": DAMAN_CODE,
        "x-hcx-api_call_id": api_call_id,
        "x-hcx-correlation_id": str(uuid.uuid4()),
        "x-hcx-timestamp": now().isoformat(),
        **headers,
    }
    return jwe.encrypt(json.dumps(resource).encode(), protected, fund_key), api_call_id


def opened(answer: dict[str, Any]) -> dict[str, Any]:
    """The resource of a callback, decrypted with the partner's key."""
    return json.loads(jwe.decrypt(answer["payload"], PARTNER_KEY))


def entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a callback's document after its Composition, once the document is
    checked to be shaped as the specification's: type document with an identifier and a
    timestamp, a final Composition first, authored by the fund, one section naming each
    entry that follows by its fullUrl."""
    assert document["resourceType"] == "Bundle" and document["type"] == "document"
    assert document["identifier"]["value"] and document["timestamp"]
    first, *rest = document["entry"]
    composition = first["resource"]
    assert composition["resourceType"] == "Composition" and composition["status"] == "final"
    assert composition["type"]["coding"][0]["system"] == "https://hcx.org/document-types"
    assert composition["author"][0]["reference"].startswith("Organization/")
    named = [s["entry"][0]["reference"] for s in composition["section"]]
    assert named == [e["fullUrl"] for e in rest]
    return list(rest)


def eligibility_bundle(patient: dict[str, Any], on: date) -> dict[str, Any]:
    """A CoverageEligibilityRequest document Bundle in the shape of the HCX specification's
    example (Composition, provider Organization, Patient, request, insurer, Coverage)."""
    request_id = str(uuid.uuid4())
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "document",
        "timestamp": now().isoformat(),
        "entry": [
            {
                "fullUrl": "Composition/c1",
                "resource": {
                    "resourceType": "Composition",
                    "id": "c1",
                    "status": "final",
                    "type": {
                        "coding": [
                            {
                                "system": "https://www.hcx.org/document-type",
                                "code": "HcxCoverageEligibilityRequest",
                            }
                        ]
                    },
                    "subject": {"reference": "Patient/p1"},
                    "date": now().isoformat(),
                    "author": [{"reference": "Organization/o1"}],
                    "title": "Coverage Eligibility Request",
                    "section": [
                        {
                            "title": "# Eligibility Request",
                            "entry": [{"reference": f"CoverageEligibilityRequest/{request_id}"}],
                        }
                    ],
                },
            },
            {
                "fullUrl": "Organization/o1",
                "resource": {"resourceType": "Organization", "id": "o1", "name": "Pharmacie"},
            },
            {
                "fullUrl": "Patient/p1",
                "resource": {"resourceType": "Patient", "id": "p1", **patient},
            },
            {
                "fullUrl": f"CoverageEligibilityRequest/{request_id}",
                "resource": {
                    "resourceType": "CoverageEligibilityRequest",
                    "id": request_id,
                    "status": "active",
                    "purpose": ["validation"],
                    "patient": {"reference": "Patient/p1"},
                    "servicedPeriod": {"start": on.isoformat(), "end": on.isoformat()},
                    "created": now().isoformat(),
                    "provider": {"reference": "Organization/o1"},
                    "insurer": {"reference": "Organization/fund"},
                    "insurance": [{"focal": True, "coverage": {"reference": "Coverage/cv1"}}],
                },
            },
            {
                "fullUrl": "Coverage/cv1",
                "resource": {
                    "resourceType": "Coverage",
                    "id": "cv1",
                    "status": "active",
                    "beneficiary": {"reference": "Patient/p1"},
                    "payor": [{"reference": "Organization/fund"}],
                },
            },
        ],
    }


def daman_patient(immatriculation: str) -> dict[str, Any]:
    return {"identifier": [{"system": codes.IMMATRICULATION, "value": immatriculation}]}


# The HCX example's own beneficiary: an identifier of a system Daman does not know.
FOREIGN_PATIENT = {
    "identifier": [
        {
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SN"}
                ]
            },
            "system": "http://gicofIndia.com/beneficiaries",
            "value": "BEN-101",
        }
    ],
    "name": [{"text": "Hina Patel"}],
    "gender": "female",
}
