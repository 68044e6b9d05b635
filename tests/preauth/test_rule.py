"""The engine's authorisation rule (pure frames) and the list of care that needs one:
care of a listed category without a valid authorisation is refused, a claim line under one
takes its rate, and the list is loaded once and effective-dated."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.adjudication import frames as f
from daman.adjudication.engine import adjudicate
from daman.core.dates import today
from daman.preauth.models import PreauthRequirement
from daman.preauth.seed import load_requirements
from tests.adjudication.engine_builders import TARIFFS, context, frame, line, lines_frame, tariff
from tests.preauth.support import API, World, agree, invoice_line, stay, submit


def _auth(**values: object) -> dict[str, object]:
    return {
        "auth_id": 1,
        "patient_id": 1,
        "provider_id": 100,
        "category": "paramedical",
        "item": None,
        "valid_from": date(2020, 1, 1),
        "valid_to": date(2020, 3, 31),
        "rate_bp": 8000,
        "max_base_centimes": 50_000,
        "max_quantity": 10,
        **values,
    }


def test_the_engine_counts_the_batch_lines_against_what_an_authorisation_leaves() -> None:
    sessions = [
        line(
            claim_id=n,
            category="paramedical",
            act_key="AMM",
            quantity=4,
            charged_centimes=20_000,
            care_date=date(2020, 2, n),
        )
        for n in (1, 2, 3)
    ]
    outside = line(claim_id=4, category="paramedical", act_key="AMM", care_date=date(2020, 4, 2))
    lines = lines_frame(*sessions, outside)
    ctx = replace(
        context(lines, tariffs=[*TARIFFS, tariff("AMM", 5000)]),
        requirements=frame(f.REQUIREMENTS, [{"category": "paramedical"}]),
        authorisations=frame(f.AUTHORISATIONS, [_auth()]),
    )
    decided = adjudicate(lines, ctx)
    statuses = decided.get_column("status").to_list()
    reasons = decided.get_column("reasons").to_list()
    # 4 + 4 sessions fit the 10 agreed; the third claim's 4 go beyond: review
    assert statuses == ["accepted", "accepted", "pending_review", "rejected"]
    assert "authorised" in reasons[0] and "above_authorisation" in reasons[2]
    assert reasons[3] == ["authorisation_required"]
    assert decided.get_column("rate_bp").to_list()[:3] == [8000, 8000, 8000]


def test_an_authorisation_naming_the_item_wins_over_one_for_any_item() -> None:
    session_line = line(category="paramedical", act_key="AMM", care_date=date(2020, 2, 1))
    lines = lines_frame(session_line)
    ctx = replace(
        context(lines, tariffs=[*TARIFFS, tariff("AMM", 5000)]),
        requirements=frame(f.REQUIREMENTS, [{"category": "paramedical"}]),
        authorisations=frame(
            f.AUTHORISATIONS,
            [_auth(auth_id=1, rate_bp=7000), _auth(auth_id=2, item="AMM", rate_bp=9000)],
        ),
    )
    decided = adjudicate(lines, ctx)
    assert decided.get_column("rate_bp").to_list() == [9000]


def test_an_authorisation_of_another_provider_or_patient_covers_nothing() -> None:
    lines = lines_frame(line(category="paramedical", act_key="AMM", care_date=date(2020, 2, 1)))
    for other in ({"provider_id": 101}, {"patient_id": 2}, {"category": "hospitalisation"}):
        ctx = replace(
            context(lines, tariffs=[*TARIFFS, tariff("AMM", 5000)]),
            requirements=frame(f.REQUIREMENTS, [{"category": "paramedical"}]),
            authorisations=frame(f.AUTHORISATIONS, [_auth(**other)]),
        )
        assert adjudicate(lines, ctx).get_column("reasons").to_list() == [
            ["authorisation_required"]
        ], other


def test_no_authorisation_table_changes_nothing() -> None:
    lines = lines_frame(line(), line(claim_id=2, category="hospitalisation", act_key="HOSP_MED"))
    plain = adjudicate(lines, context(lines))
    empty = replace(
        context(lines),
        requirements=pl.DataFrame(schema=f.REQUIREMENTS),
        authorisations=pl.DataFrame(schema=f.AUTHORISATIONS),
    )
    assert adjudicate(lines, empty).equals(plain)


def test_care_needing_authorisation_without_one_is_refused(api: TestClient, w: World) -> None:
    line_in = invoice_line(2, 200_000) | {"provider_inpe": w.clinic.inpe}
    r = api.post(
        f"{API}/claims",
        json={"patient": w.patient.immatriculation, "lines": [line_in]},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 201, r.text
    decision = r.json()["lines"][0]["decision"]
    assert decision["status"] == "rejected" and decision["amo_centimes"] == 0
    [reason] = decision["reasons"]
    assert reason["code"] == "authorisation_required"
    assert "needs a prior authorisation" in reason["text"]


def test_a_care_sheet_of_the_clinic_under_an_agreement_takes_its_rate(
    api: TestClient, w: World
) -> None:
    """The rule is the engine's: a care sheet sent through /claims (not as an invoice) is
    matched to the authorisation in the same way."""
    start = today() - timedelta(days=3)
    number = submit(api, stay(w.patient, w.clinic, start=start))["number"]
    agree(api, number, days=0)
    line_in = invoice_line(3, 300_000, start) | {"provider_inpe": w.clinic.inpe}
    r = api.post(f"{API}/claims", json={"patient": w.patient.immatriculation, "lines": [line_in]})
    assert r.status_code == 201, r.text
    decision = r.json()["lines"][0]["decision"]
    assert decision["status"] == "accepted" and "authorised" in [
        x["code"] for x in decision["reasons"]
    ]
    assert decision["amo_centimes"] == 229_500


def test_a_refused_or_withdrawn_request_authorises_nothing(api: TestClient, w: World) -> None:
    start = today() - timedelta(days=3)
    refused = submit(api, stay(w.patient, w.clinic, start=start))["number"]
    api.post(
        f"{API}/preauthorisations/{refused}/decision", json={"action": "refuse", "reason": "non"}
    )
    withdrawn = submit(api, stay(w.patient, w.clinic, start=start))["number"]
    api.post(f"{API}/preauthorisations/{withdrawn}/cancel")
    line_in = invoice_line(3, 300_000, start) | {"provider_inpe": w.clinic.inpe}
    r = api.post(f"{API}/claims", json={"patient": w.patient.immatriculation, "lines": [line_in]})
    assert [x["code"] for x in r.json()["lines"][0]["decision"]["reasons"]] == [
        "authorisation_required"
    ]


def test_the_list_is_loaded_once_and_an_administrator_s_change_stays(session: Session) -> None:
    load_requirements(session)
    count = session.scalar(select(func.count()).select_from(PreauthRequirement))
    assert count == 4
    categories = set(session.scalars(select(PreauthRequirement.category)))
    assert categories == {"hospitalisation", "paramedical", "orthodontics", "device"}
    row = session.scalars(
        select(PreauthRequirement).where(PreauthRequirement.category == "device")
    ).one()
    row.valid_to = date(2030, 12, 31)
    session.flush()
    assert load_requirements(session) == 0
    assert session.scalar(select(func.count()).select_from(PreauthRequirement)) == 4
    assert row.valid_to == date(2030, 12, 31)


def test_care_before_the_requirement_starts_needs_no_authorisation() -> None:
    lines = lines_frame(
        line(category="paramedical", act_key="AMM", care_date=date(2020, 2, 1)),
        line(claim_id=2, category="paramedical", act_key="AMM", care_date=date(2020, 3, 1)),
    )
    ctx = replace(
        context(lines, tariffs=[*TARIFFS, tariff("AMM", 5000)]),
        requirements=frame(
            f.REQUIREMENTS, [{"category": "paramedical", "valid_from": date(2020, 3, 1)}]
        ),
    )
    reasons = adjudicate(lines, ctx).get_column("reasons").to_list()
    assert "authorisation_required" not in reasons[0]
    assert reasons[1] == ["authorisation_required"]
