"""Bulk import of monthly contributions (declared days, payments) from a CSV file.

Format: UTF-8, comma- or semicolon-separated, one header line:

| column | required | meaning |
|---|---|---|
| immatriculation | yes | the insured person's immatriculation |
| month | yes | YYYY-MM |
| declared_days | yes | 0 to 31 |
| amount | no | contribution in MAD, e.g. 312.50 (default 0) |
| paid | no | yes/no (default yes) |
| employer_number | no | CNSS_SAL: the declaring employer (default: the affiliation's) |

A month already recorded for the same person and employer is replaced. Each row is checked
by its model (`ContributionRow`), then against the registry; each bad row is reported with
its line, field and reason; the valid rows load in batches that land entirely or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from daman.core import cells
from daman.core.db import unit_of_work
from daman.core.rows import RowError
from daman.reference.models import ImportKind
from daman.registry.csvfile import (
    ImportReport,
    Progress,
    Scope,
    batches,
    read_rows,
    record_run,
)
from daman.registry.models import Affiliation, Contribution, Person
from daman.registry.validation import Refs

REQUIRED = {"immatriculation", "month", "declared_days"}
OPTIONAL = {"amount", "paid", "employer_number"}
BATCH = 5000


class ContributionRow(BaseModel):
    """A row of a contributions file, its cells typed. Every field has a default: what a
    refused cell reads as when the file's other rows look at this one."""

    immatriculation: Annotated[str | None, cells.text(12, required=True, case=str.upper)] = None
    month: Annotated[date | None, cells.month()] = None
    declared_days: Annotated[int | None, cells.whole_number(0, 31)] = None
    amount_centimes: Annotated[int, Field(alias="amount"), cells.amount(20)] = 0
    paid: Annotated[bool, cells.yes_no(True)] = True
    employer_number: Annotated[str | None, cells.text(20)] = None


@dataclass(eq=False)
class Row:
    line: int
    cells: ContributionRow  # a refused cell is None (or the field's default)
    errors: list[RowError] = field(default_factory=list)
    person_id: int | None = None
    employer_id: int | None = None

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append(RowError(self.line, field_name, reason))


def _validate(session: Session, rows: list[Row]) -> None:
    numbers = sorted({r.cells.immatriculation for r in rows if r.cells.immatriculation})
    ids: dict[str, int] = {}
    for i in range(0, len(numbers), 5000):
        chunk = numbers[i : i + 5000]
        found = session.execute(
            select(Person.immatriculation, Person.id).where(Person.immatriculation.in_(chunk))
        )
        ids.update({number: pid for number, pid in found})
    affiliations: dict[int, list[tuple[date, date | None, int | None]]] = defaultdict(list)
    id_list = sorted(set(ids.values()))
    for i in range(0, len(id_list), 5000):
        rows_ = session.execute(
            select(
                Affiliation.person_id,
                Affiliation.valid_from,
                Affiliation.valid_to,
                Affiliation.employer_id,
            )
            .where(Affiliation.person_id.in_(id_list[i : i + 5000]))
            .order_by(Affiliation.valid_from)
        )
        for person_id, start, end, employer in rows_:
            affiliations[person_id].append((start, end, employer))
    refs = Refs.load(session, [r.cells.employer_number for r in rows if r.cells.employer_number])
    seen: dict[tuple[int, date, int | None], int] = {}
    for r in rows:
        number, declaring = r.cells.immatriculation, r.cells.employer_number
        r.person_id = ids.get(number) if number else None
        if number and r.person_id is None:
            r.add("immatriculation", f"no person with immatriculation {number}")
        if declaring:
            r.employer_id = refs.employers.get(declaring)
            if r.employer_id is None:
                r.add("employer_number", f"unknown employer {declaring}")
        month = r.cells.month
        if r.person_id is None or month is None:
            continue
        running = [
            a
            for a in affiliations[r.person_id]
            if a[0].replace(day=1) <= month and (a[1] is None or month <= a[1])
        ]
        if not running:
            r.add("month", f"{month:%Y-%m} is outside every affiliation of {number}")
            continue
        if declaring is None:
            r.employer_id = running[-1][2]
        key = (r.person_id, month, r.employer_id)
        if key in seen:
            r.add("month", f"{month:%Y-%m} repeats line {seen[key]} for the same employer")
        else:
            seen[key] = r.line


def _load_batch(session: Session, batch: list[Row], actor: str) -> None:
    pids = sorted({r.person_id for r in batch if r.person_id is not None})
    existing: dict[tuple[int, date, int | None], int] = {}
    for cid, pid, month, employer in session.execute(
        select(
            Contribution.id, Contribution.person_id, Contribution.month, Contribution.employer_id
        ).where(Contribution.person_id.in_(pids))
    ):
        existing[(pid, month, employer)] = cid
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for r in batch:
        values = {
            "declared_days": r.cells.declared_days,
            "amount_centimes": r.cells.amount_centimes,
            "paid": r.cells.paid,
            "updated_by": actor,
        }
        first_day = r.cells.month
        assert r.person_id is not None and first_day is not None
        found = existing.get((r.person_id, first_day, r.employer_id))
        if found is None:
            new.append(
                {
                    **values,
                    "person_id": r.person_id,
                    "month": first_day,
                    "employer_id": r.employer_id,
                    "created_by": actor,
                }
            )
        else:
            changed.append({**values, "id": found})
    if new:
        session.execute(insert(Contribution), new)
    if changed:
        session.execute(update(Contribution), changed)


def import_contributions(
    path: Path,
    *,
    actor: str,
    scope: Scope = unit_of_work,
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport(filename=path.name)
    rows = [
        Row(checked.line, checked.row or ContributionRow(), checked.errors)
        for checked in read_rows(path, ContributionRow, REQUIRED, OPTIONAL)
    ]
    report.rows_read = len(rows)
    with scope() as session:
        _validate(session, rows)
    valid = [[r] for r in rows if not r.errors]
    total = len(valid)
    for batch in batches(valid, batch_size):
        try:
            with scope() as session:
                _load_batch(session, batch, actor)
                session.flush()
            report.rows_loaded += len(batch)
        except SQLAlchemyError as exc:
            report.batches_failed += 1
            cause = getattr(exc, "orig", None) or exc
            for r in batch:
                r.add(
                    "row", f"batch of {len(batch)} rows not loaded: {type(cause).__name__}: {cause}"
                )
        if progress is not None:
            progress(len(batch), total)
    report.errors = sorted((e for r in rows for e in r.errors), key=lambda e: e.line)
    record_run(scope, path, ImportKind.REGISTRY_CONTRIBUTIONS, report, actor)
    return report
