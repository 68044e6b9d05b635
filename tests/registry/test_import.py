"""`daman registry import`: every bad row reported, good rows loaded, batches atomic."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from daman.cli import app
from daman.core import db as core_db
from daman.core.db import make_engine
from daman.core.errors import ImportFailed
from daman.core.identifiers import immatriculation_problem
from daman.reference.models import ImportRun
from daman.registry import builders as b
from daman.registry import importer
from daman.registry.contribution_import import import_contributions
from daman.registry.importer import import_persons
from daman.registry.models import Affiliation, Contribution, DependentLink, Person
from daman.registry.rights import check

DATA = Path(__file__).parent / "data"
HEADER = (DATA / "persons.csv").read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture
def scope(session):
    b.ensure_reference(session)

    @contextmanager
    def unit():
        with session.begin_nested():
            yield session

    return unit


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_sample_file_loads_families(session, scope):
    b.employer(session, number="7712345")
    before = count(session, Person)
    report = import_persons(DATA / "persons.csv", actor="cli:test", scope=scope)
    assert (report.rows_read, report.rows_loaded, report.errors) == (7, 7, [])
    assert count(session, Person) == before + 7
    karim = session.scalar(select(Person).where(Person.cnie == "BE100001"))
    assert immatriculation_problem(karim.immatriculation) is None
    assert (karim.last_name_ar, karim.created_by) == ("العلوي", "cli:test")
    omar = session.scalar(select(Person).where(Person.first_name == "Omar"))
    link = session.scalar(select(DependentLink).where(DependentLink.dependent_id == omar.id))
    fatima = session.scalar(select(Person).where(Person.cnie == "BK200001"))
    assert link.principal_id == fatima.id  # referred to by CNIE
    nadia = session.scalar(select(Person).where(Person.first_name == "Nadia"))
    assert nadia.disabled
    assert check(session, nadia.immatriculation, date(2024, 1, 1)).reason == "covered_dependent"
    run = session.scalar(select(ImportRun).where(ImportRun.kind == "registry_persons"))
    assert (run.rows_loaded, run.rows_rejected, len(run.sha256)) == (7, 0, 64)


def test_bad_rows_reported_good_rows_loaded(session, scope):
    existing = b.insured(session, cnie="EX123456", valid_from=date(2015, 1, 1))
    before = count(session, Person)
    report = import_persons(DATA / "persons-bad.csv", actor="cli:test", scope=scope)
    problems = {(e.line, e.field): e.reason for e in report.errors}
    assert "expected 82" in problems[(3, "rib")]
    assert "line 3 was rejected" in problems[(4, "principal")]
    assert "aged 30" in problems[(5, "birth_date")]
    assert "unknown regime" in problems[(6, "regime")]
    assert "required for CNSS_SAL" in problems[(7, "employer_number")]
    assert "in the future" in problems[(8, "birth_date")]
    assert "duplicate_cnie" in problems[(9, "cnie")] and "line 2" in problems[(9, "cnie")]
    assert "NOBODY" in problems[(10, "principal")]
    assert "YYYY-MM-DD" in problems[(11, "birth_date")]
    assert "neither M nor F" in problems[(12, "sex")]
    assert "20 cells" in problems[(15, "row")]
    assert report.rejected_lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15]
    assert (report.rows_read, report.rows_loaded) == (14, 3)
    assert count(session, Person) == before + 3
    sara = session.scalar(select(Person).where(Person.first_name == "Sara"))
    link = session.scalar(select(DependentLink).where(DependentLink.dependent_id == sara.id))
    assert link.principal_id == existing.id


def test_a_failed_batch_lands_not_at_all(session, scope, monkeypatch):
    b.employer(session, number="7712345")
    real = importer._load_batch

    def failing(s: Session, batch, actor):
        real(s, batch, actor)  # rows are written, then the batch fails
        if any(r.cells.cnie == "BK200001" for r in batch):
            raise IntegrityError("insert", {}, Exception("simulated"))

    monkeypatch.setattr(importer, "_load_batch", failing)
    before = count(session, Person), count(session, Affiliation), count(session, DependentLink)
    report = import_persons(DATA / "persons.csv", actor="t", scope=scope, batch_size=3)
    # families: Alaoui (3 rows), Bennani (2), Chraibi (2) -> three batches of one family each
    assert report.batches_failed == 1
    assert report.rejected_lines == [5, 6]
    assert "simulated" in report.errors[0].reason
    assert report.rows_loaded == 5
    assert session.scalar(select(Person).where(Person.cnie == "BK200001")) is None
    assert session.scalar(select(Person).where(Person.first_name == "Omar")) is None
    after = count(session, Person), count(session, Affiliation), count(session, DependentLink)
    assert [a - b_ for a, b_ in zip(after, before, strict=True)] == [5, 2, 3]


def test_fatal_errors(session, scope, tmp_path):
    with pytest.raises(ImportFailed, match="file not found"):
        import_persons(tmp_path / "nope.csv", actor="t", scope=scope)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("role,last_name,first_name,birth_date,sexe,valid_from\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"missing column\(s\) sex; unknown column\(s\) sexe"):
        import_persons(wrong, actor="t", scope=scope)


def test_a_bad_cell_is_reported_with_its_line_field_and_reason(session, scope, tmp_path):
    f = tmp_path / "cells.csv"
    rows = [
        "A1,principal,,,BE900001,Amrani,Ali,,,1980-01-01,X,,CNOPS,2020-01-01,,MGPAP,,"
        "007780000000000000012399,",
        "A2,principal,,,BE900001,Amrani,Sara,,,1982-01-01,F,,CNOPS,2020-01-01,,MGPAP,,,",
        '"A3\n",principal,,,BE900003,Amrani,Omar,,,1983-01-01,M,,CNOPS,2020-01-01,,MGPAP,,,',
        "A4,principal,,,BE900004,Amrani,Zaid,,,1984-01-01,M,maybe,CNOPS,2020-01-01,,MGPAP,,,",
    ]
    f.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    report = import_persons(f, actor="t", scope=scope)
    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (2, "sex", "'X' is neither M nor F"),
        (2, "rib", "bad RIB key 99 (expected 82)"),
        # a refused row's valid cells still count: its CNIE may not come again
        (3, "cnie", "duplicate_cnie: CNIE BE900001 repeats line 2"),
        (6, "disabled", "'maybe' is not yes/no"),  # A3's key runs over lines 4 and 5
    ]
    assert (report.rows_read, report.rows_loaded) == (4, 1)
    omar = session.scalar(select(Person).where(Person.cnie == "BE900003"))
    assert omar.first_name == "Omar"


def test_a_refused_file_writes_nothing(session, scope, tmp_path):
    before = count(session, Person), count(session, Contribution), count(session, ImportRun)
    row = "A1,principal,,,BE900001,Amrani,Aïcha,,,1980-01-01,F,,CNOPS,2020-01-01,,MGPAP,,,"
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(HEADER.replace("sex", "gender") + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"missing column\(s\) sex; unknown column\(s\) gender"):
        import_persons(wrong, actor="t", scope=scope)
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\n" + row + "\n").encode("latin-1"))
    with pytest.raises(ImportFailed, match="not a readable UTF-8 CSV file"):
        import_persons(latin, actor="t", scope=scope)
    days = tmp_path / "days.csv"
    days.write_text("immatriculation,mois,declared_days\nDM0000000000,2024-01,26\n", "utf-8")
    with pytest.raises(ImportFailed, match=r"missing column\(s\) month; unknown column\(s\) mois"):
        import_contributions(days, actor="t", scope=scope)
    after = count(session, Person), count(session, Contribution), count(session, ImportRun)
    assert after == before


def test_semicolons_and_bom(session, scope, tmp_path):
    f = tmp_path / "semi.csv"
    rows = [
        "role;cnie;last_name;first_name;birth_date;sex;regime;valid_from;mutual_code",
        "principal;SE1;Semi;Colon;1980-01-01;F;CNOPS;2020-01-01;MGPAP",
    ]
    f.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    report = import_persons(f, actor="t", scope=scope)
    assert (report.rows_loaded, report.errors) == (1, [])


def test_contributions_import(session, scope, tmp_path):
    worker = b.insured(session, regime="CNSS_SAL", valid_from=date(2024, 1, 10))
    b.contributions(session, worker, date(2024, 1, 1), days=5)
    f = tmp_path / "contributions.csv"
    f.write_text(
        "\n".join(
            [
                "immatriculation,month,declared_days,amount,paid",
                f"{worker.immatriculation},2024-01,26,812.50,yes",
                f"{worker.immatriculation},2024-02,28,875.00,yes",
                f"{worker.immatriculation},2024-02,3,,yes",
                f"{worker.immatriculation},2023-12,26,,yes",
                "DM0000000000,2024-01,26,,yes",
                f"{worker.immatriculation},2024-03,45,1.234,maybe",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = import_contributions(f, actor="t", scope=scope)
    problems = {(e.line, e.field) for e in report.errors}
    assert problems == {
        (4, "month"),
        (5, "month"),
        (6, "immatriculation"),
        (7, "declared_days"),
        (7, "amount"),
        (7, "paid"),
    }
    assert {e.field: e.reason for e in report.errors if e.line == 7} == {
        "declared_days": "'45' is not a whole number from 0 to 31",
        "amount": "more than two decimals: '1.234'",
        "paid": "'maybe' is not yes/no",
    }
    assert report.errors[0].reason == "2024-02 repeats line 3 for the same employer"
    assert report.rows_loaded == 2
    rows = session.scalars(
        select(Contribution).where(Contribution.person_id == worker.id).order_by(Contribution.month)
    ).all()
    assert [(c.month, c.declared_days, c.amount_centimes) for c in rows] == [
        (date(2024, 1, 1), 26, 81250),
        (date(2024, 2, 1), 28, 87500),
    ]
    assert check(session, worker.immatriculation, date(2024, 3, 1)).covered


def test_cli_import(database_url, tmp_path):
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    with Session(engine) as s:
        b.ensure_reference(s)
        b.employer(s, number="7712345")
        s.commit()
    runner = CliRunner()
    good = runner.invoke(app, ["registry", "import", str(DATA / "persons.csv")])
    assert good.exit_code == 0, good.output
    assert "7 rows read, 7 loaded, 0 rejected" in good.output
    report = tmp_path / "problems.csv"
    bad = runner.invoke(
        app, ["registry", "import", str(DATA / "persons-bad.csv"), "--report", str(report)]
    )
    assert bad.exit_code == 2, bad.output
    assert "rejected" in bad.output
    assert report.read_text(encoding="utf-8").startswith("line,field,reason")
    missing = runner.invoke(app, ["registry", "import", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 1
    with Session(engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(Person).where(Person.cnie == "BE100001")) == 1
        )
    engine.dispose()
