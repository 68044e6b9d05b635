"""The administrator's versioned reference data in process: coverage rates, the mutuals'
complementary rates, ceilings, the adjudication policy, the ALD/ALC list and agencies.
Each page shows the history, adds a version from a date (the version in force ends the day
before), names each refused field in the reader's language, writes nothing when it refuses,
and opens to administrators only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.auth.models import Role
from daman.core.dates import today
from daman.reference.models import (
    AdjudicationPolicy,
    Agency,
    AldDisease,
    Ceiling,
    ComplementaryRate,
    CoverageRate,
)
from tests.web.test_admin_pages import signed_in

PAGES = (
    "/office/admin/rates",
    "/office/admin/complementary",
    "/office/admin/ceilings",
    "/office/admin/policy",
    "/office/admin/ald",
    "/office/admin/agencies",
)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_coverage_rate_version_in_percent_closes_the_one_in_force(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    page = anonymous.get("/office/admin/rates?regime=CNOPS&category=consultation")
    assert page.status_code == 200 and "80 %" in page.text and "2005-01-01" in page.text
    start = today() + timedelta(days=20)
    done = anonymous.post(
        "/office/admin/rates",
        data={
            "csrf_token": csrf,
            "regime_code": "CNOPS",
            "category": "consultation",
            "exemption": "none",
            "rate": "٨٥",  # Eastern Arabic digits
            "valid_from": start.isoformat(),
            "source": "avenant 2027",
            "confidence": "M",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:2000]
    rows = session.scalars(
        select(CoverageRate)
        .where(
            CoverageRate.regime_code == "CNOPS",
            CoverageRate.category == "consultation",
            CoverageRate.exemption == "none",
            CoverageRate.sector.is_(None),
            CoverageRate.ald_code.is_(None),
        )
        .order_by(CoverageRate.valid_from)
    ).all()
    assert (rows[-1].rate_bp, rows[-1].valid_from, rows[-1].confidence) == (8500, start, "M")
    assert rows[-2].valid_to == start - timedelta(days=1)
    assert rows[-1].created_by.startswith("admin:")
    shown = anonymous.get(done.headers["location"])
    assert "85 %" in shown.text and "avenant 2027" in shown.text


def test_a_rate_refused_names_its_fields_in_french_and_writes_nothing(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    before = count(session, CoverageRate)
    bad = anonymous.post(
        "/office/admin/rates",
        data={
            "csrf_token": csrf,
            "regime_code": "CNOPS",
            "category": "consultation",
            "exemption": "none",
            "rate": "120",
            "valid_from": "demain",
        },
    )
    assert bad.status_code == 400
    assert 'href="#rate"' in bad.text and 'href="#valid_from"' in bad.text
    assert "Écrivez la date" in bad.text
    early = anonymous.post(
        "/office/admin/rates",
        data={
            "csrf_token": csrf,
            "regime_code": "CNOPS",
            "category": "consultation",
            "exemption": "none",
            "rate": "90",
            "valid_from": "2004-12-31",
        },
    )
    assert early.status_code == 400 and 'href="#valid_from"' in early.text
    assert "2005-01-01" in early.text.split('class="error-summary"')[1].split("</div>")[0]
    unknown = anonymous.post(
        "/office/admin/rates",
        data={
            "csrf_token": csrf,
            "regime_code": "NOPE",
            "category": "consultation",
            "rate": "90",
            "valid_from": "2030-01-01",
        },
    )
    assert unknown.status_code == 400 and 'href="#regime_code"' in unknown.text
    assert count(session, CoverageRate) == before


def test_a_mutuals_complementary_rate_from_a_date(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    page = anonymous.get("/office/admin/complementary?mutual=MGPTT", params={"lang": "ar"})
    assert page.status_code == 200
    assert "التعاضدية العامة للبريد" in page.text  # the mutuals listed with their names
    start = today() + timedelta(days=10)
    done = anonymous.post(
        "/office/admin/complementary",
        data={
            "csrf_token": csrf,
            "mutual_code": "MGPTT",
            "category": "optical",
            "rate": "25",
            "valid_from": start.isoformat(),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    again = anonymous.post(
        "/office/admin/complementary",
        data={
            "csrf_token": csrf,
            "mutual_code": "MGPTT",
            "category": "optical",
            "rate": "30",
            "valid_from": (start + timedelta(days=30)).isoformat(),
        },
        follow_redirects=False,
    )
    assert again.status_code == 303
    rows = session.scalars(
        select(ComplementaryRate)
        .where(ComplementaryRate.mutual_code == "MGPTT", ComplementaryRate.category == "optical")
        .order_by(ComplementaryRate.valid_from)
    ).all()
    assert rows[-3].valid_to == start - timedelta(days=1)  # the seeded row, closed
    assert [(r.rate_bp, r.valid_to) for r in rows[-2:]] == [
        (2500, start + timedelta(days=29)),
        (3000, None),
    ]
    history = anonymous.get("/office/admin/complementary?mutual=MGPTT").text
    assert "25 %" in history and "30 %" in history


def test_a_ceiling_from_a_date_and_its_refusals(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    assert anonymous.get("/office/admin/ceilings").status_code == 200
    neither = anonymous.post(
        "/office/admin/ceilings",
        data={
            "csrf_token": csrf,
            "category": "optical",
            "period_days": "365",
            "valid_from": "2030-01-01",
        },
    )
    assert neither.status_code == 400 and 'href="#max_base"' in neither.text
    start = today() + timedelta(days=15)
    for amount, begins in (("1 500,00", start), ("١٨٠٠", start + timedelta(days=365))):
        done = anonymous.post(
            "/office/admin/ceilings",
            data={
                "csrf_token": csrf,
                "category": "optical",
                "regime_code": "CNSS_SAL",
                "max_base": amount,
                "max_quantity": "2",
                "period_days": "٣٦٥",
                "valid_from": begins.isoformat(),
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text[:2000]
    rows = session.scalars(
        select(Ceiling)
        .where(Ceiling.category == "optical", Ceiling.regime_code == "CNSS_SAL")
        .order_by(Ceiling.valid_from)
    ).all()
    assert [(c.max_base_centimes, c.max_quantity, c.period_days) for c in rows] == [
        (150000, 2, 365),
        (180000, 2, 365),
    ]
    assert rows[0].valid_to == start + timedelta(days=364)
    page = anonymous.get("/office/admin/ceilings").text
    assert "1500.00 MAD" in page and "1800.00 MAD" in page


def test_a_policy_version_starts_from_the_one_in_force(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    page = anonymous.get("/office/admin/policy")
    assert page.status_code == 200
    current = session.scalars(
        select(AdjudicationPolicy).order_by(AdjudicationPolicy.valid_from.desc())
    ).first()
    assert current is not None
    assert f'value="{current.filing_deadline_days}"' in page.text  # the form holds it
    start = today() + timedelta(days=5)
    form = {
        "csrf_token": csrf,
        "filing_deadline_days": "90",
        "late_policy": "penalty",
        "late_penalty": "10",
        "review_threshold": "5000",
        "max_line_quantity": "100",
        "max_line_charged": "100000",
        "max_claim_charged": "50000",  # below the limit per line
        "document_categories": ["optical", "dental_prosthesis"],
        "continuous_categories": ["paramedical"],
        "valid_from": start.isoformat(),
    }
    bad = anonymous.post("/office/admin/policy", data=form)
    assert bad.status_code == 400 and 'href="#max_claim_charged"' in bad.text
    assert count(session, AdjudicationPolicy) == 2 or current.valid_to is None
    done = anonymous.post(
        "/office/admin/policy",
        data=form | {"max_claim_charged": "200000"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:2000]
    session.refresh(current)
    new = session.scalars(
        select(AdjudicationPolicy).order_by(AdjudicationPolicy.valid_from.desc())
    ).first()
    assert new is not None and new.id != current.id
    assert (new.filing_deadline_days, new.late_policy, new.late_penalty_bp) == (90, "penalty", 1000)
    assert new.document_categories == "dental_prosthesis,optical"
    assert (new.continuous_categories, new.continuous_ald_categories) == ("paramedical", "")
    assert new.max_claim_charged_centimes == 20_000_000
    assert current.valid_to == start - timedelta(days=1)


def test_an_ald_heading_added_then_closed_from_a_date(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    page = anonymous.get("/office/admin/ald")
    assert page.status_code == 200 and "ALD09" in page.text
    taken = anonymous.post(
        "/office/admin/ald",
        data={
            "csrf_token": csrf,
            "code": "ALD09",
            "kind": "ald",
            "name_fr": "X",
            "valid_from": "2030-01-01",
        },
    )
    assert taken.status_code == 400 and 'href="#code"' in taken.text
    start = today() + timedelta(days=3)
    done = anonymous.post(
        "/office/admin/ald",
        data={
            "csrf_token": csrf,
            "code": "ald99",
            "kind": "alc",
            "number": "٤٢",
            "name_fr": "Maladie rare de test",
            "name_ar": "مرض نادر",
            "icd10": "E75",
            "valid_from": start.isoformat(),
            "source": "arrêté 2027",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:2000]
    heading = session.scalar(select(AldDisease).where(AldDisease.code == "ALD99"))
    assert heading is not None and (heading.number, heading.kind) == (42, "alc")
    too_early = anonymous.post(
        "/office/admin/ald/close",
        data={"csrf_token": csrf, "close_code": "ALD99", "closed_from": start.isoformat()},
    )
    assert too_early.status_code == 400 and 'href="#closed_from"' in too_early.text
    closed = anonymous.post(
        "/office/admin/ald/close",
        data={
            "csrf_token": csrf,
            "close_code": "ALD99",
            "closed_from": (start + timedelta(days=100)).isoformat(),
        },
        follow_redirects=False,
    )
    assert closed.status_code == 303
    session.refresh(heading)
    assert heading.valid_to == start + timedelta(days=99)
    unknown = anonymous.post(
        "/office/admin/ald/close",
        data={"csrf_token": csrf, "close_code": "NOPE1", "closed_from": "2030-01-01"},
    )
    assert unknown.status_code == 400 and 'href="#close_code"' in unknown.text
    assert "pas encore clos" in unknown.text


def test_an_agency_opened_and_closed_from_a_date(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    missing = anonymous.post(
        "/office/admin/agencies",
        data={"csrf_token": csrf, "code": "AG-TZ1", "valid_from": "2030-01-01"},
        params={"lang": "ar"},
    )
    assert missing.status_code == 400
    for field in ("name_fr", "name_ar", "city", "region"):
        assert f'href="#{field}"' in missing.text
    assert "اكتب" in missing.text  # said in Arabic
    assert session.get(Agency, "AG-TZ1") is None
    start = today() + timedelta(days=7)
    done = anonymous.post(
        "/office/admin/agencies",
        data={
            "csrf_token": csrf,
            "code": "ag-tz1",
            "name_fr": "Agence Taza Centre",
            "name_ar": "وكالة تازة المركز",
            "city": "Taza",
            "region": "Fès-Meknès",
            "valid_from": start.isoformat(),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:2000]
    listed = anonymous.get("/office/admin/agencies").text
    assert "AG-TZ1" in listed and "وكالة تازة المركز" in listed  # read in Arabic
    closed = anonymous.post(
        "/office/admin/agencies/close",
        data={
            "csrf_token": csrf,
            "close_code": "AG-TZ1",
            "closed_from": (start + timedelta(days=31)).isoformat(),
        },
        follow_redirects=False,
    )
    assert closed.status_code == 303
    agency = session.get(Agency, "AG-TZ1")
    assert agency is not None and agency.valid_to == start + timedelta(days=30)
    twice = anonymous.post(
        "/office/admin/agencies/close",
        data={"csrf_token": csrf, "close_code": "AG-TZ1", "closed_from": "2099-01-01"},
    )
    assert twice.status_code == 400 and 'href="#closed_from"' in twice.text


@pytest.mark.parametrize("role", [Role.AGENT, Role.CONTROLLER, Role.ANALYST, Role.INSURED])
def test_only_administrators_open_them(anonymous: TestClient, session: Session, role) -> None:
    csrf = signed_in(anonymous, session, role)
    for path in PAGES:
        assert anonymous.get(path).status_code == 403, path
    refused = anonymous.post(
        "/office/admin/ceilings",
        data={
            "csrf_token": csrf,
            "category": "optical",
            "max_quantity": "1",
            "period_days": "1",
            "valid_from": date(2030, 1, 1).isoformat(),
        },
    )
    assert refused.status_code == 403


def test_the_index_links_every_page(anonymous, session) -> None:
    signed_in(anonymous, session)
    index = anonymous.get("/office/admin").text
    for path in PAGES:
        assert f'href="{path}"' in index
