"""Readers of the reference files: the official drug list (CNOPS/ANAM format) and the ALD list.

Pure functions from bytes to checked rows: nothing here touches the database. Every row
that cannot be loaded comes back as a `Rejected` with its line number in the file, a
catalogued reason and a sentence, so that an administrator can fix the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from daman.core.identifiers import ean13_problem
from daman.core.money import MoneyError, parse_mad, parse_rate
from daman.reference.errors import BadImportFile

DRUG_COLUMNS = (
    "CODE",
    "NOM",
    "DCI1",
    "DOSAGE1",
    "UNITE_DOSAGE1",
    "FORME",
    "PRESENTATION",
    "PPV",
    "PH",
    "PRIX_BR",
    "PRINCEPS_GENERIQUE",
    "TAUX_REMBOURSEMENT",
)
# Longest text each column may hold (the sizes of the drugs table).
_MAX_LEN = {
    "NOM": 300,
    "DCI1": 300,
    "DOSAGE1": 60,
    "UNITE_DOSAGE1": 30,
    "FORME": 200,
    "PRESENTATION": 300,
}
_REQUIRED = ("CODE", "NOM", "PPV", "PH", "PRIX_BR", "TAUX_REMBOURSEMENT")

ALD_COLUMNS = (
    "code",
    "number",
    "kind",
    "name_fr",
    "name_ar",
    "icd10",
    "valid_from",
    "valid_to",
    "source",
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    code: str  # the row's CODE (or ALD code) as read, "" when absent
    reason: str  # catalogued: bad_ean, missing_field, bad_price, bad_rate, ...
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "code": self.code, "reason": self.reason, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class DrugRow:
    line: int
    code: str
    name: str
    dci: str
    dosage: str
    dosage_unit: str
    form: str
    presentation: str
    ppv_centimes: int
    ph_centimes: int
    base_centimes: int
    princeps_generique: str
    rate_bp: int

    def attributes(self) -> dict[str, str]:
        return {
            "name": self.name,
            "dci": self.dci,
            "dosage": self.dosage,
            "dosage_unit": self.dosage_unit,
            "form": self.form,
            "presentation": self.presentation,
            "princeps_generique": self.princeps_generique,
        }

    def prices(self) -> dict[str, int]:
        return {
            "ppv_centimes": self.ppv_centimes,
            "ph_centimes": self.ph_centimes,
            "base_centimes": self.base_centimes,
            "rate_bp": self.rate_bp,
        }


@dataclass(frozen=True, slots=True)
class AldRow:
    line: int
    code: str
    number: int | None
    kind: str
    name_fr: str
    name_ar: str | None
    icd10: str
    valid_from: date
    valid_to: date | None
    source: str


RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Parsed(Generic[RowT]):
    sha256: str
    encoding: str
    rows_read: int
    rows: list[RowT]
    rejected: list[Rejected]


def decode(raw: bytes) -> tuple[str, str]:
    """The text of a file and the encoding used: UTF-8 (with or without BOM), else Latin-1.

    The official drug list is published in Latin-1 (the micro sign is byte 0xB5); any byte
    sequence that is not valid UTF-8 is read as Latin-1, which cannot fail.
    """
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line number where each starts; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    previous = 0
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if record and any(field.strip() for field in record):
            yield start, record


def _header(
    records: Iterator[tuple[int, list[str]]], expected: tuple[str, ...], *, upper: bool
) -> tuple[dict[str, int], int]:
    """Where each expected column sits, and how many columns every row must have."""
    first = next(records, None)
    if first is None:
        raise BadImportFile("the file is empty: expected a header line")
    names = [(n.strip().upper() if upper else n.strip().lower()) for n in first[1]]
    missing = [c for c in expected if c not in names]
    if missing:
        raise BadImportFile(
            f"line 1: the header lacks column(s) {', '.join(missing)}; "
            f"expected {','.join(expected)}"
        )
    return {c: names.index(c) for c in expected}, len(names)


def parse_drug_list(raw: bytes, progress: Progress | None = None) -> Parsed[DrugRow]:
    """Check every row of a drug list in the official format; keep the valid ones."""
    text, encoding = decode(raw)
    records = _records(text)
    index, width = _header(records, DRUG_COLUMNS, upper=True)
    body = list(records)
    rows: list[DrugRow] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    total = len(body)
    for done, (line, record) in enumerate(body, start=1):
        row = _drug_row(line, record, index, width, first_line)
        if isinstance(row, Rejected):
            rejected.append(row)
        else:
            rows.append(row)
            first_line[row.code] = line
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)
    return Parsed(hashlib.sha256(raw).hexdigest(), encoding, total, rows, rejected)


def _drug_row(
    line: int, record: list[str], index: dict[str, int], width: int, first_line: dict[str, int]
) -> DrugRow | Rejected:
    code = record[0].strip() if record else ""
    if len(record) != width:
        return Rejected(
            line, code, "column_count", f"expected {width} columns, found {len(record)}"
        )
    value = {c: record[i].strip() for c, i in index.items()}
    code = value["CODE"]
    missing = [c for c in _REQUIRED if not value[c]]
    if missing:
        return Rejected(line, code, "missing_field", f"{', '.join(missing)} is empty")
    if problem := ean13_problem(code):
        return Rejected(line, code, "bad_ean", f"CODE {code}: {problem}")
    for column, limit in _MAX_LEN.items():
        if len(value[column]) > limit:
            return Rejected(line, code, "too_long", f"{column} is longer than {limit} characters")
    prices: dict[str, int] = {}
    for column in ("PPV", "PH", "PRIX_BR"):
        try:
            prices[column] = parse_mad(value[column])
        except MoneyError:
            return Rejected(
                line,
                code,
                "bad_price",
                f"{column} {value[column]!r} is not an amount in MAD "
                "(digits, at most two decimals)",
            )
        if prices[column] < 0:
            return Rejected(line, code, "bad_price", f"{column} {value[column]!r} is negative")
    try:
        rate_bp = parse_rate(value["TAUX_REMBOURSEMENT"])
    except MoneyError:
        return Rejected(
            line,
            code,
            "bad_rate",
            f"TAUX_REMBOURSEMENT {value['TAUX_REMBOURSEMENT']!r} must be a fraction "
            "from 0 to 1 (0.70 reimbursable, 0.00 not)",
        )
    kind = value["PRINCEPS_GENERIQUE"].upper()
    if kind not in ("P", "G", ""):
        return Rejected(
            line, code, "bad_type", f"PRINCEPS_GENERIQUE {kind!r} must be P (brand) or G (generic)"
        )
    if code in first_line:
        return Rejected(
            line, code, "duplicate_code", f"CODE {code} already on line {first_line[code]}"
        )
    return DrugRow(
        line=line,
        code=code,
        name=value["NOM"],
        dci=value["DCI1"],
        dosage=value["DOSAGE1"],
        dosage_unit=value["UNITE_DOSAGE1"],
        form=value["FORME"],
        presentation=value["PRESENTATION"],
        ppv_centimes=prices["PPV"],
        ph_centimes=prices["PH"],
        base_centimes=prices["PRIX_BR"],
        princeps_generique=kind,
        rate_bp=rate_bp,
    )


def parse_ald_list(raw: bytes) -> Parsed[AldRow]:
    """Check every row of an ALD list (the CSV format Daman ships, see data/ald.csv)."""
    text, encoding = decode(raw)
    records = _records(text)
    index, width = _header(records, ALD_COLUMNS, upper=False)
    rows: list[AldRow] = []
    rejected: list[Rejected] = []
    seen: dict[str, int] = {}
    total = 0
    for line, record in records:
        total += 1
        row = _ald_row(line, record, index, width, seen)
        if isinstance(row, Rejected):
            rejected.append(row)
        else:
            rows.append(row)
            seen[row.code] = line
    return Parsed(hashlib.sha256(raw).hexdigest(), encoding, total, rows, rejected)


def _ald_row(
    line: int, record: list[str], index: dict[str, int], width: int, seen: dict[str, int]
) -> AldRow | Rejected:
    code = record[0].strip() if record else ""
    if len(record) != width:
        return Rejected(
            line, code, "column_count", f"expected {width} columns, found {len(record)}"
        )
    value = {c: record[i].strip() for c, i in index.items()}
    code = value["code"]
    missing = [c for c in ("code", "kind", "name_fr", "valid_from") if not value[c]]
    if missing:
        return Rejected(line, code, "missing_field", f"{', '.join(missing)} is empty")
    if len(code) > 20:
        return Rejected(line, code, "too_long", "code is longer than 20 characters")
    if value["kind"] not in ("ald", "alc"):
        return Rejected(line, code, "bad_kind", f"kind {value['kind']!r} must be ald or alc")
    number: int | None = None
    if value["number"]:
        if not value["number"].isdigit():
            return Rejected(line, code, "bad_number", f"number {value['number']!r} is not a number")
        number = int(value["number"])
    try:
        valid_from = date.fromisoformat(value["valid_from"])
        valid_to = date.fromisoformat(value["valid_to"]) if value["valid_to"] else None
    except ValueError:
        return Rejected(line, code, "bad_date", "valid_from and valid_to must be YYYY-MM-DD")
    if valid_to is not None and valid_to < valid_from:
        return Rejected(line, code, "bad_date", "valid_to is before valid_from")
    if code in seen:
        return Rejected(line, code, "duplicate_code", f"code {code} already on line {seen[code]}")
    return AldRow(
        line=line,
        code=code,
        number=number,
        kind=value["kind"],
        name_fr=value["name_fr"],
        name_ar=value["name_ar"] or None,
        icd10=value["icd10"],
        valid_from=valid_from,
        valid_to=valid_to,
        source=value["source"],
    )
