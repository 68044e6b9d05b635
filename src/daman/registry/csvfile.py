"""Reading the registry's CSV files: header checks, typed cells, errors by line and field."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from daman.core.errors import ImportFailed
from daman.reference.models import ImportRun

T = TypeVar("T")
Scope = Callable[[], AbstractContextManager[Session]]
Progress = Callable[[int, int], None]  # (rows just loaded, rows to load)

TRUE = {"1", "true", "yes", "oui", "y", "o"}
FALSE = {"", "0", "false", "no", "non", "n"}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


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


class RowProblems:
    """Collects the problems of one row while its cells are parsed."""

    def __init__(self, line: int, cells: dict[str, str]) -> None:
        self.line = line
        self.cells = cells
        self.errors: list[RowError] = []

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append(RowError(self.line, field_name, reason))

    def text(self, name: str, *, required: bool = False, max_length: int = 100) -> str | None:
        value = (self.cells.get(name) or "").strip()
        if not value:
            if required:
                self.add(name, "is required")
            return None
        if len(value) > max_length:
            self.add(name, f"longer than {max_length} characters")
            return None
        return value

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.add(name, f"{value!r} is not a date YYYY-MM-DD")
            return None

    def month(self, name: str) -> dt.date | None:
        value = self.text(name, required=True)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(f"{value}-01" if len(value) == 7 else value).replace(day=1)
        except ValueError:
            self.add(name, f"{value!r} is not a month YYYY-MM")
            return None

    def boolean(self, name: str, default: bool = False) -> bool:
        value = (self.cells.get(name) or "").strip().lower()
        if not value:
            return default
        if value in TRUE:
            return True
        if value not in FALSE:
            self.add(name, f"{value!r} is not yes/no")
        return False

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.text(name, required=True)
        if value is None:
            return None
        if not value.isdigit() or not low <= int(value) <= high:
            self.add(name, f"{value!r} is not a whole number from {low} to {high}")
            return None
        return int(value)


def read_rows(path: Path, required: set[str], optional: set[str]) -> Iterator[RowProblems]:
    """Each non-blank data row, with its line number; a missing file or a wrong header is
    fatal (ImportFailed), a row with more cells than the header is reported."""
    if not path.is_file():
        raise ImportFailed(f"file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as f:
        first = f.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        f.seek(0)
        reader = csv.DictReader(f, delimiter=delimiter)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = sorted(required - set(header))
        unknown = sorted(set(header) - required - optional)
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing column(s) {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown column(s) {', '.join(unknown)}")
            raise ImportFailed(f"wrong header in {path.name}: {'; '.join(parts)}")
        reader.fieldnames = header
        try:
            for row in reader:
                extra = row.pop(None, None)
                cells = {k: v or "" for k, v in row.items()}
                if not extra and not any(v.strip() for v in cells.values()):
                    continue
                problems = RowProblems(reader.line_num, cells)
                if extra:
                    problems.add(
                        "row", f"{len(header) + len(extra)} cells, the header has {len(header)}"
                    )
                yield problems
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFailed(f"{path.name} is not a readable UTF-8 CSV file: {exc}") from exc


def record_run(scope: Scope, path: Path, kind: str, report: ImportReport, actor: str) -> None:
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
