"""The paper care sheet form as an agent fills it in, and the care sheet it stands for.

A sheet is a few fields (patient, deposit date, ALD code) and rows of line fields, posted
as repeated names (one ``provider`` per row ...). ``draft(sheet)`` reads it into the API's
``ClaimIn`` (channel agency), or says what is wrong, field by field: a row left blank is
left out; numbers and dates accept Eastern Arabic digits (daman.core.text.western_digits);
an amount is written in MAD (150, 150.50 or 150,50). The service's own refusals
(``ValidationFailed`` naming ``lines[0].provider_inpe``) are named the same way by
``refused``. Every message names the field and says what to write, in the reader's
language (``Problem.text``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from daman.claims.models import Channel
from daman.claims.schemas import ClaimIn
from daman.core.enums import CareCategory
from daman.core.errors import FieldError
from daman.core.i18n import N_
from daman.core.money import MoneyError, parse_mad
from daman.core.text import western_digits

MAX_LINES = 30  # rows of one paper sheet
FIRST_LINES = 2  # rows of a new sheet

# What each field is called, and what to write in it when it is refused.
LABELS = {
    "patient": N_("Patient's immatriculation"),
    "deposit_date": N_("Deposit date"),
    "ald_code": N_("ALD code (if any)"),
    "agency": N_("Agency"),
    "lines": N_("Lines"),
    "files": N_("Scans of the sheet"),
    "category": N_("Kind of care"),
    "care_date": N_("Care date"),
    "provider": N_("Provider (INPE)"),
    "act_key": N_("Act key"),
    "coefficient": N_("Coefficient"),
    "drug": N_("Medicine (EAN)"),
    "quantity": N_("Units"),
    "charged": N_("Charged (MAD)"),
    "prescriber": N_("Prescriber (INPE)"),
    "prescribed_on": N_("Prescription date"),
    "key": N_("Care sheet"),
}
ADVICE = {
    "patient": N_(
        "Write the 12 characters of an insured person's immatriculation, for example DM0000000194."
    ),
    "deposit_date": N_(
        "Write the day the sheet was handed in (YYYY-MM-DD): today or earlier, and not "
        "before a date of care."
    ),
    "ald_code": N_("Write a code of the ALD list, for example ALD09, or leave it empty."),
    "agency": N_(
        "Your account belongs to no agency: an administrator must attach it to one before "
        "you save a paper care sheet."
    ),
    "lines": N_(
        "Fill in at least one line; all the lines together must stay within the fund's "
        "limit for one care sheet."
    ),
    "files": N_("Attach at most 10 scans, each a PDF, JPEG or PNG file within the size limit."),
    "category": N_("Choose the kind of care."),
    "care_date": N_("Write the date of care (YYYY-MM-DD): today or earlier."),
    "provider": N_("Write the INPE of a provider practising on the date of care."),
    "act_key": N_(
        "Write a key of the reference tariff (C, Cs, K, B …) for this kind of care; a "
        "medicine line has none."
    ),
    "coefficient": N_(
        "Write the coefficient as a number above 0 with at most 3 decimals, for example "
        "22.5; a medicine line has none."
    ),
    "drug": N_(
        "Write the 13-digit EAN of a medicine on the reference list; only a medicine line has one."
    ),
    "quantity": N_(
        "Write a whole number of units: at least 1, and within the fund's limit for a line."
    ),
    "charged": N_(
        "Write the amount charged in MAD, for example 150 or 150.50: more than 0 and within "
        "the fund's limits."
    ),
    "prescriber": N_("Write the INPE of the prescribing doctor: a medicine line needs it."),
    "prescribed_on": N_(
        "Write the prescription date (YYYY-MM-DD), on or before the date of care: a "
        "medicine line needs it."
    ),
    "key": N_(
        "This form was saved already, with other lines: it now stands for a new care sheet; "
        "check it, then save it again."
    ),
}
# The API's name of a line's field -> the form's.
LINE_FIELD_OF = {
    "category": "category",
    "care_date": "care_date",
    "provider_inpe": "provider",
    "act_key": "act_key",
    "coefficient": "coefficient",
    "drug_code": "drug",
    "quantity": "quantity",
    "charged_centimes": "charged",
    "prescriber_inpe": "prescriber",
    "prescription_date": "prescribed_on",
    "ald_code": "ald_code",
}
HEAD_FIELDS = ("key", "agency", "patient", "deposit_date", "ald_code", "lines", "files")
_LINE_FIELD = re.compile(r"^lines(?:\[(\d+)\]|\.(\d+))\.(\w+)")


@dataclass
class Line:
    """One row as typed (every value a text)."""

    category: str = CareCategory.CONSULTATION.value
    care_date: str = ""
    provider: str = ""
    act_key: str = ""
    coefficient: str = ""
    drug: str = ""
    quantity: str = "1"
    charged: str = ""
    prescriber: str = ""
    prescribed_on: str = ""

    @property
    def blank(self) -> bool:
        typed = (self.provider, self.act_key, self.coefficient, self.drug, self.charged)
        return not any(v.strip() for v in (*typed, self.prescriber))


LINE_FIELDS = tuple(f.name for f in fields(Line))


@dataclass
class Sheet:
    patient: str = ""
    deposit_date: str = ""
    ald_code: str = ""
    key: str = ""  # the Idempotency-Key of this sheet: a second click stores nothing twice
    lines: list[Line] = field(default_factory=list)


def sheet_of(
    patient: str, deposit_date: str, ald_code: str, key: str, columns: dict[str, list[str]]
) -> Sheet:
    """A sheet from posted values: ``columns`` holds each line field's values, row by row."""
    rows = min(MAX_LINES, max((len(v) for v in columns.values()), default=0))

    def cell(name: str, i: int) -> str:
        values = columns.get(name, [])
        return values[i] if i < len(values) else getattr(Line(), name)

    lines = [Line(**{name: cell(name, i) for name in LINE_FIELDS}) for i in range(rows)]
    return Sheet(patient, deposit_date, ald_code, key, lines)


@dataclass(frozen=True)
class Problem:
    """A refused field: its anchor in the page (``patient``, ``line-2-provider``), and the
    row (counted from 1) and field it names."""

    anchor: str
    name: str
    row: int | None = None

    def text(self, gettext: Callable[[str], str]) -> str:
        where = gettext(LABELS[self.name])
        if self.row is not None:
            where = gettext("Line %(n)s") % {"n": self.row} + " · " + where
        return f"{where}: {gettext(ADVICE[self.name])}"

    @property
    def advice(self) -> str:
        return ADVICE[self.name]


def head_problem(name: str) -> Problem:
    return Problem(name, name)


def line_problem(row: int, name: str) -> Problem:
    """A field of the row at this index of the form (0-based)."""
    return Problem(f"line-{row}-{name}", name, row + 1)


def _digits(value: str) -> str:
    return western_digits(value).strip()


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(_digits(value))
    except ValueError:
        return None


@dataclass
class Drafted:
    """The care sheet read from the form, or what is wrong with it; ``rows``: the form's
    row of each line of the draft (blank rows are left out)."""

    claim: ClaimIn | None
    problems: list[Problem]
    rows: list[int]


def draft(sheet: Sheet) -> Drafted:
    problems: list[Problem] = []
    rows = [i for i, ln in enumerate(sheet.lines) if not ln.blank]
    patient = _digits(sheet.patient).upper()
    if not patient:
        problems.append(head_problem("patient"))
    deposit = _date(sheet.deposit_date)
    if deposit is None:
        problems.append(head_problem("deposit_date"))
    if not rows:
        problems.append(head_problem("lines"))
    lines = []
    for i in rows:
        line, bad = _line(sheet.lines[i])
        problems += [line_problem(i, name) for name in bad]
        lines.append(line)
    if problems:
        return Drafted(None, problems, rows)
    body = {
        "patient": patient,
        "channel": Channel.AGENCY,
        "deposit_date": deposit,
        "ald_code": _digits(sheet.ald_code).upper() or None,
        "lines": lines,
    }
    try:
        return Drafted(ClaimIn.model_validate(body), [], rows)
    except ValidationError as exc:
        found = [
            FieldError(field=".".join(str(p) for p in e["loc"]), reason="") for e in exc.errors()
        ]
        return Drafted(None, refused(found, rows), rows)


def _line(line: Line) -> tuple[dict[str, object], list[str]]:
    """The API's line from a row, and the names of the fields that cannot be read."""
    bad: list[str] = []
    out: dict[str, object] = {}
    if line.category not in CareCategory.__members__.values():
        bad.append("category")
    out["category"] = line.category
    if (care := _date(line.care_date)) is None:
        bad.append("care_date")
    out["care_date"] = care
    if not (provider := _digits(line.provider)):
        bad.append("provider")
    out["provider_inpe"] = provider
    out["act_key"] = line.act_key.strip() or None
    coefficient = _digits(line.coefficient).replace(",", ".")
    if coefficient:
        try:
            out["coefficient"] = Decimal(coefficient)
        except InvalidOperation:
            bad.append("coefficient")
    out["drug_code"] = _digits(line.drug) or None
    quantity = _digits(line.quantity) or "1"
    if quantity.isdigit():
        out["quantity"] = int(quantity)
    else:
        bad.append("quantity")
    try:
        out["charged_centimes"] = parse_mad(_digits(line.charged).replace("٬", ""))
    except MoneyError:
        bad.append("charged")
    out["prescriber_inpe"] = _digits(line.prescriber) or None
    if line.prescribed_on.strip():
        if (prescribed := _date(line.prescribed_on)) is None:
            bad.append("prescribed_on")
        out["prescription_date"] = prescribed
    return out, bad


def refused(errors: Sequence[FieldError], rows: Sequence[int]) -> list[Problem]:
    """The service's refusals (``lines[1].provider_inpe``, ``deposit_date``) as the form's
    problems, each once, in the order of the form."""
    found: dict[str, Problem] = {}
    for error in errors:
        problem = _problem(error.field, rows)
        found.setdefault(problem.anchor, problem)
    order = {name: n for n, name in enumerate((*HEAD_FIELDS, *LINE_FIELDS))}
    return sorted(found.values(), key=lambda p: (p.row or 0, order.get(p.name, 99)))


def _problem(name: str, rows: Sequence[int]) -> Problem:
    if m := _LINE_FIELD.match(name):
        index = int(m.group(1) or m.group(2))
        form_field = LINE_FIELD_OF.get(m.group(3))
        if form_field == "ald_code":
            return head_problem("ald_code")
        if form_field is not None and index < len(rows):
            return line_problem(rows[index], form_field)
        return head_problem("lines")
    head = name.split(".")[0].split("[")[0]
    return head_problem(head if head in HEAD_FIELDS else "lines")
