"""`daman reference import-drugs` and `import-ald` on a committed database."""

from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from daman.cli import app
from daman.core import db as core_db
from daman.core.db import make_engine, unit_of_work
from daman.reference import service
from daman.reference.errors import OlderDrugList
from daman.reference.models import AldDisease, ImportRun
from tests.conftest import shared_file
from tests.reference.test_parsing import GOOD, HEADER

runner = CliRunner()


@pytest.fixture
def cli_db(database_url):
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    yield database_url
    engine.dispose()


def test_import_drugs_reports_rejected_rows(cli_db, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                GOOD,
                "6118990000018,BAD EAN,X,1,MG,F,P,1.00,1.00,1.00,G,0.70",
                "6118990000024,PRICE,X,1,MG,F,P,12 MAD,1.00,1.00,G,0.70",
            ]
        )
        + "\n",
        encoding="latin-1",
    )
    report = tmp_path / "rejected.csv"
    args = [
        "reference",
        "import-drugs",
        str(path),
        "--valid-from",
        "2024-01-01",
        "--report",
        str(report),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "rows read 3, loaded 1, rejected 2" in result.output
    assert "bad_ean 1, bad_price 1" in result.output
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "line,code,reason,detail"
    assert lines[1].startswith("3,6118990000018,bad_ean,")
    assert lines[2].startswith("4,6118990000024,bad_price,")

    again = runner.invoke(app, args[:5])
    assert again.exit_code == 0 and "drug_prices: added 0, updated 0" in again.output
    with unit_of_work() as session:
        _, price = service.drug_price_at(session, "6118990000017", date(2024, 1, 1))
        assert price.base_centimes == 1850 and price.valid_from == date(2024, 1, 1)
        assert service.drug_price_at(session, "6118990000024", date(2024, 1, 1)) is None
        runs = session.scalar(
            select(func.count())
            .select_from(ImportRun)
            .where(ImportRun.kind == "drugs", ImportRun.filename == "list.csv")
        )
        assert runs == 2

    older = runner.invoke(
        app, ["reference", "import-drugs", str(path), "--valid-from", "2023-01-01"]
    )
    assert isinstance(older.exception, OlderDrugList)
    bad_date = runner.invoke(app, ["reference", "import-drugs", str(path), "--valid-from", "x"])
    assert bad_date.exit_code == 2


def test_import_the_real_list(cli_db, tmp_path):
    path = shared_file("ref-des-medicaments-cnops-2014.csv")
    report = tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "reference",
            "import-drugs",
            str(path),
            "--valid-from",
            "2014-01-01",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rows read 5917, loaded 5898, rejected 19" in result.output
    assert "bad_ean 19" in result.output
    assert '"line": 5430' in report.read_text(encoding="utf-8")


def test_import_ald(cli_db, tmp_path):
    path = tmp_path / "ald.csv"
    path.write_text(
        "code,number,kind,name_fr,name_ar,icd10,valid_from,valid_to,source\n"
        "ALD09,9,ald,Diabète,,E10-E14,2005-09-05,,admin file\n"
        "ALC01,,alc,Greffe rénale,,Z94.0,2008-07-15,,admin file\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["reference", "import-ald", str(path)])
    assert result.exit_code == 0, result.output
    assert "ald_diseases: added 1, updated 1" in result.output
    again = runner.invoke(app, ["reference", "import-ald", str(path)])
    assert "ald_diseases: added 0, updated 0" in again.output
    with unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AldDisease)) == 37
        diabetes = session.scalar(select(AldDisease).where(AldDisease.code == "ALD09"))
        assert diabetes.name_fr == "Diabète" and diabetes.updated_by.startswith("cli")
