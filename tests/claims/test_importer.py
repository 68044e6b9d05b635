"""`daman claims import FILE`: JSON lines of keyed-in paper claims."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from daman.claims.importer import import_claims
from daman.claims.models import Channel, Claim, ClaimStatus
from daman.cli import app
from daman.core import db as core_db
from daman.core.db import make_engine
from daman.core.rows import RowError
from daman.reference.models import ImportRun
from tests.claims.support import BRAND, act, cnss_insured, medicine, paper, provider

CARE = date(2024, 5, 6)


def write(path, rows):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def claim_line(patient, doctor, reference, charged=15_000, **extra):
    row = paper(patient, [act(doctor, CARE, charged)], deposit=date(2024, 5, 20), **extra)
    del row["channel"]
    return {**row, "reference": reference}


def test_good_lines_load_bad_lines_are_reported_by_line_and_field(session, tmp_path):
    patient, doctor, pharmacy = (
        cnss_insured(session),
        provider(session),
        provider(session, "pharmacy"),
    )
    no_deposit = claim_line(patient, doctor, "P-3")
    del no_deposit["deposit_date"]
    drug = claim_line(patient, doctor, "P-6")
    drug["lines"] = [medicine(pharmacy, doctor, CARE, BRAND, 3_200, quantity=2)]
    path = write(
        tmp_path / "agency.jsonl",
        [
            claim_line(patient, doctor, "P-1"),
            claim_line(patient, doctor, "P-2", charged=0),
            no_deposit,
            "{not json",
            "",
            {**claim_line(patient, doctor, "P-5"), "patient": "DM0000000000"},
            drug,
        ],
    )
    report = import_claims(session, path, "cli:agent")
    assert (report.read, report.loaded, report.already_loaded) == (6, 2, 0)
    assert [(e.line, e.field) for e in report.errors] == [
        (2, "lines[0].charged_centimes"),
        (3, "deposit_date"),
        (4, "line"),
        (6, "patient"),
    ]
    assert report.rejected == 4
    reasons = {e.field: e.reason for e in report.errors}
    assert reasons["lines[0].charged_centimes"] == "must be more than 0"
    assert reasons["deposit_date"] == "Field required"
    assert reasons["line"].startswith("not valid JSON: ")
    assert all(isinstance(e, RowError) for e in report.errors)
    claims = session.scalars(select(Claim).where(Claim.number.in_(report.numbers))).all()
    assert {c.idempotency_key for c in claims} == {"P-1", "P-6"}
    assert {(c.status, c.channel, c.deposit_date) for c in claims} == {
        (ClaimStatus.RECEIVED, Channel.IMPORT, date(2024, 5, 20))
    }
    assert {c.created_by for c in claims} == {"cli:agent"}
    run = session.scalars(select(ImportRun).where(ImportRun.kind == "claims")).one()
    assert (run.rows_read, run.rows_loaded, run.rows_rejected) == (6, 2, 4)
    assert run.sha256 == report.sha256 and len(run.sha256) == 64
    assert json.loads(run.report)["errors"][0] == {
        "line": 2,
        "field": "lines[0].charged_centimes",
        "reason": "must be more than 0",
    }


def test_reimport_does_not_duplicate_and_a_reused_reference_is_an_error(session, tmp_path):
    patient, doctor = cnss_insured(session), provider(session)
    rows = [claim_line(patient, doctor, "R-1"), claim_line(patient, doctor, "R-2")]
    path = write(tmp_path / "day.jsonl", rows)
    assert import_claims(session, path, "cli:a").loaded == 2
    again = import_claims(session, path, "cli:b")
    assert (again.loaded, again.already_loaded, again.errors) == (0, 2, [])
    changed = write(tmp_path / "changed.jsonl", [claim_line(patient, doctor, "R-1", charged=9_000)])
    report = import_claims(session, changed, "cli:a")
    assert report.loaded == 0
    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (1, "reference", "already used for a different claim")
    ]
    twice = write(
        tmp_path / "twice.jsonl",
        [claim_line(patient, doctor, "R-3"), claim_line(patient, doctor, "R-3")],
    )
    dup = import_claims(session, twice, "cli:a")
    assert (dup.loaded, dup.already_loaded) == (1, 1)
    total = session.scalar(
        select(func.count()).select_from(Claim).where(Claim.patient_id == patient.id)
    )
    assert total == 3


def test_cli_import_commits_and_exits_1_on_refused_lines(database_url, tmp_path):
    engine = make_engine(database_url)
    with Session(engine) as s:
        patient, doctor = cnss_insured(s), provider(s)
        good = claim_line(patient, doctor, "C-1")
        bad = claim_line(patient, doctor, "C-2", charged=-1)
        s.commit()
    core_db.set_engine(engine)
    runner = CliRunner()
    ok = runner.invoke(app, ["claims", "import", str(write(tmp_path / "a.jsonl", [good]))])
    assert ok.exit_code == 0, ok.output
    assert "1 loaded" in ok.output
    mixed = runner.invoke(app, ["claims", "import", str(write(tmp_path / "b.jsonl", [good, bad]))])
    assert mixed.exit_code == 1
    assert "1 already loaded" in mixed.output
    assert "line 2: lines[0].charged_centimes: must be more than 0" in mixed.output
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 1
    engine.dispose()
