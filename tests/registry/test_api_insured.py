"""POST/GET/PATCH /insured, search, and the errors of bad input, field by field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from daman.core.dates import today
from daman.core.identifiers import immatriculation_problem
from daman.registry import builders as b
from daman.registry.models import Person

API = "/api/v1"
RIB = b.valid_rib(123)


def insured(**changes):
    body = {
        "cnie": "BE123456",
        "last_name": "Alaoui",
        "first_name": "Amina",
        "last_name_ar": "العلوي",
        "first_name_ar": "أمينة",
        "birth_date": "1985-04-12",
        "sex": "F",
        "regime": "CNOPS",
        "mutual_code": "MGPAP",
        "valid_from": "2020-01-01",
        "rib": RIB,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def fields(response):
    return {e["field"]: e["reason"] for e in response.json()["detail"]}


@pytest.fixture(autouse=True)
def reference(session):
    b.ensure_reference(session)


def test_register_principal(client, session):
    r = client.post(f"{API}/insured", json=insured(), headers={"X-Daman-Actor": "agent7"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert immatriculation_problem(body["immatriculation"]) is None
    assert (body["regime_code"], body["rib"], body["first_name_ar"]) == ("CNOPS", RIB, "أمينة")
    assert body["affiliations"][0]["mutual_code"] == "MGPAP"
    row = session.get(Person, body["id"])
    assert (row.created_by, row.updated_by) == ("user:agent7", "user:agent7")
    got = client.get(f"{API}/insured/{body['immatriculation']}")
    assert got.status_code == 200 and got.json() == body


def test_register_cnss_worker_with_employer(client, session):
    employer = b.employer(session)
    r = client.post(
        f"{API}/insured",
        json=insured(regime="CNSS_SAL", mutual_code=None, employer_number=employer.number),
    )
    assert r.status_code == 201, r.text
    assert r.json()["affiliations"][0]["employer_number"] == employer.number


def test_cnie_is_normalised(client):
    r = client.post(f"{API}/insured", json=insured(cnie=" be 123456 "))
    assert r.json()["cnie"] == "BE123456"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"rib": RIB[:22] + f"{(int(RIB[22:]) + 1) % 100:02d}"}, "rib", f"expected {RIB[22:]}"),
        ({"rib": "12345"}, "rib", "24 digits"),
        ({"regime": "PRIVATE_X"}, "regime", "unknown regime"),
        ({"mutual_code": "NOPE"}, "mutual_code", "unknown mutual"),
        ({"mutual_code": None}, "mutual_code", "required for CNOPS"),
        ({"regime": "CNSS_SAL", "mutual_code": None}, "employer_number", "required for CNSS_SAL"),
        (
            {"regime": "CNSS_SAL", "mutual_code": None, "employer_number": "999"},
            "employer_number",
            "unknown employer",
        ),
        ({"regime": "TADAMON", "mutual_code": None}, "rsu_score", "required for TADAMON"),
        (
            {"regime": "TADAMON", "mutual_code": None, "rsu_score": "9.3264285"},
            "rsu_score",
            "above the TADAMON threshold 9.3264284",
        ),
        ({"regime": "TADAMON", "mutual_code": None, "rsu_score": "abc"}, "rsu_score", "decimal"),
        ({"cnie": "123"}, "cnie", "letters"),
        ({"valid_from": "1980-01-01"}, "valid_from", "before the birth date"),
    ],
)
def test_bad_input_names_the_field(client, changes, field, words):
    r = client.post(f"{API}/insured", json=insured(**changes))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "validation_failed"
    assert words in fields(r)[field]


def test_birth_date_in_the_future(client):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    r = client.post(f"{API}/insured", json=insured(birth_date=tomorrow, valid_from=tomorrow))
    assert r.status_code == 400
    assert "in the future" in fields(r)["birth_date"]


def test_every_problem_is_reported_at_once(client):
    r = client.post(f"{API}/insured", json=insured(cnie="1", rib="1", mutual_code="X"))
    assert set(fields(r)) == {"cnie", "rib", "mutual_code"}


def test_duplicate_cnie(client):
    assert client.post(f"{API}/insured", json=insured()).status_code == 201
    r = client.post(f"{API}/insured", json=insured(first_name="Autre"))
    assert r.status_code == 409
    assert r.json()["error"] == "duplicate_cnie"
    assert "BE123456" in fields(r)["cnie"]


def test_malformed_payload_is_422(client):
    r = client.post(f"{API}/insured", json=insured(sex="X", birth_date="12/04/1985"))
    assert r.status_code == 422
    assert {"sex", "birth_date"} <= set(fields(r))


def test_unknown_person(client):
    r = client.get(f"{API}/insured/DM0000000000")
    assert r.status_code == 404
    assert r.json()["error"] == "person_not_found"


def test_patch_person(client, session):
    imm = client.post(f"{API}/insured", json=insured()).json()["immatriculation"]
    r = client.patch(
        f"{API}/insured/{imm}",
        json={"phone": "0612345678", "last_name_ar": "العلوي الإدريسي"},
        headers={"X-Daman-Actor": "desk2"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["phone"], r.json()["last_name_ar"]) == ("0612345678", "العلوي الإدريسي")
    assert session.get(Person, r.json()["id"]).updated_by == "user:desk2"
    bad = client.patch(f"{API}/insured/{imm}", json={"rib": RIB[:-2] + "00", "last_name": None})
    assert bad.status_code == 400
    assert set(fields(bad)) == {"rib", "last_name"}


def test_patch_cnie_to_a_taken_one(client, session):
    other = b.person(session, cnie="ZZ999")
    imm = client.post(f"{API}/insured", json=insured()).json()["immatriculation"]
    r = client.patch(f"{API}/insured/{imm}", json={"cnie": other.cnie})
    assert (r.status_code, r.json()["error"]) == (409, "duplicate_cnie")


def test_search_and_pagination(client, session):
    for i, (last, first, ar, regime) in enumerate(
        [
            ("Tazi", "Omar", "التازي", "CNOPS"),
            ("Tazi", "Salma", "التازي", "TNS"),
            ("Tazi", "Hind", "التازي", "CNOPS"),
            ("Idrissi", "Omar", "الإدريسي", "CNOPS"),
        ]
    ):
        b.insured(
            session,
            regime=regime,
            last_name=last,
            first_name=first,
            last_name_ar=ar,
            cnie=f"QA{i}",
        )
    page = client.get(f"{API}/insured", params={"q": "tazi", "limit": 2, "offset": 0}).json()
    assert (page["total"], len(page["items"])) == (3, 2)
    assert [p["first_name"] for p in page["items"]] == ["Hind", "Omar"]
    rest = client.get(f"{API}/insured", params={"q": "tazi", "limit": 2, "offset": 2}).json()
    assert [p["first_name"] for p in rest["items"]] == ["Salma"]
    assert client.get(f"{API}/insured", params={"q": "omar tazi"}).json()["total"] == 1
    assert client.get(f"{API}/insured", params={"q": "التازي"}).json()["total"] == 3
    by_cnie = client.get(f"{API}/insured", params={"q": "qa3"}).json()
    assert [p["last_name"] for p in by_cnie["items"]] == ["Idrissi"]
    imm = by_cnie["items"][0]["immatriculation"]
    assert client.get(f"{API}/insured", params={"q": imm}).json()["items"][0]["cnie"] == "QA3"
    tns = client.get(f"{API}/insured", params={"q": "tazi", "regime": "TNS"}).json()
    assert [(p["first_name"], p["regime_code"]) for p in tns["items"]] == [("Salma", "TNS")]
    assert client.get(f"{API}/insured", params={"q": "100%"}).json()["total"] == 0
    assert client.get(f"{API}/insured", params={"limit": 500}).status_code == 422


@pytest.mark.parametrize("q", ["%", "_", "\\", "DM%", "D_", "%%", "__"])
def test_search_wildcards_match_only_themselves(client, session, q):
    """`q=%` once matched every person (a LIKE on the immatriculation without escaping)."""
    b.insured(session, last_name="Bennani", first_name="Rita")
    b.insured(session, last_name="Chraibi", first_name="Omar")
    everyone = client.get(f"{API}/insured", params={"q": "DM"}).json()["total"]
    assert everyone >= 2  # a real prefix still matches
    r = client.get(f"{API}/insured", params={"q": q})
    assert r.status_code == 200
    assert (r.json()["total"], r.json()["items"]) == (0, []), q


def test_search_finds_a_name_with_an_underscore_or_a_percent_literally(client, session):
    b.insured(session, last_name="Ben_Ali", first_name="Sara")
    b.insured(session, last_name="BenXAli", first_name="Sara")
    found = client.get(f"{API}/insured", params={"q": "ben_ali"}).json()
    assert [p["last_name"] for p in found["items"]] == ["Ben_Ali"]
