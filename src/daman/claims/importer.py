"""Bulk import of paper claims keyed in at agencies: a JSON-lines file, one claim a line.

Each line is a claim as `POST /api/v1/claims` takes it, plus its `deposit_date` (the day
the paper was handed in) and a `reference` unique to that paper file. The command is the
fund's own intake of paper: it sets the deposit date and the channel (import), which a
claim sent over the API by an insured person or a provider may not. Amounts, quantities,
coefficients and text are checked as over the API (bounds, the policy's limits, no
bidirectional control characters), each refusal reported with its line and field. Good lines are
stored `received` (the batch `daman adjudicate` values them); each bad line is reported
with its line number, field and reason. The reference is the line's idempotency key
(submitter "import"): importing the same file again stores nothing twice, and a reference
reused for a different claim is reported as an error.

The file is read in chunks of CHUNK lines, each checked with a handful of bulk queries.
The whole import is one transaction; the run is kept as an ImportRun row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.claims import intake
from daman.claims import repository as repo
from daman.claims.models import Channel
from daman.claims.schemas import ClaimImportLine, ClaimIn
from daman.core.dates import today
from daman.core.rows import RowError, row_errors
from daman.reference.models import ImportKind, ImportRun

SUBMITTER = "import"
CHUNK = 2_000


@dataclass
class ImportReport:
    filename: str
    sha256: str = ""
    read: int = 0
    loaded: int = 0
    already_loaded: int = 0
    errors: list[RowError] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({e.line for e in self.errors})


def _parsed(path: Path, report: ImportReport) -> Iterator[tuple[int, ClaimImportLine]]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            digest.update(raw)
            if not raw.strip():
                continue
            report.read += 1
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, huge, too deep
                report.errors.append(RowError(n, "line", f"not valid JSON: {exc}", "bad_json"))
                continue
            try:
                yield n, ClaimImportLine.model_validate(data)
            except ValidationError as exc:
                report.errors += row_errors(n, exc, whole="line")
    report.sha256 = digest.hexdigest()


def import_claims(session: Session, path: Path, actor: str) -> ImportReport:
    """Load the good claims of a JSON-lines file; report the bad ones by line and field."""
    report = ImportReport(filename=path.name)
    batch: list[tuple[int, ClaimImportLine]] = []
    seen: dict[str, str] = {}  # reference -> request hash, within this file
    for item in _parsed(path, report):
        batch.append(item)
        if len(batch) == CHUNK:
            _load(session, batch, report, seen, actor)
            batch = []
    _load(session, batch, report, seen, actor)
    report.errors.sort(key=lambda e: e.line)
    session.add(
        ImportRun(
            kind=ImportKind.CLAIMS,
            filename=path.name[:500],
            sha256=report.sha256,
            rows_read=report.read,
            rows_loaded=report.loaded,
            rows_rejected=report.rejected,
            report=json.dumps(
                {
                    "already_loaded": report.already_loaded,
                    "errors": [
                        {"line": e.line, "field": e.field, "reason": e.reason}
                        for e in report.errors
                    ],
                },
                ensure_ascii=False,
            ),
            created_by=actor,
            updated_by=actor,
        )
    )
    session.flush()
    return report


def _load(
    session: Session,
    batch: list[tuple[int, ClaimImportLine]],
    report: ImportReport,
    seen: dict[str, str],
    actor: str,
) -> None:
    if not batch:
        return
    day = today()
    known = repo.hashes_by_key(session, SUBMITTER, [c.reference for _, c in batch])
    lk = intake.lookups(session, [c for _, c in batch])
    good: list[tuple[ClaimIn, str | None]] = []
    for n, claim in batch:
        digest = intake.request_hash(claim)
        first = known.get(claim.reference, seen.get(claim.reference))
        if first is not None or claim.reference in known:
            if first == digest:
                report.already_loaded += 1
            else:
                report.errors.append(
                    RowError(
                        n, "reference", "already used for a different claim", "reference_reused"
                    )
                )
            continue
        problems = intake.problems(claim, lk, day)
        if problems:
            report.errors += [RowError(n, e.field, e.reason) for e in problems]
            continue
        seen[claim.reference] = digest
        good.append((claim, claim.reference))
    stored = intake.store(
        session, good, lk, submitter=SUBMITTER, actor=actor, channel=Channel.IMPORT
    )
    report.loaded += len(stored)
    report.numbers += [c.number for c in stored]
