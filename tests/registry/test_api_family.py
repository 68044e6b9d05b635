"""Dependents, life events, contributions and the eligibility endpoint, through the API."""

from __future__ import annotations

from datetime import date

import pytest

from daman.registry import builders as b
from daman.registry.models import DependentLink

API = "/api/v1"


@pytest.fixture(autouse=True)
def reference(session):
    b.ensure_reference(session)


def eligibility(client, imm, on, lang="en"):
    r = client.get(
        f"{API}/eligibility", params={"person": imm, "date": on}, headers={"Accept-Language": lang}
    )
    assert r.status_code == 200, r.text
    return r.json()


def child(birth="2012-09-03", **changes):
    person = {"last_name": "Alaoui", "first_name": "Yassine", "birth_date": birth, "sex": "M"}
    person.update(changes)
    return {"relationship": "child", "valid_from": "2020-01-01", "person": person}


def test_create_and_list_dependents(client, session):
    principal = b.insured(session, valid_from=date(2020, 1, 1))
    url = f"{API}/insured/{principal.immatriculation}/dependents"
    r = client.post(url, json=child())
    assert r.status_code == 201, r.text
    kid = r.json()
    assert kid["principal_immatriculation"] == principal.immatriculation
    assert kid["person"]["cnie"] is None
    spouse = client.post(
        url,
        json={
            "relationship": "spouse",
            "valid_from": "2020-01-01",
            "person": {
                "cnie": "BJ44556",
                "last_name": "Alaoui",
                "first_name": "Karim",
                "birth_date": "1983-02-01",
                "sex": "M",
            },
        },
    )
    assert spouse.status_code == 201, spouse.text
    listed = client.get(url).json()
    assert [d["relationship"] for d in listed] == ["spouse", "child"]
    e = eligibility(client, kid["person"]["immatriculation"], "2024-03-01")
    assert (e["covered"], e["reason"], e["principal_immatriculation"]) == (
        True,
        "covered_dependent",
        principal.immatriculation,
    )


def test_child_of_thirty_refused_unless_disabled(client, session):
    principal = b.insured(session, valid_from=date(2020, 1, 1))
    url = f"{API}/insured/{principal.immatriculation}/dependents"
    r = client.post(url, json=child(birth="1990-01-01"))
    assert r.status_code == 400
    detail = {e["field"]: e["reason"] for e in r.json()["detail"]}
    assert "aged 30" in detail["person.birth_date"] and "disabled" in detail["person.birth_date"]
    ok = client.post(url, json=child(birth="1990-01-01", disabled=True))
    assert ok.status_code == 201
    e = eligibility(client, ok.json()["person"]["immatriculation"], "2024-01-01")
    assert (e["covered"], e["reason"]) == (True, "covered_dependent")


def test_dependent_needs_a_principal_and_valid_person(client, session):
    nobody = b.person(session)
    r = client.post(f"{API}/insured/{nobody.immatriculation}/dependents", json=child())
    assert (r.status_code, r.json()["error"]) == (400, "not_a_principal")
    principal = b.insured(session)
    url = f"{API}/insured/{principal.immatriculation}/dependents"
    bad = client.post(url, json=child(rib="1" * 24))
    assert [e["field"] for e in bad.json()["detail"]] == ["person.rib"]
    both = client.post(url, json={**child(), "immatriculation": nobody.immatriculation})
    assert both.status_code == 400
    unknown = client.post(url, json={"relationship": "spouse", "immatriculation": "DM0000000000"})
    assert unknown.json()["detail"][0]["field"] == "immatriculation"


def test_one_principal_at_a_time_and_transfer(client, session):
    mother = b.insured(session, valid_from=date(2018, 1, 1), first_name="Hind")
    father = b.insured(session, valid_from=date(2018, 1, 1), first_name="Omar")
    kid = b.dependent(session, mother, valid_from=date(2018, 1, 1))
    body = {
        "relationship": "child",
        "valid_from": "2024-03-01",
        "immatriculation": kid.immatriculation,
    }
    r = client.post(f"{API}/insured/{father.immatriculation}/dependents", json=body)
    assert (r.status_code, r.json()["error"]) == (409, "dependent_already_linked")
    assert mother.immatriculation in r.json()["detail"]
    again = client.post(f"{API}/insured/{mother.immatriculation}/dependents", json=body)
    assert again.status_code == 409
    moved = client.post(
        f"{API}/insured/{father.immatriculation}/dependents", json={**body, "transfer": True}
    )
    assert moved.status_code == 201, moved.text
    old = session.query(DependentLink).filter_by(dependent_id=kid.id, principal_id=mother.id).one()
    assert (old.valid_to, old.end_reason) == (date(2024, 2, 29), "transfer")
    assert eligibility(client, kid.immatriculation, "2024-02-29")["principal_immatriculation"] == (
        mother.immatriculation
    )
    assert eligibility(client, kid.immatriculation, "2024-03-01")["principal_immatriculation"] == (
        father.immatriculation
    )


def test_end_affiliation_keeps_rights_six_months(client, session):
    worker = b.insured(session, valid_from=date(2015, 1, 1))
    url = f"{API}/insured/{worker.immatriculation}/end-affiliation"
    r = client.post(url, json={"valid_to": "2024-03-31", "reason": "job_loss"})
    assert r.status_code == 200, r.text
    assert (r.json()["valid_to"], r.json()["end_reason"]) == ("2024-03-31", "job_loss")
    e = eligibility(client, worker.immatriculation, "2024-09-30")
    assert (e["covered"], e["reason"], e["rights_until"]) == (
        True,
        "covered_maintained_job_loss",
        "2024-09-30",
    )
    assert (
        eligibility(client, worker.immatriculation, "2024-10-01")["reason"] == "affiliation_ended"
    )
    again = client.post(url, json={"valid_to": "2024-12-31", "reason": "job_loss"})
    assert (again.status_code, again.json()["error"]) == (409, "no_open_affiliation")


def test_regime_change_carries_rights(client, session):
    official = b.insured(session, valid_from=date(2010, 1, 1))
    employer = b.employer(session)
    r = client.post(
        f"{API}/insured/{official.immatriculation}/affiliations",
        json={"regime": "CNSS_SAL", "valid_from": "2024-04-01", "employer_number": employer.number},
    )
    assert r.status_code == 201, r.text
    first, second = r.json()["affiliations"]
    assert (first["valid_to"], first["end_reason"]) == ("2024-03-31", "regime_change")
    assert second["regime_code"] == "CNSS_SAL" and r.json()["regime_code"] == "CNSS_SAL"
    e = eligibility(client, official.immatriculation, "2024-04-01")
    assert (e["covered"], e["regime_code"]) == (True, "CNSS_SAL")
    assert "carried over" in e["explanation"]
    early = client.post(
        f"{API}/insured/{official.immatriculation}/affiliations",
        json={"regime": "TNS", "valid_from": "2024-04-01"},
    )
    assert early.json()["detail"][0]["field"] == "valid_from"


def test_death_ends_rights_and_opens_survivor_rights(client, session):
    principal = b.insured(session, valid_from=date(2010, 1, 1))
    spouse = b.dependent(session, principal, relationship="spouse", birth_date=date(1980, 1, 1))
    r = client.post(
        f"{API}/persons/{principal.immatriculation}/death", json={"death_date": "2023-05-10"}
    )
    assert r.status_code == 200 and r.json()["death_date"] == "2023-05-10"
    assert eligibility(client, principal.immatriculation, "2023-05-11")["reason"] == "deceased"
    e = eligibility(client, spouse.immatriculation, "2025-05-10")
    assert (e["covered"], e["reason"]) == (True, "covered_maintained_survivor")
    assert eligibility(client, spouse.immatriculation, "2025-05-11")["covered"] is False
    twice = client.post(
        f"{API}/persons/{principal.immatriculation}/death", json={"death_date": "2023-05-10"}
    )
    assert twice.json()["error"] == "already_deceased"


def test_divorce_keeps_rights_twelve_months(client, session):
    principal = b.insured(session, valid_from=date(2010, 1, 1))
    spouse = b.dependent(session, principal, relationship="spouse", birth_date=date(1980, 1, 1))
    r = client.post(
        f"{API}/dependents/{spouse.immatriculation}/end-link",
        json={"valid_to": "2023-06-30", "reason": "divorce"},
    )
    assert r.status_code == 200 and r.json()["end_reason"] == "divorce"
    e = eligibility(client, spouse.immatriculation, "2024-06-30")
    assert (e["covered"], e["reason"]) == (True, "covered_maintained_divorce")
    assert eligibility(client, spouse.immatriculation, "2024-07-01")["reason"] == (
        "dependent_link_ended"
    )


def test_student_proofs(client, session):
    principal = b.insured(session, valid_from=date(2010, 1, 1))
    student = b.dependent(session, principal, birth_date=date(2002, 6, 15))
    url = f"{API}/persons/{student.immatriculation}/student-proofs"
    assert eligibility(client, student.immatriculation, "2024-10-01")["reason"] == (
        "dependent_child_over_age"
    )
    proof = {"valid_from": "2024-09-01", "valid_to": "2025-08-31", "institution": "ENSIAS"}
    assert client.post(url, json=proof).status_code == 201
    assert eligibility(client, student.immatriculation, "2024-10-01")["covered"] is True
    assert client.post(url, json=proof).json()["error"] == "duplicate_student_proof"
    backwards = client.post(url, json={"valid_from": "2025-09-01", "valid_to": "2025-01-01"})
    assert backwards.json()["detail"][0]["field"] == "valid_to"
    assert [p["institution"] for p in client.get(url).json()] == ["ENSIAS"]


def test_contributions_open_cnss_rights(client, session):
    worker = b.insured(session, regime="CNSS_SAL", valid_from=date(2024, 1, 10))
    url = f"{API}/insured/{worker.immatriculation}/contributions"
    months = [
        {"month": "2024-01", "declared_days": 10, "amount_centimes": 50000},
        {"month": "2024-02", "declared_days": 20},
        {"month": "2024-03", "declared_days": 23},
    ]
    r = client.post(url, json={"items": months})
    assert r.status_code == 200, r.text
    assert [c["declared_days"] for c in r.json()] == [10, 20, 23]
    assert r.json()[0]["employer_number"] is not None
    assert eligibility(client, worker.immatriculation, "2024-04-01")["reason"] == "rights_not_open"
    # the March declaration is corrected: 53 -> 54 days, rights open on 1 April
    fixed = client.post(url, json={"items": [{"month": "2024-03-01", "declared_days": 24}]})
    assert [c["declared_days"] for c in fixed.json()] == [10, 20, 24]
    e = eligibility(client, worker.immatriculation, "2024-04-01")
    assert (e["covered"], e["reason"]) == (True, "covered_principal")
    outside = client.post(url, json={"items": [{"month": "2023-12", "declared_days": 5}]})
    assert outside.status_code == 400
    assert outside.json()["detail"][0]["field"] == "items.0.month"
    unknown = client.post(
        url, json={"items": [{"month": "2024-04", "declared_days": 5, "employer_number": "nope"}]}
    )
    assert unknown.json()["detail"][0]["field"] == "items.0.employer_number"
    assert (
        client.post(url, json={"items": [{"month": "2024-04", "declared_days": 40}]}).status_code
        == 422
    )


def test_eligibility_endpoint(client, session):
    person = b.insured(session, valid_from=date(2020, 1, 1), mutual_code="MGPAP")
    e = eligibility(client, person.immatriculation.lower(), "2019-12-31")
    assert (e["covered"], e["reason"], e["on"]) == (False, "no_affiliation", "2019-12-31")
    e = eligibility(client, person.immatriculation, "2020-01-01")
    assert e == {
        "immatriculation": person.immatriculation,
        "on": "2020-01-01",
        "covered": True,
        "reason": "covered_principal",
        "explanation": e["explanation"],
        "regime_code": "CNOPS",
        "as_dependent": False,
        "principal_immatriculation": None,
        "mutual_code": "MGPAP",
        "rights_until": None,
    }
    assert "2020-01-01" in e["explanation"]
    assert e["explanation"].startswith("Covered as principal insured under CNOPS since 2020-01-01")
    french = client.get(f"{API}/eligibility", params={"person": person.immatriculation})
    assert french.json()["explanation"].startswith(
        "Couvert en tant qu'assuré principal au titre de CNOPS depuis le 2020-01-01"
    )
    arabic = eligibility(client, person.immatriculation, "2020-01-01", "ar-MA, fr;q=0.5")
    assert arabic["explanation"].startswith("مغطى بصفته مؤمنا له رئيسيا في إطار CNOPS")
    today_answer = client.get(f"{API}/eligibility", params={"person": person.immatriculation})
    assert today_answer.json()["covered"] is True
    missing = client.get(
        f"{API}/eligibility", params={"person": "DM0000000000", "date": "2024-01-01"}
    )
    assert (missing.status_code, missing.json()["error"]) == (404, "person_not_found")
    bad = client.get(f"{API}/eligibility", params={"person": person.immatriculation, "date": "x"})
    assert bad.status_code == 422
