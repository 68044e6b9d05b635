"""Reading the registry's CSV files: header checks, rows checked by their model, errors by
line and field (daman.core.rows)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from daman.core.errors import ImportFailed
from daman.core.rows import (
    WHOLE_ROW,
    Checked,
    RowError,
    cells,
    check_row,
    csv_records,
    delimiter_of,
    positions,
)
from daman.reference.models import ImportKind, ImportRun

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Scope = Callable[[], AbstractContextManager[Session]]
Progress = Callable[[int, int], None]  # (rows just loaded, rows to load)


@dataclass
class ImportReport:
    """What an import did: rows read and loaded, and every rejected row with its reason."""

    filename: str
    rows_read: int = 0
    rows_loaded: int = 0
    errors: list[RowError] = field(default_factory=list)
    batches_failed: int = 0

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected_lines)

    def text(self) -> str:
        return "\n".join(f"line {e.line}: {e.field}: {e.reason}" for e in self.errors)


def read_rows(
    path: Path,
    model: type[M],
    required: set[str],
    optional: set[str],
) -> Iterator[Checked[M]]:
    """Each non-blank data row checked by `model`, a refused row with its valid part (see
    daman.core.rows.check_rows). A missing file, a wrong header or a file that is not UTF-8
    CSV is fatal (ImportFailed); a row with more cells than the header is refused."""
    if not path.is_file():
        raise ImportFailed(f"file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as f:
        try:
            delimiter = delimiter_of(f.readline())
            f.seek(0)
            records = csv_records(f, delimiter=delimiter)
            first = next(records, None)
            header = [h.strip() for h in first[1]] if first else []
            missing = sorted(required - set(header))
            unknown = sorted(set(header) - required - optional)
            if missing or unknown:
                parts = []
                if missing:
                    parts.append(f"missing column(s) {', '.join(missing)}")
                if unknown:
                    parts.append(f"unknown column(s) {', '.join(unknown)}")
                raise ImportFailed(f"wrong header in {path.name}: {'; '.join(parts)}")
            where = positions(header, sorted(required | optional))  # absent: empty cells
            for line, record in records:
                checked = check_row(model, line, cells(record, where), partial=True)
                if len(record) > len(header):
                    too_many = f"{len(record)} cells, the header has {len(header)}"
                    checked.errors.insert(0, RowError(line, WHOLE_ROW, too_many, "column_count"))
                yield checked
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFailed(f"{path.name} is not a readable UTF-8 CSV file: {exc}") from exc


def record_run(
    scope: Scope, path: Path, kind: ImportKind, report: ImportReport, actor: str
) -> None:
    """Keep a trace of the import: file, checksum, counts and the rejected rows."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with scope() as session:
        session.add(
            ImportRun(
                kind=kind,
                filename=path.name,
                sha256=digest,
                rows_read=report.rows_read,
                rows_loaded=report.rows_loaded,
                rows_rejected=report.rows_rejected,
                report=report.text(),
                created_by=actor,
                updated_by=actor,
            )
        )
        session.flush()


def batches(units: list[list[T]], size: int) -> Iterator[list[T]]:
    """Whole units (a family, a row) packed into batches of about `size` rows."""
    batch: list[T] = []
    for unit in units:
        if batch and len(batch) + len(unit) > size:
            yield batch
            batch = []
        batch.extend(unit)
    if batch:
        yield batch
