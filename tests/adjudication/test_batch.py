"""`daman adjudicate` / run_batch: every received claim valued once, chunk by chunk, and the
same decisions as valuing the claims one at a time."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from daman.adjudication.service import adjudicate_claims, run_batch, value
from daman.claims.builders import received
from daman.claims.models import Claim, ClaimLine, ClaimStatusEvent, LineDecision
from daman.claims.service import attach_document
from daman.cli import app
from daman.core import db as core_db
from daman.core.db import make_engine
from daman.registry import builders as rb
from tests.claims.support import (
    BRAND,
    GENERIC,
    NOT_REIMBURSABLE,
    PDF,
    act,
    cnops_insured,
    cnss_insured,
    keep_documents_in,
    medicine,
    paper,
    provider,
)
from tests.processes import kill_when_flagged

CARE = date(2024, 5, 6)


def seed_claims(url: str, n: int) -> int:
    """n committed received claims (a GP visit and a medicine each); their line count."""
    engine = make_engine(url)
    with Session(engine) as s:
        doctor, pharmacy = provider(s), provider(s, kind="pharmacy")
        patients = [cnss_insured(s) for _ in range(5)]
        payloads = [
            paper(
                patients[i % 5],
                [
                    act(doctor, CARE + timedelta(days=i // 5), 15_000 + i),
                    medicine(pharmacy, doctor, CARE + timedelta(days=i // 5), GENERIC, 1_850),
                ],
            )
            for i in range(n)
        ]
        received(s, payloads, actor="seed")
        s.commit()
    engine.dispose()
    return 2 * n


def census(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with Session(engine) as s:
        by_status = dict(s.execute(select(Claim.status, func.count()).group_by(Claim.status)).all())
        engine_decisions = s.execute(
            select(LineDecision.line_id, func.count())
            .where(LineDecision.source == "engine")
            .group_by(LineDecision.line_id)
        ).all()
        valued_events = s.execute(
            select(ClaimStatusEvent.claim_id, func.count())
            .where(ClaimStatusEvent.from_status == "received")
            .group_by(ClaimStatusEvent.claim_id)
        ).all()
        undecided_lines = s.scalar(
            select(func.count()).select_from(ClaimLine).where(ClaimLine.status.is_(None))
        )
    engine.dispose()
    return {
        "received": by_status.get("received", 0),
        "valued": sum(n for st_, n in by_status.items() if st_ != "received"),
        "lines_decided": len(engine_decisions),
        "max_decisions_per_line": max((n for _, n in engine_decisions), default=0),
        "claims_moved": len(valued_events),
        "max_moves_per_claim": max((n for _, n in valued_events), default=0),
        "undecided_lines": undecided_lines or 0,
    }


def test_run_batch_values_every_received_claim_in_chunks(database_url):
    lines = seed_claims(database_url, 23)
    seen: list[tuple[int, int]] = []
    report = run_batch(
        database_url, chunk_size=5, actor="batch:test", progress=lambda d, t: seen.append((d, t))
    )
    assert (report.claims, report.chunks, report.valued.lines) == (23, 5, lines)
    assert seen == [(0, 23), (5, 23), (10, 23), (15, 23), (20, 23), (23, 23)]
    assert report.valued.claim_statuses == {"adjudicated": 23}
    after = census(database_url)
    assert after["received"] == 0 and after["valued"] == 23
    assert (after["lines_decided"], after["max_decisions_per_line"]) == (lines, 1)
    again = run_batch(database_url, chunk_size=5)
    assert (again.claims, again.chunks) == (0, 0)
    assert census(database_url) == after


def test_cli_adjudicate(database_url):
    seed_claims(database_url, 4)
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    result = CliRunner().invoke(app, ["adjudicate", "--chunk-size", "3"])
    assert result.exit_code == 0, result.output
    assert "4 claims (8 lines) valued in 2 chunks: adjudicated 4" in result.output
    assert census(database_url)["received"] == 0
    engine.dispose()


# The batch in another process, stopped for good inside its third chunk (two committed).
_KILLED_BATCH = """
import sys, time
from pathlib import Path
from daman.adjudication import engine, service

flag, real, calls = Path(sys.argv[2]), engine.adjudicate, []

def adjudicate(lines, ctx):
    calls.append(1)
    if len(calls) == 3:
        flag.write_text("valuing chunk 3")
        time.sleep(3600)
    return real(lines, ctx)

engine.adjudicate = adjudicate
service.run_batch(sys.argv[1], chunk_size=5, actor="batch:killed")
"""


def test_interrupted_batch_then_rerun_values_every_claim_exactly_once(database_url, tmp_path):
    lines = seed_claims(database_url, 32)
    flag = tmp_path / "in-chunk-3"
    kill_when_flagged(_KILLED_BATCH, [database_url, str(flag)], flag)
    killed = census(database_url)
    assert (killed["valued"], killed["received"]) == (10, 22), killed  # two chunks of 5
    assert (killed["lines_decided"], killed["max_decisions_per_line"]) == (20, 1), killed

    env = {**os.environ, "DAMAN_DATABASE_URL": database_url, "COLUMNS": "200"}
    rerun = subprocess.run(
        [
            sys.executable,
            "-c",
            "from daman.cli import main; main()",
            "adjudicate",
            "--chunk-size",
            "7",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "22 claims (44 lines) valued in 4 chunks" in rerun.stdout, rerun.stdout
    final = census(database_url)
    assert final == {
        "received": 0,
        "valued": 32,
        "lines_decided": lines,
        "max_decisions_per_line": 1,
        "claims_moved": 32,
        "max_moves_per_claim": 1,
        "undecided_lines": 0,
    }


# ---------------------------------------------------------------------------------------
# One batch and one claim at a time give the same decisions.

_ITEMS = [
    ("consultation", "C", None),
    ("consultation", "Cs", None),
    ("medical_act", "K", "20"),
    ("dental_prosthesis", "DP", "200"),
    ("medicine", GENERIC, None),
    ("medicine", BRAND, None),
    ("medicine", NOT_REIMBURSABLE, None),
]

line_specs = st.tuples(
    st.sampled_from(range(len(_ITEMS))),  # item
    st.integers(0, 1),  # provider
    st.integers(0, 3),  # care day
    st.integers(1, 3),  # quantity
    st.one_of(st.sampled_from([1_850, 15_000, 260_000]), st.integers(500, 400_000)),  # charged
)
claim_specs = st.tuples(
    st.integers(0, 2),  # patient
    st.lists(line_specs, min_size=1, max_size=3),
    st.sampled_from([True, True, False]),  # has a document
    st.sampled_from([10, 10, 10, 61]),  # deposit, days after the last possible care day
)


@pytest.fixture
def world(session, tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)
    principal = cnss_insured(session)
    patients = [principal, cnops_insured(session), rb.dependent(session, principal)]
    doctors = [provider(session), provider(session)]
    pharmacies = [provider(session, kind="pharmacy"), provider(session, kind="pharmacy")]
    return patients, doctors, pharmacies


def build(world, spec):
    patients, doctors, pharmacies = world
    who, lines, _, deposit_after = spec
    built = []
    for item, prov, day, quantity, charged in lines:
        category, code, coefficient = _ITEMS[item]
        care = CARE + timedelta(days=day)
        if category == "medicine":
            built.append(
                medicine(pharmacies[prov], doctors[0], care, code, charged, quantity=quantity)
            )
        else:
            extra = {"coefficient": coefficient} if coefficient else {}
            built.append(
                act(
                    doctors[prov],
                    care,
                    charged,
                    key=code,
                    category=category,
                    quantity=quantity,
                    **extra,
                )
            )
    return paper(patients[who], built, CARE + timedelta(days=3 + deposit_after))


def decisions(session, ids):
    rows = session.execute(
        select(
            ClaimLine.claim_id,
            ClaimLine.line_no,
            ClaimLine.status,
            ClaimLine.base_centimes,
            ClaimLine.rate_bp,
            ClaimLine.amo_centimes,
            ClaimLine.complementary_centimes,
            ClaimLine.patient_centimes,
            ClaimLine.allowed_quantity,
            ClaimLine.reasons,
            ClaimLine.charged_centimes,
        )
        .where(ClaimLine.claim_id.in_(ids))
        .order_by(ClaimLine.claim_id, ClaimLine.line_no)
        .execution_options(populate_existing=True)
    ).all()
    return [tuple(r) for r in rows]


def batch_versus_one_by_one(session, world, specs):
    """Decisions of the claims valued in one batch, then one at a time (both rolled back)."""
    outer = session.begin_nested()
    try:
        claims = received(session, [build(world, s) for s in specs])
        for claim, spec in zip(claims, specs, strict=True):
            if spec[2]:
                attach_document(session, claim, "scan.pdf", "application/pdf", PDF, "test")
        ids = [c.id for c in claims]

        batch_run = session.begin_nested()
        value(session, ids, "batch")
        in_batch = decisions(session, ids)
        batch_run.rollback()

        for claim_id in ids:
            adjudicate_claims(session, [claim_id], "one")
        return in_batch, decisions(session, ids)
    finally:
        outer.rollback()


def check_amounts(rows):
    for *_, base, rate, amo, comp, patient, _qty, reasons, charged in rows:
        assert amo + comp + patient == charged
        assert min(base, amo, comp, patient) >= 0
        assert amo * 10_000 <= base * (rate or 0) + 5_000  # never above base x rate (half-up)
        assert reasons


def test_ceilings_and_duplicates_across_claims_agree(session, world):
    DP, C, K = 3, 0, 2  # item indexes
    dp = (DP, 0, 0, 1, 260_000)  # DP 200 = 2,500.00 of base; ceiling 3,000.00 per 2 years
    specs = [
        (0, [dp], True, 10),  # 2,500.00 of the ceiling used
        (0, [(DP, 0, 1, 1, 260_000)], True, 10),  # 500.00 left: ceiling reached
        (0, [(DP, 1, 2, 1, 260_000)], True, 10),  # nothing left: ceiling exhausted
        (0, [(C, 0, 0, 1, 15_000), (C, 0, 0, 1, 15_000)], False, 10),  # duplicate in a claim
        (0, [(C, 0, 0, 1, 15_000)], False, 10),  # duplicate of the accepted line above
        (0, [(C, 1, 0, 1, 15_000)], False, 10),  # same day, other doctor: suspected
        (1, [(K, 0, 1, 3, 200_000), (DP, 0, 1, 2, 400_000)], False, 10),  # waits for a document
        (1, [(DP, 0, 2, 1, 260_000)], True, 10),  # the pending line above holds the ceiling
    ]
    in_batch, one_by_one = batch_versus_one_by_one(session, world, specs)
    assert in_batch == one_by_one
    reasons = [r[-2] for r in in_batch]
    assert reasons[1][0] == "ceiling_reached" and reasons[2] == ["ceiling_exhausted"]
    assert reasons[4] == ["duplicate"] and reasons[5] == ["duplicate"]
    assert reasons[6] == ["suspected_duplicate"]
    assert "missing_document" in reasons[8] and reasons[9] == ["ceiling_exhausted"]
    check_amounts(in_batch)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(claim_specs, min_size=1, max_size=6))
def test_batch_and_one_claim_at_a_time_agree(session, world, specs):
    in_batch, one_by_one = batch_versus_one_by_one(session, world, specs)
    assert in_batch == one_by_one
    check_amounts(in_batch)
