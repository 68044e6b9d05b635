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

Every row is validated and every bad row is reported with its line, field and reason.
The valid rows are loaded in batches of about 1,000 rows; a principal and the dependents
that refer to it always share a batch, and a batch lands entirely or not at all. A
dependent whose principal was rejected is rejected too. Dependents are always new persons:
linking persons already registered goes through the API.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from daman.core.dates import now, today
from daman.core.db import Base, unit_of_work
from daman.core.enums import Relationship, Sex
from daman.core.identifiers import allocate, immatriculation
from daman.registry.csvfile import (
    ImportReport,
    Progress,
    RowError,
    RowProblems,
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
    clean_rib,
    dependent_age_error,
    normalised_cnie,
    person_errors,
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


@dataclass
class Row:
    line: int
    role: str
    key: str | None
    principal_ref: str | None
    relationship: str | None
    person: dict[str, Any]
    regime: str | None
    valid_from: date | None
    employer_number: str | None
    mutual_code: str | None
    rsu_score: str | None
    problems: RowProblems
    principal_row: Row | None = None
    principal_id: int | None = None  # a principal already registered

    @property
    def ok(self) -> bool:
        return not self.problems.errors


def _parse(p: RowProblems, today_: date) -> Row:
    role = (p.text("role", required=True) or "").lower()
    if role and role not in ("principal", "dependent"):
        p.add("role", f"{role!r} is neither principal nor dependent")
    sex = (p.text("sex", required=True) or "").upper()
    if sex and sex not in Sex.__members__.values():
        p.add("sex", f"{sex!r} is neither M nor F")
    birth = p.date("birth_date", required=True)
    cnie = normalised_cnie(p.text("cnie", max_length=20))
    rib = clean_rib(p.text("rib", max_length=40))
    if birth is not None:
        for e in person_errors(
            cnie=cnie, birth_date=birth, rib=rib, today=today_, cnie_required=role == "principal"
        ):
            p.add(e.field, e.reason)
    elif role == "principal" and cnie is None:
        p.add("cnie", "is required")
    relationship = (p.text("relationship") or "").lower() or None
    principal_ref = p.text("principal", max_length=40)
    regime = (p.text("regime", max_length=20) or "").upper() or None
    if role == "dependent":
        if principal_ref is None:
            p.add("principal", "is required for a dependent")
        if relationship is None:
            p.add("relationship", "is required for a dependent")
        elif relationship not in Relationship.__members__.values():
            p.add("relationship", f"{relationship!r} is neither spouse nor child")
    if role == "principal" and regime is None:
        p.add("regime", "is required for a principal")
    person = {
        "cnie": cnie,
        "last_name": p.text("last_name", required=True),
        "first_name": p.text("first_name", required=True),
        "last_name_ar": p.text("last_name_ar"),
        "first_name_ar": p.text("first_name_ar"),
        "birth_date": birth,
        "sex": sex,
        "disabled": p.boolean("disabled"),
        "rib": rib,
        "phone": p.text("phone", max_length=20),
    }
    return Row(
        line=p.line,
        role=role,
        key=p.text("key", max_length=40),
        principal_ref=principal_ref,
        relationship=relationship,
        person=person,
        regime=regime,
        valid_from=p.date("valid_from", required=True),
        employer_number=p.text("employer_number", max_length=20),
        mutual_code=(p.text("mutual_code", max_length=20) or "").upper() or None,
        rsu_score=p.text("rsu_score", max_length=20),
        problems=p,
    )


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


def _validate(session: Session, rows: list[Row]) -> None:
    """Checks that need the whole file or the database; problems are added to each row."""
    refs = Refs.load(session, [r.employer_number for r in rows if r.employer_number])
    cnies = sorted({r.person["cnie"] for r in rows if r.person["cnie"]})
    refs_cnie = sorted(
        {normalised_cnie(r.principal_ref) or "" for r in rows if r.principal_ref} - {""}
    )
    known = persons_by_cnie(session, cnies)
    registered = _registered(session, refs_cnie)
    seen_cnie: dict[str, int] = {}
    by_key: dict[str, Row] = {}
    for r in rows:
        p = r.problems
        if r.key:
            if r.key in by_key:
                p.add("key", f"{r.key!r} repeats line {by_key[r.key].line}")
            else:
                by_key[r.key] = r
        cnie = r.person["cnie"]
        if cnie:
            if cnie in known:
                p.add("cnie", f"duplicate_cnie: CNIE {cnie} is already registered")
            elif cnie in seen_cnie:
                p.add("cnie", f"duplicate_cnie: CNIE {cnie} repeats line {seen_cnie[cnie]}")
            else:
                seen_cnie[cnie] = r.line
        if r.role == "principal" and r.regime and r.valid_from and r.person["birth_date"]:
            for e in affiliation_errors(
                refs,
                regime=r.regime,
                valid_from=r.valid_from,
                birth_date=r.person["birth_date"],
                employer_number=r.employer_number,
                mutual_code=r.mutual_code,
                rsu_score=r.rsu_score,
            ):
                p.add(e.field, e.reason)
    principals_by_cnie = {
        r.person["cnie"]: r for r in rows if r.role == "principal" and r.person["cnie"]
    }
    for r in rows:
        if r.role == "dependent" and r.principal_ref:
            _resolve(r, by_key, principals_by_cnie, registered, refs)


def _resolve(
    r: Row,
    by_key: dict[str, Row],
    in_file: dict[str, Row],
    registered: dict[str, _Registered],
    refs: Refs,
) -> None:
    """Find a dependent's principal (row key, then CNIE) and check the link it makes."""
    assert r.principal_ref is not None
    p = r.problems
    target = by_key.get(r.principal_ref) or in_file.get(normalised_cnie(r.principal_ref) or "")
    regime: str | None = None
    if target is not None:
        if target.role != "principal":
            p.add("principal", f"line {target.line} is not a principal row")
            return
        r.principal_row = target
        regime = target.regime
    elif (found := registered.get(normalised_cnie(r.principal_ref) or "")) is not None:
        if not found.affiliations:
            p.add("principal", f"CNIE {r.principal_ref} is registered but not a principal insured")
            return
        if found.death_date is not None:
            p.add("principal", f"the principal died on {found.death_date}")
            return
        r.principal_id = found.id
        regime = found.regime_on(r.valid_from) if r.valid_from else None
    else:
        p.add("principal", f"no row key or CNIE {r.principal_ref!r} in the file or the registry")
        return
    birth, start = r.person["birth_date"], r.valid_from
    if birth is None or start is None or r.relationship is None:
        return
    if start < birth:
        p.add("valid_from", f"{start} is before the birth date {birth}")
    rule = refs.rule(regime, start) if regime else None
    error = dependent_age_error(
        relationship=r.relationship,
        birth_date=birth,
        disabled=r.person["disabled"],
        on=start,
        rule=rule,
    )
    if error:
        p.add(error.field, error.reason)


def _reject_orphans(rows: list[Row]) -> None:
    for r in rows:
        if r.ok and r.principal_row is not None and not r.principal_row.ok:
            r.problems.add(
                "principal", f"the principal on line {r.principal_row.line} was rejected"
            )


def _units(rows: list[Row]) -> list[list[Row]]:
    """Families (a principal and the dependents referring to it) and lone dependents."""
    families: dict[int, list[Row]] = {}
    units: list[list[Row]] = []
    for r in rows:
        if r.role == "principal":
            families[id(r)] = [r]
            units.append(families[id(r)])
    for r in rows:
        if r.role == "dependent":
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
            **r.person,
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
    principals = [r for r in batch if r.role == "principal"]
    refs = Refs.load(session, [r.employer_number for r in principals if r.employer_number])
    affiliations = [
        {
            "person_id": new_id[id(r)],
            "regime_code": r.regime,
            "employer_id": refs.employers.get(r.employer_number) if r.employer_number else None,
            "mutual_code": r.mutual_code,
            "rsu_score": r.rsu_score,
            "valid_from": r.valid_from,
            **stamp,
        }
        for r in principals
    ]
    if affiliations:
        session.execute(_table(Affiliation).insert(), affiliations)
    links = [
        {
            "dependent_id": new_id[id(r)],
            "principal_id": new_id[id(r.principal_row)]
            if r.principal_row is not None
            else r.principal_id,
            "relationship": r.relationship,
            "valid_from": r.valid_from,
            **stamp,
        }
        for r in batch
        if r.role == "dependent"
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
    rows = [_parse(p, today_) for p in read_rows(path, REQUIRED, OPTIONAL)]
    report.rows_read = len(rows)
    with scope() as session:
        _validate(session, rows)
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
                r.problems.add("row", reason)
        if progress is not None:
            progress(len(batch), total)
    report.errors = sorted((e for r in rows for e in r.problems.errors), key=lambda e: e.line)
    record_run(scope, path, "registry_persons", report, actor)
    return report


__all__ = ["BATCH", "ImportReport", "RowError", "import_persons"]
