"""The deposit date, the channel and a continuous treatment's end: facts the fund records.

An attacker's probe with the demo accounts voided the 60-day filing deadline: an insured
person or a pharmacy sent `"channel": "agency"` with a deposit date 95 days back for care
100 days back (paid; sent electronic it is rejected `late_filing`), or a continuous
treatment end of yesterday on a one-off consultation 150 days old. Only staff keying in
paper (and `daman claims import`) set a deposit date or a channel; a continuous treatment
end needs care the policy says is continuous, and lies between the last care date and the
deposit date.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.auth.models import Role
from daman.claims import intake
from daman.claims.schemas import ClaimIn
from daman.core.dates import today
from daman.core.errors import ValidationFailed
from daman.reference.models import AdjudicationPolicy
from daman.registry import builders as rb
from tests.claims.support import (
    GENERIC,
    act,
    cnss_insured,
    electronic,
    medicine,
    paper,
    provider,
)

API = "/api/v1"


@pytest.fixture
def w(session):
    patient = cnss_insured(session, since=date(2015, 1, 1))
    doctor, pharmacy = provider(session), provider(session, kind="pharmacy")
    return {
        "patient": patient,
        "doctor": doctor,
        "pharmacy": pharmacy,
        "physio": provider(session, kind="paramedical"),
        "insured": bearer(
            session, builders.user(session, Role.INSURED, person=patient.immatriculation)
        ),
        "pharmacy_user": bearer(
            session, builders.user(session, Role.PROVIDER, provider=pharmacy.inpe)
        ),
        "agent": bearer(session, builders.user(session, Role.AGENT)),
    }


def post(client, headers, payload):
    return client.post(f"{API}/claims", json=payload, headers={**headers, "Accept-Language": "en"})


def refused(r) -> dict[str, str]:
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "validation_failed"
    return {e["field"]: e["reason"] for e in r.json()["detail"]}


def codes(line) -> list[str]:
    return [x["code"] for x in line["decision"]["reasons"]]


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)


def test_an_insured_person_or_a_pharmacy_cannot_backdate_a_claim_as_paper(anonymous, session, w):
    care, deposit = days_ago(100), days_ago(95)
    visit = [act(w["doctor"], care, 15_000)]
    drug = [medicine(w["pharmacy"], w["doctor"], care, GENERIC, 1_850)]
    for headers, lines in ((w["insured"], visit), (w["pharmacy_user"], drug)):
        # the probe: "agency" with a deposit date 95 days back
        errs = refused(post(anonymous, headers, paper(w["patient"], lines, deposit=deposit)))
        assert set(errs) == {"deposit_date", "channel"}
        assert "recorded by the fund" in errs["deposit_date"]
        # either alone is refused too, even a deposit date of today
        stamped = electronic(w["patient"], lines, deposit_date=today().isoformat())
        assert set(refused(post(anonymous, headers, stamped))) == {"deposit_date"}
        agency = electronic(w["patient"], lines, channel="agency")
        assert set(refused(post(anonymous, headers, agency))) == {"channel"}
        imported = electronic(w["patient"], lines, channel="import")
        assert "channel" in refused(post(anonymous, headers, imported))
        # as it is: deposited the day it arrives, and late
        r = post(anonymous, headers, electronic(w["patient"], lines))
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["channel"], body["deposit_date"]) == ("electronic", today().isoformat())
        assert body["lines"][0]["decision"]["status"] == "rejected"
        assert codes(body["lines"][0]) == ["late_filing"]


def test_staff_key_in_paper_with_the_day_it_was_handed_in(anonymous, session, w):
    other = cnss_insured(session, since=date(2015, 1, 1))
    care, deposit = days_ago(100), days_ago(95)
    r = post(anonymous, w["agent"], paper(other, [act(w["doctor"], care, 15_000)], deposit))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["channel"], body["deposit_date"]) == ("agency", deposit.isoformat())
    assert body["lines"][0]["decision"]["status"] == "accepted"


def test_a_continuous_treatment_end_needs_continuous_care(anonymous, session, w):
    old, yesterday = days_ago(150), days_ago(1)
    insured = w["insured"]
    # the probe: a one-off consultation 150 days old "ending" yesterday
    one_off = electronic(
        w["patient"],
        [act(w["doctor"], old, 15_000)],
        continuous_treatment_end=yesterday.isoformat(),
    )
    errs = refused(post(anonymous, insured, one_off))
    assert set(errs) == {"continuous_treatment_end"}
    assert "lines[0] is consultation" in errs["continuous_treatment_end"]
    assert "paramedical" in errs["continuous_treatment_end"]

    # chronic medicine counts only under an ALD exemption in force on the care date
    box = medicine(w["pharmacy"], w["doctor"], old, GENERIC, 1_850, ald_code="ALD09")
    chronic = electronic(w["patient"], [box], continuous_treatment_end=yesterday.isoformat())
    errs = refused(post(anonymous, insured, chronic))
    assert "exempted" in errs["continuous_treatment_end"]
    exemption = rb.ald_exemption(session, w["patient"], old - timedelta(days=365))
    chronic["lines"][0]["ald_code"] = exemption.ald_code
    r = post(anonymous, insured, chronic)
    assert r.status_code == 201, r.text
    line = r.json()["lines"][0]
    assert "late_filing" not in codes(line)  # 60 days from yesterday, not from the care
    assert r.json()["continuous_treatment_end"] == yesterday.isoformat()

    # physiotherapy sessions are continuous care; the end is not before the last session
    sessions = [
        act(w["physio"], old + timedelta(days=7 * k), 5_000, key="AMM", category="paramedical")
        for k in range(3)
    ]
    last = old + timedelta(days=14)
    early = electronic(w["patient"], sessions, continuous_treatment_end=old.isoformat())
    assert refused(post(anonymous, insured, early)) == {
        "continuous_treatment_end": f"is before the last care date ({last})"
    }
    tomorrow = (today() + timedelta(days=1)).isoformat()
    ahead = electronic(w["patient"], sessions, continuous_treatment_end=tomorrow)
    assert refused(post(anonymous, insured, ahead)) == {
        "continuous_treatment_end": "is after the deposit date"
    }
    course = electronic(w["patient"], sessions, continuous_treatment_end=yesterday.isoformat())
    r = post(anonymous, insured, course)
    assert r.status_code == 201, r.text
    assert all("late_filing" not in codes(ln) for ln in r.json()["lines"])
    # the same sessions with a line of another kind: refused, naming that line
    mixed = {**course, "lines": [*sessions, act(w["doctor"], last, 15_000, key="Cs")]}
    errs = refused(post(anonymous, insured, mixed))
    assert "lines[3] is consultation" in errs["continuous_treatment_end"]


def errors_of(session, payload) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        intake.submit(session, ClaimIn.model_validate(payload), actor="agent:test", key=None)
    return {e.field: e.reason for e in caught.value.detail}


def test_which_care_is_continuous_is_the_policy_in_force_on_the_deposit_date(session, w):
    """A new policy version (from `since`) adds consultations to continuous care: a paper
    claim deposited before it is refused, one deposited after is taken."""
    since = days_ago(30)
    session.add(
        AdjudicationPolicy(
            valid_from=since,
            filing_deadline_days=60,
            late_policy="reject",
            late_penalty_bp=500,
            review_threshold_centimes=500_000,
            max_line_quantity=99,
            document_categories="hospitalisation",
            max_line_charged_centimes=1_000_000_000,
            max_claim_charged_centimes=2_000_000_000,
            continuous_categories="paramedical,hospitalisation,consultation",
            continuous_ald_categories="medicine",
            source="test",
        )
    )
    session.flush()
    care = days_ago(90)
    lines = [act(w["doctor"], care, 15_000)]
    before = paper(w["patient"], lines, deposit=since - timedelta(days=1))
    before["continuous_treatment_end"] = (since - timedelta(days=2)).isoformat()
    assert "lines[0] is consultation" in errors_of(session, before)["continuous_treatment_end"]
    after = paper(w["patient"], lines, deposit=since + timedelta(days=1))
    after["continuous_treatment_end"] = since.isoformat()
    claim, created = intake.submit(
        session, ClaimIn.model_validate(after), actor="agent:test", key=None
    )
    assert created and claim.continuous_end == since
