"""`daman payments ...`: the payment run, the bank file, the bank's return."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from daman.core.actor import cli_actor
from daman.core.money import format_mad

app = typer.Typer(no_args_is_help=True)
out = Console()


def _write(number: str, directory: Path) -> Path:
    """Export a batch's pain.001 (recorded in the database) and write it once committed."""
    from daman.core.db import unit_of_work
    from daman.payments.service import export_pain001

    with unit_of_work() as session:
        filename, document = export_pain001(session, number, cli_actor())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(document)
    partial.replace(path)
    return path


@app.command("run")
def run(
    chunk_size: int = typer.Option(
        1000, "--chunk-size", min=1, help="claims per transaction (one commit per chunk)"
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", file_okay=False, help="write the batch's pain.001 file to this directory"
    ),
    execution_date: str | None = typer.Option(
        None, "--execution-date", help="requested execution date, YYYY-MM-DD (default: today)"
    ),
) -> None:
    """Pay every approved claim: one transfer per payee in a new batch.

    Safe to interrupt and re-run: each chunk commits whole or not at all, a line is never
    queued twice, and the next run's batch takes the lines an interrupted run queued.
    Payees without a valid RIB are held back (see `GET /api/v1/payments/held`).
    """
    from daman.core.db import get_engine
    from daman.payments.service import run_chunked

    when = date.fromisoformat(execution_date) if execution_date else None
    report = run_chunked(
        get_engine(), f"batch:{cli_actor()}", chunk_size=chunk_size, execution_date=when
    )
    out.print(
        f"{report.claims_paid} claims paid ({report.lines_paid} lines, "
        f"{format_mad(report.amount_centimes)} MAD) in {report.chunks} chunks; "
        f"{len(report.held)} claims held back"
    )
    batch = report.batch
    if batch is None:
        out.print("nothing to pay: no batch formed")
        return
    out.print(
        f"batch {batch.number}: {batch.transfers_count} transfers, {batch.items_count} lines, "
        f"{format_mad(batch.total_centimes)} {batch.currency}, "
        f"execution {batch.execution_date.isoformat()}"
    )
    if out_dir is not None:
        out.print(f"bank file: {_write(batch.number, out_dir)}")


@app.command("export")
def export(
    number: str = typer.Argument(..., help="batch number, e.g. PB00000001"),
    out_dir: Path = typer.Option(Path("."), "--out", file_okay=False, help="directory"),
) -> None:
    """Write a batch's pain.001 file again (the same bytes as the first time)."""
    out.print(f"bank file: {_write(number, out_dir)}")


@app.command("import-return")
def import_return(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="camt.054 XML or CSV list"
    ),
) -> None:
    """Import the bank's return: mark transfers settled or rejected (rejected lines go back
    to be paid once the RIB is fixed). Importing the same file again changes nothing."""
    from daman.core.db import unit_of_work
    from daman.payments.service import import_return as apply

    with unit_of_work() as session:
        result = apply(session, file.name, file.read_bytes(), cli_actor())
    out.print(
        f"{result.format}: {result.settled} settled, {result.rejected} rejected, "
        f"{result.unchanged} unchanged, {result.ignored} not booked, "
        f"{len(result.unmatched)} unmatched"
    )
    for reference in result.unmatched[:20]:
        out.print(f"  unmatched: {reference}")
