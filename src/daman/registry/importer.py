"""Bulk import of insured persons and their dependents from a CSV file.

Format: UTF-8 (a BOM is tolerated), comma- or semicolon-separated, one header line.
A row is a principal insured or a dependent:

| column | principal | dependent | meaning |
|---|---|---|---|
| key | optional | optional | a row key, unique in the file, that dependents may refer to |
| role | required | required | `principal` or `dependent` |
| principal | - | required | the principal's row key in the file, else their CNIE (*) |
| relationship | - | required | `spouse` or `child` |
| cnie | required | optional | national ID card number (BE123456) |
| last_name, first_name | required | required | names in Latin script |
| last_name_ar, first_name_ar | optional | optional | names in Arabic script |
| birth_date | required | required | YYYY-MM-DD, not in the future |
| sex | required | required | `M` or `F` |
| disabled | optional | optional | yes/no (default no) |
| regime | required | - | CNOPS, CNSS_SAL, TNS, TADAMON, CHAMIL |
| valid_from | required | required | registration (principal), link start (dependent) |
| employer_number | CNSS_SAL | - | the employer's CNSS number, already registered |
| mutual_code | CNOPS | - | the member's mutual |
| rsu_score | TADAMON, CHAMIL | - | exact decimal |
| rib | optional | optional | 24 digits, key checked |
| phone | optional | optional | |

(*) the CNIE of a principal row of the file or of a principal already registered.

Every row is checked by its model (`PersonRow`), then against the file and the registry;
every bad row is reported with its line (where the row starts), field and reason. A refused
row's valid cells still count for the rows after it (its CNIE and key may not come again).
The valid rows are loaded in batches of about 1,000 rows; a principal and the dependents
that refer to it always share a batch, and a batch lands entirely or not at all. A
dependent whose principal was rejected is rejected too. Dependents are always new persons:
linking persons already registered goes through the API.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ValidationInfo, field_validator
from sqlalchemy import Table, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from daman.core import cells
from daman.core.cells import MISSING, refuse
from daman.core.dates import now, today
from daman.core.db import Base, unit_of_work
from daman.core.enums import Relationship, Sex
from daman.core.identifiers import allocate, immatriculation
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
from daman.registry.models import Affiliation, DependentLink, Person
from daman.registry.repository import persons_by_cnie
from daman.registry.validation import (
    Refs,
    affiliation_errors,
    dependent_age_error,
    normalised_cnie,
)

REQUIRED = {"role", "last_name", "first_name", "birth_date", "sex", "valid_from"}
OPTIONAL = {
    "key",
    "principal",
    "relationship",
    "cnie",
    "last_name_ar",
    "first_name_ar",
    "disabled",
    "regime",
    "employer_number",
    "mutual_code",
    "rsu_score",
    "rib",
    "phone",
}
BATCH = 1000
_ROLES = ("principal", "dependent")
_SEXES = frozenset(s.value for s in Sex)
_RELATIONSHIPS = frozenset(r.value for r in Relationship)


class PersonRow(BaseModel):
    """A row of a persons file, its cells typed and checked alone or against the row's role
    (a field reads the role only when it comes after it). Every field has a default: what a
    refused cell reads as when the file's other rows look at this one."""

    key: Annotated[str | None, cells.text(40)] = None
    role: Annotated[
        Literal["principal", "dependent"] | None,
        cells.one_of(
            _ROLES,
            "{value!r} is neither principal nor dependent",
            kind="bad_role",
            required=True,
            case=str.lower,
        ),
    ] = None
    principal: Annotated[str | None, cells.text(40)] = None
    relationship: Annotated[str | None, cells.text(case=str.lower)] = None
    cnie: Annotated[str | None, cells.cnie(20)] = None
    last_name: Annotated[str | None, cells.text(required=True)] = None
    first_name: Annotated[str | None, cells.text(required=True)] = None
    last_name_ar: Annotated[str | None, cells.text()] = None
    first_name_ar: Annotated[str | None, cells.text()] = None
    birth_date: Annotated[date | None, cells.iso_date(required=True)] = None
    sex: Annotated[
        Sex | None,
        cells.one_of(
            _SEXES, "{value!r} is neither M nor F", kind="bad_sex", required=True, case=str.upper
        ),
    ] = None
    disabled: Annotated[bool, cells.yes_no(False)] = False
    regime: Annotated[str | None, cells.text(20, case=str.upper)] = None
    valid_from: Annotated[date | None, cells.iso_date(required=True)] = None
    employer_number: Annotated[str | None, cells.text(20)] = None
    mutual_code: Annotated[str | None, cells.text(20, case=str.upper)] = None
    rsu_score: Annotated[str | None, cells.text(20)] = None
    rib: Annotated[str | None, cells.rib(40)] = None
    phone: Annotated[str | None, cells.text(20)] = None

    @field_validator("principal")
    @classmethod
    def _principal_of_a_dependent(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("role") == "dependent":
            raise refuse(MISSING, "is required for a dependent")
        return value

    @field_validator("relationship")
    @classmethod
    def _relationship_of_a_dependent(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("role") != "dependent":
            return None  # only a dependent's link has one
        if value is None:
            raise refuse(MISSING, "is required for a dependent")
        if value not in _RELATIONSHIPS:
            raise refuse("bad_relationship", f"{value!r} is neither spouse nor child")
        return Relationship(value)

    @field_validator("cnie")
    @classmethod
    def _cnie_of_a_principal(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("role") == "principal":
            raise refuse(MISSING, "is required")
        return value

    @field_validator("regime")
    @classmethod
    def _regime_of_a_principal(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("role") == "principal":
            raise refuse(MISSING, "is required for a principal")
        return value

    def person(self) -> dict[str, Any]:
        """The columns of the person's own row."""
        return {
            "cnie": self.cnie,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "last_name_ar": self.last_name_ar,
            "first_name_ar": self.first_name_ar,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "disabled": self.disabled,
            "rib": self.rib,
            "phone": self.phone,
        }


@dataclass(eq=False)
class Row:
    """A row of the file: its cells (a refused one is None), every problem found in it, and
    the principal a dependent row refers to."""

    line: int
    cells: PersonRow
    errors: list[RowError] = field(default_factory=list)
    principal_row: Row | None = None
    principal_id: int | None = None  # a principal already registered

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append(RowError(self.line, field_name, reason))


@dataclass(frozen=True)
class _Registered:
    """A principal already in the database, as a dependent row may refer to them."""

    id: int
    death_date: date | None
    affiliations: tuple[tuple[str, date, date | None], ...]

    def regime_on(self, on: date) -> str | None:
        running = [
            r for r, start, end in self.affiliations if start <= on and (end is None or on <= end)
        ]
        return running[-1] if running else None


def _registered(session: Session, cnies: list[str]) -> dict[str, _Registered]:
    ids = persons_by_cnie(session, cnies)
    if not ids:
        return {}
    by_id: dict[int, list[tuple[str, date, date | None]]] = defaultdict(list)
    deaths: dict[int, date | None] = {}
    id_list = sorted(set(ids.values()))
    for i in range(0, len(id_list), 5000):
        chunk = id_list[i : i + 5000]
        for pid, death in session.execute(
            select(Person.id, Person.death_date).where(Person.id.in_(chunk))
        ):
            deaths[pid] = death
        rows = session.execute(
            select(
                Affiliation.person_id,
                Affiliation.regime_code,
                Affiliation.valid_from,
                Affiliation.valid_to,
            )
            .where(Affiliation.person_id.in_(chunk))
            .order_by(Affiliation.valid_from)
        )
        for pid, regime, start, end in rows:
            by_id[pid].append((regime, start, end))
    return {
        c: _Registered(pid, deaths.get(pid), tuple(by_id.get(pid, ()))) for c, pid in ids.items()
    }


def _validate(session: Session, rows: list[Row], today_: date) -> None:
    """Checks that need the whole file, the database or today's date; problems are added to
    each row."""
    refs = Refs.load(session, [r.cells.employer_number for r in rows if r.cells.employer_number])
    cnies = sorted({r.cells.cnie for r in rows if r.cells.cnie})
    refs_cnie = sorted(
        {normalised_cnie(r.cells.principal) or "" for r in rows if r.cells.principal} - {""}
    )
    known = persons_by_cnie(session, cnies)
    registered = _registered(session, refs_cnie)
    seen_cnie: dict[str, int] = {}
    by_key: dict[str, Row] = {}
    for r in rows:
        c = r.cells
        if c.birth_date is not None and c.birth_date > today_:
            r.add("birth_date", f"{c.birth_date} is in the future")
        if c.key:
            if c.key in by_key:
                r.add("key", f"{c.key!r} repeats line {by_key[c.key].line}")
            else:
                by_key[c.key] = r
        if c.cnie:
            if c.cnie in known:
                r.add("cnie", f"duplicate_cnie: CNIE {c.cnie} is already registered")
            elif c.cnie in seen_cnie:
                r.add("cnie", f"duplicate_cnie: CNIE {c.cnie} repeats line {seen_cnie[c.cnie]}")
            else:
                seen_cnie[c.cnie] = r.line
        if c.role == "principal" and c.regime and c.valid_from and c.birth_date:
            for e in affiliation_errors(
                refs,
                regime=c.regime,
                valid_from=c.valid_from,
                birth_date=c.birth_date,
                employer_number=c.employer_number,
                mutual_code=c.mutual_code,
                rsu_score=c.rsu_score,
            ):
                r.add(e.field, e.reason)
    principals_by_cnie = {
        r.cells.cnie: r for r in rows if r.cells.role == "principal" and r.cells.cnie
    }
    for r in rows:
        if r.cells.role == "dependent" and r.cells.principal:
            _resolve(r, r.cells.principal, by_key, principals_by_cnie, registered, refs)


def _resolve(
    r: Row,
    ref: str,
    by_key: dict[str, Row],
    in_file: dict[str, Row],
    registered: dict[str, _Registered],
    refs: Refs,
) -> None:
    """Find a dependent's principal (row key `ref`, then CNIE) and check the link it makes."""
    c = r.cells
    target = by_key.get(ref) or in_file.get(normalised_cnie(ref) or "")
    regime: str | None = None
    if target is not None:
        if target.cells.role != "principal":
            r.add("principal", f"line {target.line} is not a principal row")
            return
        r.principal_row = target
        regime = target.cells.regime
    elif (found := registered.get(normalised_cnie(ref) or "")) is not None:
        if not found.affiliations:
            r.add("principal", f"CNIE {ref} is registered but not a principal insured")
            return
        if found.death_date is not None:
            r.add("principal", f"the principal died on {found.death_date}")
            return
        r.principal_id = found.id
        regime = found.regime_on(c.valid_from) if c.valid_from else None
    else:
        r.add("principal", f"no row key or CNIE {ref!r} in the file or the registry")
        return
    birth, start = c.birth_date, c.valid_from
    if birth is None or start is None or c.relationship is None:
        return
    if start < birth:
        r.add("valid_from", f"{start} is before the birth date {birth}")
    rule = refs.rule(regime, start) if regime else None
    error = dependent_age_error(
        relationship=c.relationship, birth_date=birth, disabled=c.disabled, on=start, rule=rule
    )
    if error:
        r.add(error.field, error.reason)


def _reject_orphans(rows: list[Row]) -> None:
    for r in rows:
        if r.ok and r.principal_row is not None and not r.principal_row.ok:
            r.add("principal", f"the principal on line {r.principal_row.line} was rejected")


def _units(rows: list[Row]) -> list[list[Row]]:
    """Families (a principal and the dependents referring to it) and lone dependents."""
    families: dict[int, list[Row]] = {}
    units: list[list[Row]] = []
    for r in rows:
        if r.cells.role == "principal":
            families[id(r)] = [r]
            units.append(families[id(r)])
    for r in rows:
        if r.cells.role == "dependent":
            if r.principal_row is not None:
                families[id(r.principal_row)].append(r)
            else:
                units.append([r])
    return units


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _load_batch(session: Session, batch: list[Row], actor: str) -> None:
    # Core inserts with every column given: one executemany per table, no RETURNING
    at = now()
    stamp = {"created_by": actor, "updated_by": actor, "created_at": at, "updated_at": at}
    numbers = allocate(session, "immatriculation", len(batch))
    people = [
        {
            **r.cells.person(),
            "immatriculation": immatriculation(n),
            "preferred_language": "fr",
            **stamp,
        }
        for r, n in zip(batch, numbers, strict=True)
    ]
    session.execute(_table(Person).insert(), people)
    numbers_of = [p["immatriculation"] for p in people]
    ids = dict(
        session.execute(
            select(Person.immatriculation, Person.id).where(Person.immatriculation.in_(numbers_of))
        ).all()
    )
    new_id = {id(r): ids[number] for r, number in zip(batch, numbers_of, strict=True)}
    principals = [r.cells for r in batch if r.cells.role == "principal"]
    refs = Refs.load(session, [c.employer_number for c in principals if c.employer_number])
    affiliations = [
        {
            "person_id": new_id[id(r)],
            "regime_code": r.cells.regime,
            "employer_id": refs.employers.get(r.cells.employer_number)
            if r.cells.employer_number
            else None,
            "mutual_code": r.cells.mutual_code,
            "rsu_score": r.cells.rsu_score,
            "valid_from": r.cells.valid_from,
            **stamp,
        }
        for r in batch
        if r.cells.role == "principal"
    ]
    if affiliations:
        session.execute(_table(Affiliation).insert(), affiliations)
    links = [
        {
            "dependent_id": new_id[id(r)],
            "principal_id": new_id[id(r.principal_row)]
            if r.principal_row is not None
            else r.principal_id,
            "relationship": r.cells.relationship,
            "valid_from": r.cells.valid_from,
            **stamp,
        }
        for r in batch
        if r.cells.role == "dependent"
    ]
    if links:
        session.execute(_table(DependentLink).insert(), links)


def import_persons(
    path: Path,
    *,
    actor: str,
    scope: Scope = unit_of_work,
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole file, then load the valid rows batch by batch (see module doc)."""
    report = ImportReport(filename=path.name)
    today_ = today()
    rows = [
        Row(checked.line, checked.row or PersonRow(), checked.errors)
        for checked in read_rows(path, PersonRow, REQUIRED, OPTIONAL)
    ]
    report.rows_read = len(rows)
    with scope() as session:
        _validate(session, rows, today_)
    _reject_orphans(rows)
    valid_units = [[r for r in unit if r.ok] for unit in _units(rows)]
    total = sum(len(u) for u in valid_units)
    for batch in batches([u for u in valid_units if u], batch_size):
        try:
            with scope() as session:
                _load_batch(session, batch, actor)
                session.flush()
            report.rows_loaded += len(batch)
        except SQLAlchemyError as exc:
            report.batches_failed += 1
            cause = getattr(exc, "orig", None) or exc
            reason = f"batch of {len(batch)} rows not loaded: {type(cause).__name__}: {cause}"
            for r in batch:
                r.add("row", reason)
        if progress is not None:
            progress(len(batch), total)
    report.errors = sorted((e for r in rows for e in r.errors), key=lambda e: e.line)
    record_run(scope, path, ImportKind.REGISTRY_PERSONS, report, actor)
    return report


__all__ = ["BATCH", "ImportReport", "RowError", "import_persons"]
