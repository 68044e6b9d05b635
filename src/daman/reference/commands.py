"""`daman reference ...` commands: import the drug list and the ALD list."""

from __future__ import annotations

import csv
import json
import time
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from daman.core.actor import cli_actor
from daman.core.dates import today
from daman.core.db import unit_of_work
from daman.reference.importers import ImportResult, import_ald_file, import_drug_file
from daman.reference.models import ImportKind

app = typer.Typer(no_args_is_help=True)
out = Console()
SHOWN = 50

_FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV file")


@app.command("import-drugs")
def import_drugs(
    file: Path = _FILE,
    valid_from: str = typer.Option(
        None, "--valid-from", help="YYYY-MM-DD the list applies from (default: today)"
    ),
    report: Path = typer.Option(None, "--report", help="write every rejected row to this file"),
) -> None:
    """Import a drug list in the official CNOPS/ANAM format (CODE,NOM,DCI1,...).

    Prices of the list in force are closed the day before the new list's date; the same
    file with the same date twice changes nothing. Rejected rows are listed with their
    line numbers.
    """
    start = _date(valid_from) if valid_from else today()
    began = time.perf_counter()
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=out,
            transient=True,
        ) as bar,
        unit_of_work() as session,
    ):
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(f"{phase} rows", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        result = import_drug_file(
            session, file, valid_from=start, actor=cli_actor(), progress=progress
        )
    _print(result, time.perf_counter() - began, report)


@app.command("import-ald")
def import_ald(
    file: Path = _FILE,
    report: Path = typer.Option(None, "--report", help="write every rejected row to this file"),
) -> None:
    """Import an ALD/ALC list (columns code,number,kind,name_fr,name_ar,icd10,valid_from,
    valid_to,source): new headings are added, changed ones updated; idempotent."""
    began = time.perf_counter()
    with unit_of_work() as session:
        result = import_ald_file(session, file, actor=cli_actor())
    _print(result, time.perf_counter() - began, report)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _print(result: ImportResult, seconds: float, report: Path | None) -> None:
    since = f" valid from {result.valid_from.isoformat()}" if result.valid_from else ""
    out.print(
        f"[bold]{result.filename}[/bold]{since} ({result.encoding}, sha256 {result.sha256[:12]}), "
        f"run {result.run_id}, {seconds:.2f} s"
    )
    out.print(
        f"rows read {result.rows_read}, loaded {result.rows_loaded}, "
        f"rejected {result.rows_rejected}"
    )
    for table in result.added:
        out.print(f"  {table}: added {result.added[table]}, updated {result.updated.get(table, 0)}")
    closed = f", earlier prices closed {result.closed}" if result.kind == ImportKind.DRUGS else ""
    out.print(f"  unchanged {result.unchanged}{closed}")
    if result.rejected:
        by_reason = ", ".join(f"{k} {v}" for k, v in result.rejected_by_reason().items())
        out.print(f"[yellow]rejected by reason:[/yellow] {by_reason}")
        shown = Table("line", "code", "reason", "detail")
        for r in result.rejected[:SHOWN]:
            shown.add_row(str(r.line), r.code, r.reason, r.detail)
        out.print(shown)
        if len(result.rejected) > SHOWN:
            out.print(f"... and {len(result.rejected) - SHOWN} more (use --report FILE)")
    if report is not None:
        _write_report(result, report)
        out.print(f"report written to {report}")


def _write_report(result: ImportResult, path: Path) -> None:
    """Every rejected row: CSV (line,code,reason,detail) for a .csv name, else full JSON."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["line", "code", "reason", "detail"])
            writer.writerows([r.line, r.code, r.reason, r.detail] for r in result.rejected)
        return
    path.write_text(json.dumps(result.report(), ensure_ascii=False, indent=2) + "\n", "utf-8")
