"""Declarations: a payer's file of the month, one row per member, and the call it makes.

An employer declares its employees (CNSS_SAL); a paying administration its civil servants
and pensioners (CNOPS, one file per administration); a pension payer its pensioners. The
fund's own bulk file (the month of many employers) names each row's employer.

Format: UTF-8 CSV, comma or semicolon, one header line:

| column | required | meaning |
|---|---|---|
| immatriculation | yes | the member's immatriculation |
| gross_wage | yes | the month's base in MAD (gross pay, pension), e.g. 5230.50 |
| days | CNSS_SAL employees | days declared in the month, 0 to 31 |
| kind | no | employee (default), group_cover, pensioner, voluntary (CNSS_SAL); |
| | | active (default), pensioner (CNOPS) |
| employer | bulk file | the employer's CNSS number |

Each row is checked (cells, then the registry: the person exists and is affiliated to the
regime in the month, and was not declared yet this month by the same payer); every row
refused is reported with its line, field and reason, the others are loaded, all in the
caller's transaction: a call per payer with its lines and ledger entry, nothing half
written. The same file again changes nothing (it answers what it did the first time); a
second, different file of the month is a complementary declaration (a second call) for
the members not declared yet.

The cells of millions of rows are checked column by column with Polars; the rows it
refuses go through the row model (`DeclarationRow`, the same rules and messages as every
import, daman.core.rows), which words each error. A test holds the two in step.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts
from daman.contributions.collection.issue import issue
from daman.contributions.collection.lookup import persons_of
from daman.contributions.collection.models import Declaration
from daman.contributions.collection.rules_in_force import rules_in_force
from daman.contributions.collection.shares import with_shares
from daman.contributions.ledger import posting
from daman.contributions.ledger.models import Call, CallLine, PayerAccount
from daman.contributions.ledger.repository import among, among_texts, chunks
from daman.core import cells
from daman.core.bulk import copy_insert
from daman.core.dates import now, today
from daman.core.enums import RegimeCode
from daman.core.errors import ValidationFailed
from daman.core.rows import RowError, check_row, csv_records, delimiter_of
from daman.reference.contribution_rules import MemberKind
from daman.registry.models import Employer

REQUIRED = ("immatriculation", "gross_wage")
OPTIONAL = ("days", "kind", "employer")
KINDS: dict[str, tuple[MemberKind, ...]] = {
    RegimeCode.CNSS_SAL: (
        MemberKind.EMPLOYEE,
        MemberKind.GROUP_COVER,
        MemberKind.PENSIONER,
        MemberKind.VOLUNTARY,
    ),
    RegimeCode.CNOPS: (MemberKind.ACTIVE, MemberKind.PENSIONER),
}
DEFAULT_KIND: dict[str, MemberKind] = {
    RegimeCode.CNSS_SAL: MemberKind.EMPLOYEE,
    RegimeCode.CNOPS: MemberKind.ACTIVE,
}
DAYS_REQUIRED = frozenset({MemberKind.EMPLOYEE, MemberKind.GROUP_COVER})
DECLARED_KINDS = sorted({k.value for ks in KINDS.values() for k in ks})
WAGE = r"^[0-9]{1,12}(?:[.,][0-9]{1,2})?$"
MAX_STORED_ERRORS = 1_000


def wage() -> BeforeValidator:
    """A required amount in MAD, digits with at most two decimals (point or comma), as
    integer centimes (the same pattern as the column check, WAGE)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value:
            raise cells.refuse(cells.MISSING, "is required")
        text = value.replace(" ", "")
        if not re.fullmatch(WAGE, text):
            raise cells.refuse(
                "bad_amount", f"{value!r} is not an amount in MAD (digits, 2 decimals at most)"
            )
        whole, _, cents = text.replace(",", ".").partition(".")
        return int(whole) * 100 + int(cents.ljust(2, "0") or 0)

    return BeforeValidator(check)


class DeclarationRow(BaseModel):
    """A row of a declaration, its cells typed (a refused cell reads as its default)."""

    immatriculation: Annotated[str | None, cells.text(12, required=True, case=str.upper)] = None
    days: Annotated[int | None, cells.whole_number(0, 31, required=False)] = None
    gross_wage: Annotated[int | None, wage()] = None
    kind: Annotated[
        str | None,
        cells.one_of(
            DECLARED_KINDS,
            "{value!r} is not a kind of member (" + ", ".join(DECLARED_KINDS) + ")",
            kind="bad_kind",
            case=str.lower,
            max_length=20,
        ),
    ] = None
    employer: Annotated[str | None, cells.text(20)] = None


@dataclass(frozen=True)
class CallMade:
    number: str
    account: str
    members: int
    total_centimes: int
    due_date: date


@dataclass
class DeclarationReport:
    regime: str
    month: date
    filename: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    calls: list[CallMade] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    replayed: bool = False  # the same file was declared before: nothing changed

    @property
    def rows_rejected(self) -> int:
        return len({e.line for e in self.errors})


# ---------------------------------------------------------------------------------------
# Reading the file into a frame of cells (line, one text column per column of the file)


def read_cells(data: bytes, columns: Sequence[str]) -> pl.DataFrame:
    """The file's rows as text cells (stripped, absent = empty) with their line numbers;
    ValidationFailed (field `file`) for a file that is no UTF-8 CSV or lacks a column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.one("file", f"not UTF-8 text: {exc.reason}") from exc
    raw = pl.Series("raw", text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    lines = pl.DataFrame({"line": pl.int_range(1, raw.len() + 1, eager=True), "raw": raw})
    lines = lines.filter(pl.col("raw").str.strip_chars() != "")
    if lines.is_empty():
        raise ValidationFailed.one("file", "empty: a header line is expected")
    header_line = lines["raw"][0]
    delimiter = delimiter_of(header_line)
    header = [h.strip().lower() for h in next(csv_records([header_line], delimiter=delimiter))[1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationFailed.one(
            "file",
            f"missing column(s) {', '.join(missing)}; the header must name "
            f"{', '.join(REQUIRED)} (and may name {', '.join(OPTIONAL)})",
        )
    where = {c: (header.index(c) if c in header else None) for c in columns}
    body = lines.slice(1)
    if '"' in text:  # quoted cells: the csv reader decides where rows and cells end
        records = list(csv_records(text.splitlines(keepends=True)[0:], delimiter=delimiter))[1:]
        return pl.DataFrame(
            {
                "line": [n for n, _ in records],
                **{
                    c: [r[i].strip() if i is not None and i < len(r) else "" for _, r in records]
                    for c, i in where.items()
                },
            },
            schema={"line": pl.Int64, **dict.fromkeys(columns, pl.String)},
        )
    parts = body["raw"].str.split(delimiter)
    return pl.DataFrame(
        {
            "line": body["line"].cast(pl.Int64),
            **{
                c: (
                    parts.list.get(i, null_on_oob=True).fill_null("").str.strip_chars()
                    if i is not None
                    else pl.Series([""] * body.height, dtype=pl.String)
                )
                for c, i in where.items()
            },
        }
    )


# ---------------------------------------------------------------------------------------
# Checking the cells column by column (the row model words the errors)


def cell_problems(frame: pl.DataFrame) -> pl.Series:
    """True for the rows whose cells the row model refuses (the same rules, vectorised)."""
    imm, days, wage_, kind, employer = (
        pl.col("immatriculation"),
        pl.col("days"),
        pl.col("gross_wage"),
        pl.col("kind"),
        pl.col("employer"),
    )
    bad_days = (days != "") & (
        ~days.str.contains(r"^[0-9]+$")
        | (days.str.len_chars() > 100)
        | (days.cast(pl.Int64, strict=False).fill_null(99) > 31)
    )
    bad = (
        (imm == "")
        | (imm.str.len_chars() > 12)
        | bad_days
        | ~wage_.str.replace_all(" ", "", literal=True).str.contains(WAGE)
        | ((kind != "") & ~kind.str.to_lowercase().is_in(DECLARED_KINDS))
        | (kind.str.len_chars() > 20)
        | (employer.str.len_chars() > 20)
    )
    return frame.select(bad.alias("bad"))["bad"]


def _typed(frame: pl.DataFrame, regime: str) -> pl.DataFrame:
    """The cells as values (only for rows whose cells passed)."""
    default = DEFAULT_KIND.get(regime, MemberKind.EMPLOYEE).value
    text = pl.col("gross_wage").str.replace_all(" ", "", literal=True).str.replace(",", ".")
    whole = text.str.split_exact(".", 1).struct.field("field_0").cast(pl.Int64)
    cents = (
        text.str.split_exact(".", 1)
        .struct.field("field_1")
        .fill_null("")
        .str.pad_end(2, "0")
        .cast(pl.Int64)
    )
    return frame.with_columns(
        pl.col("immatriculation").str.to_uppercase(),
        pl.when(pl.col("days") == "")
        .then(None)
        .otherwise(pl.col("days").cast(pl.Int64, strict=False))
        .alias("days"),
        (whole * 100 + cents).alias("base"),
        pl.when(pl.col("kind") == "")
        .then(pl.lit(default))
        .otherwise(pl.col("kind").str.to_lowercase())
        .alias("kind"),
    )


# ---------------------------------------------------------------------------------------
# The declaration


@dataclass
class _Errors:
    rows: list[RowError] = field(default_factory=list)

    def add(self, refused: pl.DataFrame, field_: str, reason: pl.Expr | str, kind: str) -> None:
        """One error for each row of `refused` (the reason a text or an expression)."""
        if refused.is_empty():
            return
        reasons = (
            refused.select(reason).to_series().to_list()
            if isinstance(reason, pl.Expr)
            else [reason] * refused.height
        )
        self.rows.extend(
            RowError(int(n), field_, str(r), kind)
            for n, r in zip(refused["line"].to_list(), reasons, strict=True)
        )


def declare(
    session: Session,
    data: bytes,
    *,
    filename: str,
    month: date,
    actor: str,
    regime: str | None = None,
    employer: Employer | None = None,
    payer: PayerAccount | None = None,
    issued_on: date | None = None,
) -> DeclarationReport:
    """Load a declaration of `month` for `employer` (its account), for `payer` (an
    administration's or a pension payer's account), or, with neither, a bulk file whose
    rows name their employer; the calls are issued on `issued_on` (today; a past day when
    history is loaded). Flushes only: the caller commits."""
    month = month.replace(day=1)
    regime = regime or (RegimeCode.CNOPS if payer is not None else RegimeCode.CNSS_SAL)
    if regime not in KINDS:
        raise ValidationFailed.one("regime", f"declarations are for {', '.join(KINDS)}")
    rules = rules_in_force(session, regime, month)
    digest = hashlib.sha256(data).hexdigest()
    report = DeclarationReport(regime, month, filename, digest)
    single = payer or (accounts.of_employer(session, employer, actor) if employer else None)
    if single is not None and _declared_before(session, [single.id], regime, month, digest):
        return _replay(session, report, [single.id])
    columns = (*REQUIRED, *OPTIONAL)
    frame = read_cells(data, columns)
    report.rows_read = frame.height
    named = frame.select("line", "employer")  # which payer a bulk file's line names
    errors = _Errors()

    # 1. cells
    bad = cell_problems(frame)
    for cell in frame.filter(bad).iter_rows(named=True):
        checked = check_row(DeclarationRow, cell["line"], {c: cell[c] for c in columns})
        errors.rows.extend(checked.errors or [RowError(cell["line"], "row", "refused")])
    frame = _typed(frame.filter(~bad), regime)

    # 2. what the regime allows
    allowed = [k.value for k in KINDS[regime]]
    wrong_kind = ~pl.col("kind").is_in(allowed)
    errors.add(
        frame.filter(wrong_kind),
        "kind",
        pl.format(
            "'{}' is not declared under {} ({})", "kind", pl.lit(regime), pl.lit(", ".join(allowed))
        ),
        "bad_kind",
    )
    frame = frame.filter(~wrong_kind)
    if regime == RegimeCode.CNSS_SAL:
        no_days = pl.col("kind").is_in([k.value for k in DAYS_REQUIRED]) & pl.col("days").is_null()
        errors.add(frame.filter(no_days), "days", "is required for an employee", cells.MISSING)
        frame = frame.filter(~no_days)
    frame, known = _payers(session, frame, errors, actor, single=single, employer=employer)

    # 3. the same member twice for the same payer in the file
    first = frame.group_by("account_id", "immatriculation").agg(pl.col("line").min().alias("first"))
    frame = frame.join(first, on=["account_id", "immatriculation"])
    repeated = pl.col("line") != pl.col("first")
    errors.add(
        frame.filter(repeated),
        "immatriculation",
        pl.format("{} repeats line {}", "immatriculation", "first"),
        "duplicate",
    )
    frame = frame.filter(~repeated).drop("first")

    # 4. a bulk file again: nothing to do for the payers who declared it before
    if single is None:
        done = _declared_before(
            session, frame["account_id"].unique().to_list(), regime, month, digest
        )
        if done:
            frame = frame.filter(~pl.col("account_id").is_in(list(done)))
            report.calls.extend(_calls_of(session, done.values()))

    # 5. the registry: known persons, affiliated in the month; not declared yet
    found = persons_of(session, frame["immatriculation"], regime, month)
    frame = frame.join(found, on="immatriculation", how="left")
    unknown = pl.col("person_id").is_null()
    errors.add(
        frame.filter(unknown),
        "immatriculation",
        pl.format("no person with immatriculation {}", "immatriculation"),
        "unknown_person",
    )
    frame = frame.filter(~unknown)
    outside = ~pl.col("affiliated")
    errors.add(
        frame.filter(outside),
        "immatriculation",
        pl.format(
            "{} has no {} affiliation in {}",
            "immatriculation",
            pl.lit(regime),
            pl.lit(f"{month:%Y-%m}"),
        ),
        "not_affiliated",
    )
    frame = frame.filter(~outside)
    before = _already_declared(session, frame["account_id"].unique().to_list(), regime, month)
    if before.height:
        frame = frame.join(before, on=["account_id", "person_id"], how="left")
        again = pl.col("call_number").is_not_null()
        errors.add(
            frame.filter(again),
            "immatriculation",
            pl.format(
                "{} is already declared this month (call {})", "immatriculation", "call_number"
            ),
            "already_declared",
        )
        frame = frame.filter(~again).drop("call_number")

    # 6. the calls, one per payer, and the declarations they come from
    frame = with_shares(frame, rules).with_columns(
        pl.lit(1).alias("persons"), pl.col("line").alias("line_no")
    )
    issued = issue(session, rules, frame, actor, issued_on or today())
    errors.rows.sort(key=lambda e: (e.line, e.field))
    report.errors = errors.rows
    report.rows_loaded = frame.height
    made = {row["account_id"]: row for row in issued.calls.iter_rows(named=True)}
    payers = set(made) | ({single.id} if single is not None else set())
    by_account = _errors_by_account(errors.rows, named, known, single)
    at = now()
    ordered = sorted(payers)
    empty = _stored([])
    stored = {
        "account_id": ordered,
        "regime_code": [regime] * len(ordered),
        "month": [month] * len(ordered),
        "call_id": [made[a]["call_id"] if a in made else None for a in ordered],
        "filename": [filename[:255]] * len(ordered),
        "sha256": [digest] * len(ordered),
        "rows_read": [report.rows_read] * len(ordered),
        "rows_loaded": [made[a]["members"] if a in made else 0 for a in ordered],
        "rows_rejected": [len({e.line for e in by_account.get(a, [])}) for a in ordered],
        "errors": [_stored(by_account[a]) if a in by_account else empty for a in ordered],
    }
    copy_insert(
        session,
        Declaration.__table__,  # type: ignore[arg-type]
        pl.DataFrame(stored, schema_overrides={"call_id": pl.Int64}).with_columns(
            pl.lit(actor).alias("created_by"),
            pl.lit(actor).alias("updated_by"),
            pl.lit(at).alias("created_at"),
            pl.lit(at).alias("updated_at"),
        ),
        actor,
    )
    due = rules.due
    for account_id in ordered:
        row: dict[str, Any] | None = made.get(account_id)
        if row:
            report.calls.append(
                CallMade(row["number"], row["account"], row["members"], row["total"], due)
            )
    session.flush()
    posting.apply_where_credit(session, made, actor, "credit applied to the new call")
    return report


def _payers(
    session: Session,
    frame: pl.DataFrame,
    errors: _Errors,
    actor: str,
    *,
    single: PayerAccount | None,
    employer: Employer | None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """`frame` with each row's account_id (rows naming another or an unknown employer
    refused), and the account of each employer number named."""
    if single is not None:
        frame = frame.with_columns(pl.lit(single.id, dtype=pl.Int64).alias("account_id"))
        if employer is None:
            return frame, {}
        other = (pl.col("employer") != "") & (pl.col("employer") != employer.number)
        errors.add(
            frame.filter(other),
            "employer",
            pl.format("{} is not {}", "employer", pl.lit(employer.number)),
            "other_employer",
        )
        return frame.filter(~other), {employer.number: single.id}
    missing = pl.col("employer") == ""
    errors.add(frame.filter(missing), "employer", "is required", cells.MISSING)
    frame = frame.filter(~missing)
    numbers = frame["employer"].unique().to_list()
    known: dict[str, int] = {}
    for i in range(0, len(numbers), 5_000):
        known.update(
            dict(
                session.execute(
                    select(Employer.number, Employer.id).where(
                        among_texts(session, Employer.number, numbers[i : i + 5_000])
                    )
                ).all()
            )
        )
    unknown = ~pl.col("employer").is_in(list(known))
    errors.add(
        frame.filter(unknown),
        "employer",
        pl.format("unknown employer {}", "employer"),
        "unknown_employer",
    )
    frame = frame.filter(~unknown)
    ids = accounts.employer_accounts(session, known.values(), actor)
    of_number = {n: ids[e] for n, e in known.items()}
    table = pl.DataFrame(
        {"employer": list(of_number), "account_id": list(of_number.values())},
        schema={"employer": pl.String, "account_id": pl.Int64},
    )
    return frame.join(table, on="employer"), of_number


def _declared_before(
    session: Session, payers: list[int], regime: str, month: date, digest: str
) -> dict[int, int]:
    """{account id: declaration id} of the payers who declared this very file before."""
    out: dict[int, int] = {}
    for part in chunks(payers):
        out.update(
            dict(
                session.execute(
                    select(Declaration.account_id, Declaration.id).where(
                        among(session, Declaration.account_id, part),
                        Declaration.regime_code == regime,
                        Declaration.month == month,
                        Declaration.sha256 == digest,
                    )
                ).all()
            )
        )
    return out


def _already_declared(
    session: Session, payers: list[int], regime: str, month: date
) -> pl.DataFrame:
    rows: list[Any] = []
    for part in chunks(payers):
        rows.extend(
            session.execute(
                select(Call.account_id, CallLine.person_id, Call.number)
                .join(CallLine, CallLine.call_id == Call.id)
                .where(
                    among(session, Call.account_id, part),
                    Call.regime_code == regime,
                    Call.month == month,
                )
            ).all()
        )
    return pl.DataFrame(
        rows,
        schema={"account_id": pl.Int64, "person_id": pl.Int64, "call_number": pl.String},
        orient="row",
    )


def _calls_of(session: Session, declaration_ids: Any) -> list[CallMade]:
    out = []
    for part in chunks(declaration_ids):
        for number, account, members, total, due in session.execute(
            select(
                Call.number, PayerAccount.number, Call.members, Call.total_centimes, Call.due_date
            )
            .join(Declaration, Declaration.call_id == Call.id)
            .join(PayerAccount, PayerAccount.id == Call.account_id)
            .where(among(session, Declaration.id, part))
            .order_by(Call.id)
        ):
            out.append(CallMade(number, account, members, total, due))
    return out


def _replay(session: Session, report: DeclarationReport, payers: list[int]) -> DeclarationReport:
    """What the first import of the same file answered (from the stored declarations)."""
    stored = session.scalars(
        select(Declaration)
        .where(
            Declaration.account_id.in_(payers),
            Declaration.regime_code == report.regime,
            Declaration.month == report.month,
            Declaration.sha256 == report.sha256,
        )
        .order_by(Declaration.id)
    ).all()
    report.replayed = True
    report.rows_read = max((d.rows_read for d in stored), default=0)
    report.rows_loaded = sum(d.rows_loaded for d in stored)
    report.calls = _calls_of(session, [d.id for d in stored])
    report.errors = sorted(
        (RowError(**e) for d in stored for e in json.loads(d.errors or "[]")),
        key=lambda e: (e.line, e.field),
    )
    return report


def _errors_by_account(
    errors: list[RowError],
    named: pl.DataFrame,
    known: dict[str, int],
    single: PayerAccount | None,
) -> dict[int, list[RowError]]:
    """Each payer's errors: all of them for a payer's own file; in a bulk file, those of
    the lines naming the payer (a line naming no known employer goes with none)."""
    if single is not None:
        return {single.id: errors}
    refused = sorted({e.line for e in errors})
    employer_of = dict(named.filter(pl.col("line").is_in(refused)).iter_rows())
    out: dict[int, list[RowError]] = {}
    for e in errors:
        account = known.get(employer_of.get(e.line, ""))
        if account is not None:
            out.setdefault(account, []).append(e)
    return out


def _stored(errors: list[RowError]) -> str:
    return json.dumps(
        [
            {"line": e.line, "field": e.field, "reason": e.reason, "kind": e.kind}
            for e in errors[:MAX_STORED_ERRORS]
        ],
        ensure_ascii=False,
    )
