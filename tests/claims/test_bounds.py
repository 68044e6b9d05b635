"""Amounts, quantities and coefficients are bounded before any arithmetic.

The probe sent `charged_centimes: 2**62` (accepted, after which `/statistics/claims` failed
with 500 for everyone), `2**63`, `1e40` and a coefficient of `1e999999` (500 at once).
Now an absurd number is a 422 naming the field, the fund's limits per line and per claim
(effective-dated policy: 10,000,000 MAD a line, 20,000,000 MAD a claim by default) a 400
naming the field, in the claims API, the pre-authorisation API and `daman claims import`;
never a 500.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from daman.claims.importer import import_claims
from daman.core.dates import today
from daman.preauth.seed import load_requirements
from daman.reference.models import AdjudicationPolicy
from tests.claims.support import act, cnss_insured, electronic, paper, provider, recent

API = "/api/v1"
ABSURD = [
    ("charged_centimes", "4611686018427387904"),  # 2**62
    ("charged_centimes", "9223372036854775808"),  # 2**63
    ("charged_centimes", "-9223372036854775809"),
    ("charged_centimes", "1e40"),
    ("charged_centimes", "1e999999"),  # a float overflowing to infinity
    ("quantity", "9223372036854775808"),
    ("coefficient", "1e999999"),
    ("coefficient", '"1e999999"'),
    ("coefficient", '"1E-999999"'),
    ("coefficient", '"NaN"'),
    ("coefficient", "1e40"),
]


@pytest.fixture
def w(session):
    return {"patient": cnss_insured(session), "doctor": provider(session)}


def with_raw(payload: dict, placeholder: str, literal: str) -> str:
    """The payload as JSON text with a number written exactly as an attacker would."""
    return json.dumps(payload).replace(f'"{placeholder}"', literal)


def send(client, url: str, body: str):
    return client.post(url, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize(("field", "literal"), ABSURD)
def test_absurd_numbers_in_a_claim_are_refused_naming_the_field(client, w, field, literal):
    line = act(w["doctor"], recent(), 15_000, key="K", **{field: "@"})
    r = send(client, f"{API}/claims", with_raw(electronic(w["patient"], [line]), "@", literal))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "malformed_request"
    assert [e["field"] for e in r.json()["detail"]] == [f"lines.0.{field}"]
    day = today().isoformat()
    figures = client.get(f"{API}/statistics/claims?from={day}&to={day}")
    assert figures.status_code == 200, figures.text


def test_a_number_of_five_thousand_digits_is_refused_not_a_500(client, w):
    line = act(w["doctor"], recent(), "@")
    r = send(client, f"{API}/claims", with_raw(electronic(w["patient"], [line]), "@", "9" * 5000))
    assert r.status_code in (400, 422), r.text


def test_the_policy_limits_an_amount_per_line_and_per_claim(client, session, w):
    over = act(w["doctor"], recent(), 1_000_000_001)  # 10,000,000.01 MAD
    r = client.post(f"{API}/claims", json=electronic(w["patient"], [over]))
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == [
        {
            "field": "lines[0].charged_centimes",
            "reason": "at most 10000000.00 MAD for one line (the fund's limit)",
        }
    ]
    big = [act(w["doctor"], recent(), 900_000_000, key=k) for k in ("C", "Cs", "V")]
    r = client.post(f"{API}/claims", json=electronic(w["patient"], big))
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == [
        {
            "field": "lines",
            "reason": "charged 27000000.00 MAD in all, above the fund's limit of "
            "20000000.00 MAD for one claim",
        }
    ]
    # the limits are effective-dated policy: a stricter version from a day applies to
    # claims deposited from that day
    session.add(
        AdjudicationPolicy(
            valid_from=today() - timedelta(days=1),
            filing_deadline_days=60,
            late_policy="reject",
            late_penalty_bp=500,
            review_threshold_centimes=500_000,
            max_line_quantity=99,
            document_categories="",
            max_line_charged_centimes=5_000_000,
            max_claim_charged_centimes=8_000_000,
            source="test",
        )
    )
    session.flush()
    two = [act(w["doctor"], recent(), 4_500_000, key=k) for k in ("C", "Cs")]
    r = client.post(f"{API}/claims", json=electronic(w["patient"], two))
    assert r.json()["detail"][0]["field"] == "lines", r.text
    earlier = paper(w["patient"], two, deposit=today() - timedelta(days=2))
    assert client.post(f"{API}/claims", json=earlier).status_code == 201


def test_a_day_tariff_times_the_largest_coefficient_is_stored_not_a_500(client, w):
    """HOSP_REA (2,500 MAD a day) x 9999.999 is a reference of about 25 million MAD a unit,
    beyond a 32-bit amount column: the engine keeps the reference within the fund's
    largest amount, which changes no base (the charged amount is always below it)."""
    stay = act(
        w["doctor"],
        recent(),
        10_000,
        key="HOSP_REA",
        category="hospitalisation",
        coefficient="9999.999",
    )
    r = client.post(f"{API}/claims", json=electronic(w["patient"], [stay]))
    assert r.status_code == 201, r.text
    decision = r.json()["lines"][0]["decision"]
    assert decision["base_centimes"] == 10_000
    assert decision["reference_centimes"] == 2_000_000_000


# -- pre-authorisations -------------------------------------------------------------------


def planned(patient, clinic, estimate: object = 300_000) -> dict:
    return {
        "patient": patient.immatriculation,
        "provider_inpe": clinic.inpe,
        "care_kind": "hospitalisation",
        "planned_start": today().isoformat(),
        "lines": [
            {
                "category": "hospitalisation",
                "act_key": "HOSP_MED",
                "quantity": 3,
                "estimate_centimes": estimate,
            }
        ],
    }


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        ("estimate_centimes", "9223372036854775808"),
        ("estimate_centimes", "1e40"),
        ("quantity", "4611686018427387904"),
        ("coefficient", '"1e999999"'),
    ],
)
def test_absurd_numbers_in_a_preauthorisation_are_refused(client, session, w, field, literal):
    clinic = provider(session, kind="clinic")
    payload = planned(w["patient"], clinic)
    payload["lines"][0][field] = "@"
    r = send(client, f"{API}/preauthorisations", with_raw(payload, "@", literal))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["detail"]] == [f"lines.0.{field}"]


def test_preauthorisation_estimates_decisions_and_invoices_are_bounded(client, session, w):
    load_requirements(session)
    clinic = provider(session, kind="clinic")
    r = client.post(f"{API}/preauthorisations", json=planned(w["patient"], clinic, 1_000_000_001))
    assert r.status_code == 400
    assert r.json()["detail"][0]["field"] == "lines[0].estimate_centimes"
    r = client.post(f"{API}/preauthorisations", json=planned(w["patient"], clinic))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    url = f"{API}/preauthorisations/{number}/decision"
    decision = {"action": "agree_partly", "valid_to": today().isoformat(), "lines": []}
    for item, field in (
        ('{"line_no": 9223372036854775808, "quantity": 1}', "line_no"),
        ('{"line_no": 1, "quantity": 1e40}', "quantity"),
        ('{"line_no": 1, "quantity": 1, "base_centimes": 4611686018427387904}', "base_centimes"),
    ):
        body = json.dumps(decision).replace('"lines": []', f'"lines": [{item}]')
        r = send(client, url, body)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["detail"]] == [f"lines.0.{field}"]
    r = client.post(url, json={"action": "agree", "valid_to": today().isoformat()})
    assert r.status_code == 200, r.text
    line = {
        "category": "hospitalisation",
        "care_date": today().isoformat(),
        "act_key": "HOSP_MED",
        "quantity": 3,
        "charged_centimes": "@",
    }
    body = with_raw({"reference": "FAC-1", "lines": [line]}, "@", "9223372036854775808")
    r = send(client, f"{API}/preauthorisations/{number}/invoices", body)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["detail"]] == ["lines.0.charged_centimes"]
    line["charged_centimes"] = 1_000_000_001
    r = client.post(f"{API}/preauthorisations/{number}/invoices", json={"lines": [line]})
    assert r.status_code == 400, r.text
    assert r.json()["detail"][0]["field"] == "lines[0].charged_centimes"


# -- daman claims import ------------------------------------------------------------------


def test_the_import_reports_absurd_numbers_by_line_and_field(session, tmp_path, w):
    care = date(2024, 5, 6)
    good = paper(w["patient"], [act(w["doctor"], care, 15_000)], deposit=date(2024, 5, 20))
    del good["channel"]  # the import's own
    rows = [json.dumps({**good, "reference": "ok-1"})]
    for n, (field, literal) in enumerate(
        [
            ("charged_centimes", "9223372036854775808"),
            ("charged_centimes", "1e40"),
            ("quantity", "4611686018427387904"),
            ("coefficient", '"1e999999"'),
            ("charged_centimes", "1000000001"),
        ]
    ):
        line = {**act(w["doctor"], care, 15_000, key="K"), field: "@"}
        row = {**good, "lines": [line], "reference": f"bad-{n}"}
        rows.append(with_raw(row, "@", literal))
    rows.append('{"patient": ' + "9" * 5000 + "}")
    path = tmp_path / "agency.jsonl"
    path.write_text("\n".join(rows) + "\n")
    report = import_claims(session, path, "cli:test")
    assert report.loaded == 1, report.errors
    assert [(e.line, e.field) for e in report.errors] == [
        (2, "lines[0].charged_centimes"),
        (3, "lines[0].charged_centimes"),
        (4, "lines[0].quantity"),
        (5, "lines[0].coefficient"),
        (6, "lines[0].charged_centimes"),
        (7, "line"),
    ]
    assert "10000000.00 MAD" in report.errors[4].reason
