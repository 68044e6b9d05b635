"""Loading the drug list and the ALD list into the database, in one transaction, in bulk.

Drug lists are versioned by their valid-from date. Each list's prices are rows of their
own (prices are not carried from one list to the next, even when equal), so every price
row says which list it came from. Importing a list valid from V:

* refuses V when a list valid from a later date is already loaded;
* closes, on the day before V, every open price of an earlier list, including the prices
  of drugs absent from the new list (they are no longer on the list from V on);
* inserts the new list's prices valid from V; re-importing a list with the same V inserts
  what is missing, corrects what differs and leaves the rest untouched, so the same file
  twice changes nothing;
* updates the drugs' names and descriptions to the new list's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from daman.core.dates import day_before, now
from daman.reference import repository
from daman.reference.errors import OlderDrugList
from daman.reference.models import AldDisease, Drug, DrugPrice, ImportKind, ImportRun
from daman.reference.parsing import (
    AldRow,
    DrugRow,
    Parsed,
    Rejected,
    parse_ald_list,
    parse_drug_list,
)

CHUNK = 1000
# phase ("check" or "write"), rows done, rows in all
ImportProgress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    kind: ImportKind
    filename: str
    sha256: str
    encoding: str
    valid_from: date | None
    rows_read: int
    rows_loaded: int  # valid rows: now in the database, added or already there
    rejected: list[Rejected]
    added: dict[str, int] = field(default_factory=dict)  # table -> rows inserted
    updated: dict[str, int] = field(default_factory=dict)  # table -> rows changed
    unchanged: int = 0
    closed: int = 0  # open prices of an earlier list closed the day before valid_from
    run_id: int | None = None

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def changed(self) -> bool:
        return any(self.added.values()) or any(self.updated.values()) or self.closed > 0

    def rejected_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rejected:
            counts[r.reason] = counts.get(r.reason, 0) + 1
        return dict(sorted(counts.items()))

    def report(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "closed": self.closed,
            "rejected_by_reason": self.rejected_by_reason(),
            "rejected": [r.as_dict() for r in self.rejected],
        }


def import_drug_file(
    session: Session,
    path: Path,
    *,
    valid_from: date,
    actor: str,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Import a drug list file in the official CNOPS/ANAM format and record the run."""
    return import_drug_list(
        session,
        path.read_bytes(),
        filename=path.name,
        valid_from=valid_from,
        actor=actor,
        progress=progress,
    )


def import_drug_list(
    session: Session,
    raw: bytes,
    *,
    filename: str,
    valid_from: date,
    actor: str,
    progress: ImportProgress | None = None,
    record: bool = True,
) -> ImportResult:
    """Check and load a drug list valid from `valid_from` (see the module's rules), in bulk
    inside the caller's transaction; with `record` the run is kept as an ImportRun."""
    in_force = repository.latest_drug_list(session)
    if in_force is not None and valid_from < in_force:
        raise OlderDrugList(
            f"a drug list valid from {in_force.isoformat()} is in force; "
            f"a list valid from {valid_from.isoformat()} would rewrite its history"
        )
    parsed = parse_drug_list(raw, (lambda d, t: progress("check", d, t)) if progress else None)
    result = _result(ImportKind.DRUGS, filename, parsed, valid_from)
    stamp = {"updated_by": actor, "updated_at": now()}
    drug_ids = _write_drugs(session, parsed, result, actor, stamp)
    _write_prices(session, parsed, drug_ids, valid_from, filename, result, actor, stamp, progress)
    closing = session.execute(
        update(DrugPrice)
        .where(DrugPrice.valid_to.is_(None), DrugPrice.valid_from < valid_from)
        .values(valid_to=day_before(valid_from), **stamp)
        .execution_options(synchronize_session=False)
    )
    result.closed = closing.rowcount  # type: ignore[attr-defined]
    if record:
        record_run(session, result, actor)
    session.flush()
    return result


def _result(
    kind: ImportKind, filename: str, parsed: Parsed[Any], valid_from: date | None
) -> ImportResult:
    return ImportResult(
        kind=kind,
        filename=filename,
        sha256=parsed.sha256,
        encoding=parsed.encoding,
        valid_from=valid_from,
        rows_read=parsed.rows_read,
        rows_loaded=len(parsed.rows),
        rejected=parsed.rejected,
    )


def _write_drugs(
    session: Session,
    parsed: Parsed[DrugRow],
    result: ImportResult,
    actor: str,
    stamp: dict[str, object],
) -> dict[str, int]:
    """Insert new drugs, update changed descriptions; return drug id by code."""
    columns = (
        Drug.id,
        Drug.code,
        Drug.name,
        Drug.dci,
        Drug.dosage,
        Drug.dosage_unit,
        Drug.form,
        Drug.presentation,
        Drug.princeps_generique,
    )
    existing = {r.code: r for r in session.execute(select(*columns))}
    ids = {code: r.id for code, r in existing.items()}
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for row in parsed.rows:
        attrs = row.attributes()
        known = existing.get(row.code)
        if known is None:
            new.append({"code": row.code, **attrs, "created_by": actor, **stamp})
        elif any(getattr(known, k) != v for k, v in attrs.items()):
            changed.append({"id": known.id, **attrs, **stamp})
    for start in range(0, len(new), CHUNK):
        inserted = session.execute(
            insert(Drug).returning(Drug.id, Drug.code, sort_by_parameter_order=True),
            new[start : start + CHUNK],
        )
        ids.update({r.code: r.id for r in inserted})
    if changed:
        session.execute(update(Drug), changed)
    result.added["drugs"] = len(new)
    result.updated["drugs"] = len(changed)
    return ids


def _write_prices(
    session: Session,
    parsed: Parsed[DrugRow],
    drug_ids: dict[str, int],
    valid_from: date,
    list_name: str,
    result: ImportResult,
    actor: str,
    stamp: dict[str, object],
    progress: ImportProgress | None,
) -> None:
    same_list = {
        r.drug_id: r
        for r in session.execute(
            select(
                DrugPrice.id,
                DrugPrice.drug_id,
                DrugPrice.ppv_centimes,
                DrugPrice.ph_centimes,
                DrugPrice.base_centimes,
                DrugPrice.rate_bp,
            ).where(DrugPrice.valid_from == valid_from)
        )
    }
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for row in parsed.rows:
        prices = row.prices()
        drug_id = drug_ids[row.code]
        known = same_list.get(drug_id)
        if known is None:
            new.append(
                {
                    "drug_id": drug_id,
                    **prices,
                    "valid_from": valid_from,
                    "valid_to": None,
                    "list_name": list_name,
                    "created_by": actor,
                    **stamp,
                }
            )
        elif any(getattr(known, k) != v for k, v in prices.items()):
            changed.append({"id": known.id, **prices, **stamp})
        else:
            result.unchanged += 1
    total = len(new) + len(changed)
    for start in range(0, len(new), CHUNK):
        session.execute(insert(DrugPrice), new[start : start + CHUNK])
        if progress:
            progress("write", min(start + CHUNK, len(new)), total)
    if changed:
        session.execute(update(DrugPrice), changed)
    if progress:
        progress("write", total, total)
    result.added["drug_prices"] = len(new)
    result.updated["drug_prices"] = len(changed)


def import_ald_file(
    session: Session, path: Path, *, actor: str, update_existing: bool = True
) -> ImportResult:
    return import_ald_list(
        session, path.read_bytes(), filename=path.name, actor=actor, update_existing=update_existing
    )


def import_ald_list(
    session: Session,
    raw: bytes,
    *,
    filename: str,
    actor: str,
    update_existing: bool = True,
    record: bool = True,
) -> ImportResult:
    """Load an ALD list: insert new headings, update changed ones (by code); idempotent.

    With update_existing=False only missing headings are added (the seed never reverts
    what an administrator changed).
    """
    parsed = parse_ald_list(raw)
    result = _result(ImportKind.ALD, filename, parsed, None)
    existing = {d.code: d for d in session.scalars(select(AldDisease))}
    stamp = {"updated_by": actor, "updated_at": now()}
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for row in parsed.rows:
        values = _ald_values(row)
        known = existing.get(row.code)
        if known is None:
            new.append({"code": row.code, **values, "created_by": actor, **stamp})
        elif update_existing and any(getattr(known, k) != v for k, v in values.items()):
            changed.append({"id": known.id, **values, **stamp})
        else:
            result.unchanged += 1
    if new:
        session.execute(insert(AldDisease), new)
    if changed:
        session.execute(update(AldDisease), changed)
    result.added["ald_diseases"] = len(new)
    result.updated["ald_diseases"] = len(changed)
    if record:
        record_run(session, result, actor)
    session.flush()
    return result


def _ald_values(row: AldRow) -> dict[str, object]:
    return {
        "number": row.number,
        "kind": row.kind,
        "name_fr": row.name_fr,
        "name_ar": row.name_ar,
        "icd10": row.icd10,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "source": row.source,
    }


def record_run(session: Session, result: ImportResult, actor: str) -> ImportRun:
    """Keep the run: file, checksum, counts and the full report (every rejected row)."""
    run = ImportRun(
        kind=result.kind,
        filename=result.filename[:500],
        sha256=result.sha256,
        rows_read=result.rows_read,
        rows_loaded=result.rows_loaded,
        rows_rejected=result.rows_rejected,
        valid_from=result.valid_from,
        report=json.dumps(result.report(), ensure_ascii=False),
        created_by=actor,
        updated_by=actor,
    )
    session.add(run)
    session.flush()
    result.run_id = run.id
    return run
