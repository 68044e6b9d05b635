"""Text a person types refuses bidirectional control characters (daman.core.text).

The probe put U+202E (right-to-left override) in a reason: the PDF statement showed the
line reversed. Embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069)
are refused, 400 naming the field, in every person-entered field of claims,
pre-authorisations, exemptions, the review queue and the registry's names; Arabic text and
the implicit marks (RLM, LRM, ALM) are not.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from daman.core.text import BIDI_CONTROLS, SafeText, bidi_control
from tests.claims.support import act, cnss_insured, electronic, provider, recent

API = "/api/v1"
RLO = "\u202e"


def test_every_embedding_override_and_isolate_control_is_found():
    assert [bidi_control(f"ab{c}cd") for c in BIDI_CONTROLS] == [
        "U+202A",
        "U+202B",
        "U+202C",
        "U+202D",
        "U+202E",
        "U+2066",
        "U+2067",
        "U+2068",
        "U+2069",
    ]
    # Arabic, mixed scripts and the implicit marks are ordinary text
    for text in ("يوسف بنعلي", "Pharmacie الأمل 24/24", "\u200fمرحبا\u200e", "x\u061cy", ""):
        assert bidi_control(text) is None

    class Note(BaseModel):
        text: SafeText

    with pytest.raises(ValidationError) as caught:
        Note(text=f"payé {RLO}DAM 00.0001")
    assert caught.value.errors()[0]["type"] == "text_bidi_control"


def _claim(world):
    return electronic(world["patient"], [act(world["doctor"], recent(), 15_000)])


# (method, path, body, field named in the refusal); the body carries RLO in that field.
CASES = [
    ("post", "/claims", "claim_act_code", "lines.0.act_code"),
    ("post", "/claims/F0000000001/approve", {"reason": f"ok {RLO}"}, "reason"),
    ("post", "/review-queue/1/decision", {"action": "reject", "reason": RLO}, "reason"),
    ("post", "/preauthorisations", "preauth_diagnosis", "diagnosis"),
    ("post", "/preauthorisations", "preauth_description", "lines.0.description"),
    (
        "post",
        "/preauthorisations/PA00000001/decision",
        {"action": "refuse", "reason": f"non {RLO}"},
        "reason",
    ),
    ("post", "/preauthorisations/PA00000001/information", {"message": RLO}, "message"),
    ("post", "/preauthorisations/PA00000001/cancel", {"reason": RLO}, "reason"),
    (
        "post",
        "/preauthorisations/PA00000001/invoices",
        {"reference": RLO, "lines": []},
        "reference",
    ),
    ("post", "/ald-exemption-requests", "exemption_evidence", "evidence"),
    (
        "post",
        "/ald-exemption-requests/EX00000001/decision",
        {"action": "refuse", "reason": "\u2067x\u2069"},
        "reason",
    ),
    ("post", "/ald-exemptions/1/renewal", {"evidence": f"still {RLO}"}, "evidence"),
    ("post", "/insured", "insured_last_name", "last_name"),
    ("post", "/employers", {"number": "7700001", "name": f"Atlas {RLO}SARL"}, "name"),
    ("patch", "/employers/7700001", {"city": "\u202bTanger"}, "city"),
]


def body_of(kind, world):
    if not isinstance(kind, str):
        return kind
    claim = _claim(world)
    preauth = {
        "patient": world["patient"].immatriculation,
        "provider_inpe": world["doctor"].inpe,
        "care_kind": "hospitalisation",
        "planned_start": recent().isoformat(),
        "diagnosis": "cholécystectomie",
        "lines": [{"category": "hospitalisation", "act_key": "HOSP_MED", "estimate_centimes": 1}],
    }
    if kind == "claim_act_code":
        claim["lines"][0]["act_code"] = f"K20{RLO}"
        return claim
    if kind == "preauth_diagnosis":
        return {**preauth, "diagnosis": f"{RLO}chirurgie"}
    if kind == "preauth_description":
        preauth["lines"][0]["description"] = f"séjour {RLO}"
        return preauth
    if kind == "exemption_evidence":
        return {
            "patient": world["patient"].immatriculation,
            "ald_code": "ALD09",
            "evidence": f"HbA1c {RLO}9.1 %",
        }
    if kind == "insured_last_name":
        return {
            "cnie": "BK200001",
            "last_name": f"Bennani{RLO}",
            "first_name": "Fatima",
            "birth_date": "1990-01-25",
            "sex": "F",
            "regime": "CNOPS",
        }
    raise AssertionError(kind)


@pytest.fixture
def world(session):
    return {"patient": cnss_insured(session), "doctor": provider(session)}


@pytest.mark.parametrize(("method", "path", "body", "field"), CASES)
def test_a_bidi_control_in_person_text_is_refused_naming_the_field(
    client, world, method, path, body, field
):
    r = getattr(client, method)(API + path, json=body_of(body, world))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "validation_failed"
    assert [e["field"] for e in r.json()["detail"]] == [field]
    assert "bidirectional control character U+" in r.json()["detail"][0]["reason"]


def test_a_bidi_control_and_a_malformed_field_together_are_a_422_naming_both(client, world):
    claim = _claim(world)
    claim["lines"][0]["act_code"] = RLO
    claim["lines"][0]["care_date"] = "yesterday"
    r = client.post(f"{API}/claims", json=claim)
    assert r.status_code == 422 and r.json()["error"] == "malformed_request"
    assert {e["field"] for e in r.json()["detail"]} == {"lines.0.act_code", "lines.0.care_date"}


def test_arabic_names_and_reasons_are_taken(client, world):
    r = client.post(
        f"{API}/employers",
        json={"number": "7700002", "name": "شركة الأطلس\u200f SARL", "city": "طنجة"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "شركة الأطلس\u200f SARL"
    claim = client.post(f"{API}/claims", json=_claim(world)).json()
    r = client.post(
        f"{API}/claims/{claim['number']}/approve", json={"reason": "موافق \u200fbon pour paiement"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["history"][-1]["reason"] == "موافق \u200fbon pour paiement"
