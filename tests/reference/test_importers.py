"""Drug list and ALD list imports: exact counts, idempotence, list versions by date."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from daman.reference import service
from daman.reference.errors import BadImportFile, OlderDrugList
from daman.reference.importers import import_ald_list, import_drug_file, import_drug_list
from daman.reference.models import AldDisease, Drug, DrugPrice, ImportRun
from tests.conftest import shared_file
from tests.reference.test_parsing import HEADER

REAL = "ref-des-medicaments-cnops-2014.csv"
X, Y, Z = "6118990000017", "6118990000024", "6118990000031"


def drug_list(*rows):
    lines = [HEADER] + [
        f"{code},DRUG {code[-3:]},DCI,1,MG,F,P,{ppv},{ppv},{br},P,0.70" for code, ppv, br in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def load(session, raw, valid_from, name="list.csv"):
    return import_drug_list(session, raw, filename=name, valid_from=valid_from, actor="test:admin")


def count_prices(session):
    return session.scalar(select(func.count()).select_from(DrugPrice))


def test_real_cnops_2014_list(session):
    path = shared_file(REAL)
    result = import_drug_file(session, path, valid_from=date(2014, 6, 1), actor="test:admin")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5917, 5898, 19)
    assert result.rejected_by_reason() == {"bad_ean": 19}
    assert result.encoding == "latin-1"
    assert result.added == {"drugs": 5898, "drug_prices": 5898}
    assert result.closed == 30  # the demo list's prices end on 2014-05-31
    first = result.rejected[0]
    assert (first.line, first.code) == (524, "6118000140213")
    assert first.detail == "CODE 6118000140213: bad EAN check digit 3 (expected 4)"

    drug, _ = service.drug_price_at(session, "6118000032182", date(2014, 6, 1))
    assert (drug.name, drug.dosage_unit) == ("HYDROXO 5000", "µG")
    assert service.drug_price_at(session, "6118001183654", date(2015, 1, 1))[0].name == (
        "CLARELUX 500 µG"
    )
    _, hospital_only = service.drug_price_at(session, "6118001184187", date(2015, 1, 1))
    assert (hospital_only.ppv_centimes, hospital_only.ph_centimes) == (0, 5846500)
    _, brand = service.drug_price_at(session, "6118000060451", date(2015, 1, 1))
    assert (brand.ppv_centimes, brand.base_centimes, brand.rate_bp) == (740, 560, 7000)
    assert service.drug_price_at(session, "6118000140213", date(2015, 1, 1)) is None
    assert service.drug_price_at(session, X, date(2014, 5, 31)) is not None
    assert service.drug_price_at(session, X, date(2014, 6, 1)) is None

    run = session.get(ImportRun, result.run_id)
    assert (run.kind, run.rows_read, run.rows_loaded, run.rows_rejected) == (
        "drugs",
        5917,
        5898,
        19,
    )
    assert run.created_by == "test:admin" and len(run.sha256) == 64
    assert len(json.loads(run.report)["rejected"]) == 19

    before = count_prices(session)
    again = import_drug_file(session, path, valid_from=date(2014, 6, 1), actor="test:admin")
    assert again.added == {"drugs": 0, "drug_prices": 0}
    assert again.updated == {"drugs": 0, "drug_prices": 0}
    assert (again.unchanged, again.closed) == (5898, 0)
    assert count_prices(session) == before


def test_a_newer_list_closes_earlier_prices_the_day_before(session):
    first = load(session, drug_list((X, "10.00", "10.00"), (Y, "20.00", "15.00")), date(2020, 1, 1))
    assert first.closed == 30  # every demo price, listed or not, ends on 2019-12-31
    newer = load(session, drug_list((X, "11.00", "11.00"), (Z, "30.00", "30.00")), date(2021, 1, 1))
    assert newer.closed == 2  # X and Y of the 2020 list
    assert newer.added == {"drugs": 0, "drug_prices": 2}  # the codes are the demo's

    def base(code, on):
        found = service.drug_price_at(session, code, on)
        return found[1].base_centimes if found else None

    assert base(X, date(2020, 12, 31)) == 1000 and base(X, date(2021, 1, 1)) == 1100
    assert base(Y, date(2020, 12, 31)) == 1500 and base(Y, date(2021, 1, 1)) is None
    assert base(Z, date(2020, 12, 31)) is None and base(Z, date(2021, 1, 1)) == 3000
    assert base(X, date(2010, 1, 1)) == 1850  # the demo list still prices old care


def test_an_older_list_is_refused(session):
    load(session, drug_list((X, "10.00", "10.00")), date(2020, 1, 1))
    before = count_prices(session)
    with pytest.raises(OlderDrugList, match="valid from 2020-01-01 is in force"):
        load(session, drug_list((X, "9.00", "9.00")), date(2019, 12, 31))
    assert count_prices(session) == before


def counts(session):
    return [
        session.scalar(select(func.count()).select_from(m))
        for m in (Drug, DrugPrice, AldDisease, ImportRun)
    ]


def test_a_refused_file_writes_nothing(session):
    before = counts(session)
    with pytest.raises(BadImportFile, match="lacks column"):
        load(session, f"CODE,NOM\n{X},X\n".encode(), date(2030, 1, 1))
    with pytest.raises(BadImportFile, match="empty"):
        load(session, b"", date(2030, 1, 1))
    with pytest.raises(BadImportFile, match="lacks column"):
        import_ald_list(session, b"code,name\nALC09,X\n", filename="a.csv", actor="test:admin")
    assert counts(session) == before


def test_bad_cells_are_refused_and_reported_good_rows_load(session):
    raw = drug_list((X, "10.00", "10.00"), (Y, "ten", "10.00"))
    result = load(session, raw, date(2030, 1, 1))
    assert (result.rows_read, result.rows_loaded, result.added["drug_prices"]) == (2, 1, 1)
    [refused] = result.rejected
    assert [(e.line, e.field, e.reason) for e in refused.errors] == [
        (3, "PPV", "PPV 'ten' is not an amount in MAD (digits, at most two decimals)"),
        (3, "PH", "PH 'ten' is not an amount in MAD (digits, at most two decimals)"),
    ]
    run = session.get(ImportRun, result.run_id)
    assert json.loads(run.report)["rejected"] == [
        {"line": 3, "code": Y, "reason": "bad_price", "detail": refused.detail}
    ]


def test_same_date_corrects_and_completes_the_list(session):
    load(session, drug_list((X, "10.00", "10.00")), date(2020, 1, 1))
    fixed = load(session, drug_list((X, "10.50", "10.50"), (Y, "5.00", "5.00")), date(2020, 1, 1))
    assert fixed.added["drug_prices"] == 1 and fixed.updated["drug_prices"] == 1
    assert service.drug_price_at(session, X, date(2020, 6, 1))[1].ppv_centimes == 1050


def test_drug_descriptions_follow_the_latest_list(session):
    raw = drug_list((X, "10.00", "10.00")).replace(b"DRUG 017", b"RENAMED")
    result = load(session, raw, date(2020, 1, 1))
    assert result.updated["drugs"] == 1
    assert service.drug_price_at(session, X, date(2020, 1, 1))[0].name == "RENAMED"


ALD = "code,number,kind,name_fr,name_ar,icd10,valid_from,valid_to,source\n"


def test_ald_import_is_idempotent_and_updates_by_code(session):
    raw = (ALD + "ALC01,,alc,Greffe rénale,,Z94.0,2008-07-15,,test\n").encode()
    first = import_ald_list(session, raw, filename="alc.csv", actor="test:admin")
    assert first.added == {"ald_diseases": 1} and first.run_id is not None
    again = import_ald_list(session, raw, filename="alc.csv", actor="test:admin")
    assert again.added == {"ald_diseases": 0} and again.updated == {"ald_diseases": 0}
    changed = raw.replace(b"Greffe r\xc3\xa9nale", b"Greffe de rein")
    assert import_ald_list(session, changed, filename="alc.csv", actor="t").updated == {
        "ald_diseases": 1
    }
    alc = session.scalar(select(AldDisease).where(AldDisease.code == "ALC01"))
    assert (alc.name_fr, alc.kind, alc.number) == ("Greffe de rein", "alc", None)
    assert [a.code for a in service.ald_list(session, date(2008, 7, 14))].count("ALC01") == 0
    assert "ALC01" in [a.code for a in service.ald_list(session, date(2008, 7, 15))]
