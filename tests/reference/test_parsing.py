"""Reading the official drug list format and the ALD list: every bad row reported by line."""

import pytest

from daman.core.rows import RowError
from daman.reference.errors import BadImportFile
from daman.reference.parsing import decode, parse_ald_list, parse_drug_list

HEADER = (
    "CODE,NOM,DCI1,DOSAGE1,UNITE_DOSAGE1,FORME,PRESENTATION,PPV,PH,PRIX_BR,"
    "PRINCEPS_GENERIQUE,TAUX_REMBOURSEMENT"
)
GOOD = (
    "6118990000017,GLUCADEM 850 MG,METFORMINE,850,MG,COMPRIME,1 BOITE 30,32.00,21.20,18.50,P,0.70"
)


def csv_bytes(*lines, encoding="utf-8"):
    return ("\n".join((HEADER, *lines)) + "\n").encode(encoding)


def test_a_good_row():
    parsed = parse_drug_list(csv_bytes(GOOD))
    assert parsed.rows_read == 1 and not parsed.rejected
    row = parsed.rows[0]
    assert (row.line, row.code, row.name) == (2, "6118990000017", "GLUCADEM 850 MG")
    assert (row.ppv_centimes, row.ph_centimes, row.base_centimes, row.rate_bp) == (
        3200,
        2120,
        1850,
        7000,
    )


def test_bad_rows_are_reported_with_line_and_reason():
    parsed = parse_drug_list(
        csv_bytes(
            GOOD,
            "6118990000018,BAD EAN,X,1,MG,F,P,1.00,1.00,1.00,G,0.70",
            "6118990000024,PRICE,X,1,MG,F,P,abc,1.00,1.00,G,0.70",
            "6118990000031,,X,1,MG,F,P,1.00,1.00,1.00,G,0.70",
            "6118990000048,SHORT,X,1,MG,F,P,1.00,1.00,1.00,G",
            "6118990000055,RATE,X,1,MG,F,P,1.00,1.00,1.00,G,70",
            "6118990000017,DUPLICATE,X,1,MG,F,P,1.00,1.00,1.00,G,0.70",
            "6118990000062,KIND,X,1,MG,F,P,1.00,1.00,1.00,X,0.70",
            "6118990000079,NEGATIVE,X,1,MG,F,P,-1.00,1.00,1.00,G,0.70",
            "",
            "61189900000,SHORTCODE,X,1,MG,F,P,1.00,1.00,1.00,G,0.70",
            "6118990000086,CENTIMES,X,1,MG,F,P,1.005,1.00,1.00,G,0.70",
        )
    )
    assert [r.code for r in parsed.rows] == ["6118990000017"]
    got = [(r.line, r.reason) for r in parsed.rejected]
    assert got == [
        (3, "bad_ean"),
        (4, "bad_price"),
        (5, "missing_field"),
        (6, "column_count"),
        (7, "bad_rate"),
        (8, "duplicate_code"),
        (9, "bad_type"),
        (10, "bad_price"),
        (12, "bad_ean"),
        (13, "bad_price"),
    ]
    detail = {r.line: r.detail for r in parsed.rejected}
    assert detail[3] == "CODE 6118990000018: bad EAN check digit 8 (expected 7)"
    assert detail[4] == "PPV 'abc' is not an amount in MAD (digits, at most two decimals)"
    assert detail[5] == "NOM is empty"
    assert detail[6] == "expected 12 columns, found 11"
    assert "0.70 reimbursable" in detail[7]
    assert detail[8] == "CODE 6118990000017 already on line 2"
    assert parsed.rows_read == 11  # the blank line is not a row


def test_a_bad_cell_is_reported_with_its_line_field_and_reason():
    parsed = parse_drug_list(
        csv_bytes(
            GOOD,
            "6118990000024,TWO BAD,X,1,MG,F,P,abc,1.00,1.00,Z,0.70",
            "6118990000031,,X,1,MG,F,P,,1.00,1.00,G,0.70",
        )
    )
    two, missing = parsed.rejected
    assert (two.line, two.code, two.reason) == (3, "6118990000024", "bad_price")
    assert two.detail == "PPV 'abc' is not an amount in MAD (digits, at most two decimals)"
    assert two.errors == (  # the summary names the first; every bad cell is kept
        RowError(3, "PPV", two.detail, "bad_price"),
        RowError(
            3,
            "PRINCEPS_GENERIQUE",
            "PRINCEPS_GENERIQUE 'Z' must be P (brand) or G (generic)",
            "bad_type",
        ),
    )
    assert (missing.line, missing.reason, missing.detail) == (
        4,
        "missing_field",
        "NOM, PPV is empty",
    )
    assert [(e.field, e.reason) for e in missing.errors] == [
        ("NOM", "is required"),
        ("PPV", "is required"),
    ]
    assert parsed.rows[0].princeps_generique == "P" and len(parsed.rows) == 1


def test_latin1_is_detected_and_the_micro_sign_read():
    line = (
        "6118990000017,THYRODEM 100 µG,LEVOTHYROXINE,100,µG,COMPRIME,1 BOITE,"
        "24.50,16.20,24.50,P,0.70"
    )
    parsed = parse_drug_list(csv_bytes(line, encoding="latin-1"))
    assert parsed.encoding == "latin-1"
    assert parsed.rows[0].name == "THYRODEM 100 µG" and parsed.rows[0].dosage_unit == "µG"
    assert parse_drug_list(csv_bytes(line)).encoding == "utf-8"
    assert decode("\ufeffCODE".encode())[0] == "CODE"


def test_a_quoted_field_on_two_lines_keeps_line_numbers():
    two_lines = '6118990000024,"NAME ON\nTWO LINES",X,1,MG,F,P,1.00,1.00,1.00,G,0.70'
    parsed = parse_drug_list(csv_bytes(two_lines, "6118990000018,BAD,X,1,MG,F,P,1,1,1,G,0.70"))
    assert parsed.rows[0].line == 2
    assert parsed.rejected[0].line == 4


def test_wrong_header_is_refused():
    with pytest.raises(BadImportFile, match="lacks column"):
        parse_drug_list(b"CODE,NAME\n6118990000017,X\n")
    with pytest.raises(BadImportFile, match="empty"):
        parse_drug_list(b"")


def test_ald_rows():
    raw = (
        "code,number,kind,name_fr,name_ar,icd10,valid_from,valid_to,source\n"
        "ALD09,9,ald,Diabète,,E10-E14,2005-09-05,,S1\n"
        "ALD99,x,ald,Bad number,,,2005-09-05,,S1\n"
        "ALD98,98,xyz,Bad kind,,,2005-09-05,,S1\n"
        "ALD97,97,alc,Bad date,,,05/09/2005,,S1\n"
        "ALD09,9,ald,Again,,,2005-09-05,,S1\n"
    ).encode()
    parsed = parse_ald_list(raw)
    assert [r.code for r in parsed.rows] == ["ALD09"]
    assert parsed.rows[0].name_fr == "Diabète" and parsed.rows[0].name_ar is None
    assert [(r.line, r.reason) for r in parsed.rejected] == [
        (3, "bad_number"),
        (4, "bad_kind"),
        (5, "bad_date"),
        (6, "duplicate_code"),
    ]
    assert [e for r in parsed.rejected for e in r.errors] == [
        RowError(3, "number", "number 'x' is not a number", "bad_number"),
        RowError(4, "kind", "kind 'xyz' must be ald or alc", "bad_kind"),
        RowError(5, "valid_from", "valid_from and valid_to must be YYYY-MM-DD", "bad_date"),
        RowError(6, "code", "code ALD09 already on line 2", "duplicate_code"),
    ]


def test_ald_dates_in_order_and_numbers_in_digits():
    raw = (
        "code,number,kind,name_fr,name_ar,icd10,valid_from,valid_to,source\n"
        "ALD01,1,ald,Ends before it starts,,,2005-09-05,2005-09-04,S1\n"
        "ALD02,²,ald,Not a digit a number is made of,,,2005-09-05,,S1\n"
        "ALD03,3,ald,Fine,,,2005-09-05,2005-09-05,S1\n"
    ).encode()
    parsed = parse_ald_list(raw)
    assert [r.code for r in parsed.rows] == ["ALD03"]
    assert [e for r in parsed.rejected for e in r.errors] == [
        RowError(2, "valid_to", "valid_to is before valid_from", "bad_date"),
        RowError(3, "number", "number '²' is not a number", "bad_number"),
    ]
