"""`daman registry ...` commands: bulk imports of persons and of contributions.

Exit codes: 0 every row loaded; 2 some rows rejected (listed, with line, field and reason);
1 a fatal error (missing file, wrong header), reported on one line.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from daman.core.actor import cli_actor
from daman.core.errors import DamanError
from daman.registry.csvfile import ImportReport

app = typer.Typer(no_args_is_help=True)
out = Console()
err = Console(stderr=True)
SHOWN = 50


def _run(
    label: str,
    job: Callable[..., ImportReport],
    file: Path,
    batch_size: int,
    report_file: Path | None,
) -> None:
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    if not file.is_file():
        err.print(f"[red]error[/red] file not found: {file}")
        raise typer.Exit(1)
    try:
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(label, total=None)

            def advance(n: int, total: int) -> None:
                bar.update(task, advance=n, total=total)

            report = job(file, actor=cli_actor(), batch_size=batch_size, progress=advance)
    except (DamanError, OSError) as exc:
        err.print(f"[red]error[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    _print(report, report_file)
    if report.errors:
        raise typer.Exit(2)


def _print(report: ImportReport, report_file: Path | None) -> None:
    out.print(
        f"{report.filename}: {report.rows_read} rows read, [green]{report.rows_loaded} loaded"
        f"[/green], [red]{report.rows_rejected} rejected[/red]"
    )
    if not report.errors:
        return
    table = Table("line", "field", "reason")
    for e in report.errors[:SHOWN]:
        table.add_row(str(e.line), e.field, e.reason)
    out.print(table)
    if len(report.errors) > SHOWN:
        out.print(f"... {len(report.errors) - SHOWN} more problems (use --report FILE)")
    if report_file is not None:
        with report_file.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["line", "field", "reason"])
            writer.writerows((e.line, e.field, e.reason) for e in report.errors)
        out.print(f"problems written to {report_file}")


@app.command("import")
def import_persons(
    file: Path = typer.Argument(..., help="CSV of principals and dependents"),
    batch_size: int = typer.Option(1000, min=1, help="rows per transaction"),
    report: Path | None = typer.Option(None, help="write every rejected row to this CSV"),
) -> None:
    """Import insured persons and their dependents (format: daman.registry.importer)."""
    from daman.registry.importer import import_persons as job

    _run("persons", job, file, batch_size, report)


@app.command("import-contributions")
def import_contributions(
    file: Path = typer.Argument(..., help="CSV of monthly contributions"),
    batch_size: int = typer.Option(5000, min=1, help="rows per transaction"),
    report: Path | None = typer.Option(None, help="write every rejected row to this CSV"),
) -> None:
    """Import monthly declared days and payments (format: daman.registry.contribution_import)."""
    from daman.registry.contribution_import import import_contributions as job

    _run("contributions", job, file, batch_size, report)
