"""Readers of the reference files: the official drug list (CNOPS/ANAM format) and the ALD list.

Pure functions from bytes to checked rows: nothing here touches the database. Each row is
checked by the file's row model (`DrugRow`, `AldRow`) through daman.core.rows; every row
that cannot be loaded comes back as a `Rejected` with its line number in the file, a
catalogued reason and a sentence, so that an administrator can fix the file, and the
`RowError`s found in it.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator

from daman.core import cells as cell
from daman.core.cells import MISSING, TOO_LONG, refuse
from daman.core.identifiers import ean13_problem
from daman.core.money import MoneyError, parse_mad, parse_rate
from daman.core.rows import WHOLE_ROW, RowError, cells, check_row, csv_records, positions
from daman.reference.errors import BadImportFile
from daman.reference.models import AldKind, DrugType

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
_DRUG_TYPES = {t.value for t in DrugType}

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
_ALD_KINDS = {k.value for k in AldKind}

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refused row as the import's summary shows it. `reason` is catalogued (bad_ean,
    missing_field, bad_price, bad_rate, ...) and `detail` a sentence: those of the row's
    first error, every missing field named together. `errors` are all the row's errors."""

    line: int
    code: str  # the row's CODE (or ALD code) as read, "" when absent
    reason: str
    detail: str
    errors: tuple[RowError, ...] = ()

    @classmethod
    def of(cls, code: str, errors: Sequence[RowError]) -> Rejected:
        first = errors[0]
        missing = [e.field for e in errors if e.kind == MISSING]
        if missing:
            reason, detail = "missing_field", f"{', '.join(missing)} is empty"
        elif first.kind == TOO_LONG:
            reason, detail = TOO_LONG, f"{first.field} is {first.reason}"
        else:
            reason, detail = first.kind, first.reason
        return cls(first.line, code, reason, detail, tuple(errors))

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "code": self.code, "reason": self.reason, "detail": self.detail}


def _present(value: Any) -> Any:
    if value == "":
        raise refuse(MISSING, "is required")
    return value


def _ean(value: Any) -> Any:
    if isinstance(value, str) and (problem := ean13_problem(_present(value))):
        raise refuse("bad_ean", f"CODE {value}: {problem}")
    return value


def _price(column: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            centimes = parse_mad(_present(value))
        except MoneyError:
            raise refuse(
                "bad_price",
                f"{column} {value!r} is not an amount in MAD (digits, at most two decimals)",
            ) from None
        if centimes < 0:
            raise refuse("bad_price", f"{column} {value!r} is negative")
        return centimes

    return BeforeValidator(check)


def _rate(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return parse_rate(_present(value))
    except MoneyError:
        raise refuse(
            "bad_rate",
            f"TAUX_REMBOURSEMENT {value!r} must be a fraction from 0 to 1 "
            "(0.70 reimbursable, 0.00 not)",
        ) from None


class DrugRow(BaseModel):
    """A row of the official drug list (columns are the fields' aliases), in the order its
    checks are reported: a missing field first, then the first problem met."""

    line: int
    code: Annotated[str, Field(alias="CODE"), BeforeValidator(_ean)]
    name: Annotated[str, Field(alias="NOM"), cell.text(300, required=True)]
    dci: Annotated[str, Field(alias="DCI1"), cell.text(300, empty="")]
    dosage: Annotated[str, Field(alias="DOSAGE1"), cell.text(60, empty="")]
    dosage_unit: Annotated[str, Field(alias="UNITE_DOSAGE1"), cell.text(30, empty="")]
    form: Annotated[str, Field(alias="FORME"), cell.text(200, empty="")]
    presentation: Annotated[str, Field(alias="PRESENTATION"), cell.text(300, empty="")]
    ppv_centimes: Annotated[int, Field(alias="PPV"), _price("PPV")]
    ph_centimes: Annotated[int, Field(alias="PH"), _price("PH")]
    base_centimes: Annotated[int, Field(alias="PRIX_BR"), _price("PRIX_BR")]
    rate_bp: Annotated[int, Field(alias="TAUX_REMBOURSEMENT"), BeforeValidator(_rate)]
    princeps_generique: Annotated[
        DrugType,
        Field(alias="PRINCEPS_GENERIQUE"),
        cell.one_of(
            _DRUG_TYPES,
            "PRINCEPS_GENERIQUE {value!r} must be P (brand) or G (generic)",
            kind="bad_type",
            case=str.upper,
            max_length=None,
            empty="",
        ),
    ]

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


def _number(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value or None
    if not (value.isascii() and value.isdigit()):
        raise refuse("bad_number", f"number {value!r} is not a number")
    return int(value)


def _date(*, required: bool) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value:
            return _present(value) if required else None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise refuse("bad_date", "valid_from and valid_to must be YYYY-MM-DD") from None

    return BeforeValidator(check)


class AldRow(BaseModel):
    """A row of an ALD list (the CSV format Daman ships, see data/ald.csv), in the order its
    checks are reported: a missing field first, then the first problem met."""

    line: int
    code: Annotated[str, cell.text(20, required=True)]
    kind: Annotated[
        AldKind,
        cell.one_of(
            _ALD_KINDS,
            "kind {value!r} must be ald or alc",
            kind="bad_kind",
            required=True,
            max_length=None,
        ),
    ]
    number: Annotated[int | None, BeforeValidator(_number)]
    name_fr: Annotated[str, cell.text(None, required=True)]
    name_ar: Annotated[str | None, cell.text(None)]
    icd10: Annotated[str, cell.text(None, empty="")]
    valid_from: Annotated[date, _date(required=True)]
    valid_to: Annotated[date | None, _date(required=False)]
    source: Annotated[str, cell.text(None, empty="")]

    @field_validator("valid_to")
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise refuse("bad_date", "valid_to is before valid_from")
        return value


RowT = TypeVar("RowT", DrugRow, AldRow)


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


def parse_drug_list(raw: bytes, progress: Progress | None = None) -> Parsed[DrugRow]:
    """Check every row of a drug list in the official format; keep the valid ones."""
    return _parse(raw, DrugRow, DRUG_COLUMNS, str.upper, progress)


def parse_ald_list(raw: bytes) -> Parsed[AldRow]:
    """Check every row of an ALD list (the CSV format Daman ships, see data/ald.csv)."""
    return _parse(raw, AldRow, ALD_COLUMNS, str.lower, None)


def _parse(
    raw: bytes,
    model: type[RowT],
    columns: tuple[str, ...],
    case: Callable[[str], str],
    progress: Progress | None,
) -> Parsed[RowT]:
    """Each row checked by `model`, then against the rows before it (a code once only)."""
    text, encoding = decode(raw)
    records = csv_records(io.StringIO(text, newline=""))
    first = next(records, None)
    if first is None:
        raise BadImportFile("the file is empty: expected a header line")
    header = [case(n.strip()) for n in first[1]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise BadImportFile(
            f"line 1: the header lacks column(s) {', '.join(missing)}; expected {','.join(columns)}"
        )
    where, width, key = positions(header, columns), len(header), columns[0]
    body = list(records)
    total = len(body)
    rows: list[RowT] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    for done, (line, record) in enumerate(body, start=1):
        if len(record) != width:
            found = f"expected {width} columns, found {len(record)}"
            error = RowError(line, WHOLE_ROW, found, "column_count")
            rejected.append(Rejected.of(record[0].strip(), [error]))
        else:
            data: dict[str, Any] = cells(record, where)
            code = data[key]
            data["line"] = line
            checked = check_row(model, line, data)
            if checked.row is None:
                rejected.append(Rejected.of(code, checked.errors))
            elif code in first_line:
                again = f"{key} {code} already on line {first_line[code]}"
                rejected.append(Rejected.of(code, [RowError(line, key, again, "duplicate_code")]))
            else:
                rows.append(checked.row)
                first_line[code] = line
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)
    return Parsed(hashlib.sha256(raw).hexdigest(), encoding, total, rows, rejected)
