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


OUT = typer.Option(
    None,
    "--out",
    file_okay=False,
    help="directory of the bank files (default: DAMAN_DATA_DIR/bank)",
)


def _directory(out_dir: Path | None) -> Path:
    from daman.config import get_settings

    return out_dir if out_dir is not None else get_settings().bank_dir


def _write(number: str, directory: Path) -> Path:
    """Write a batch's bank file and commit its state; the path, once committed."""
    from daman.core.db import unit_of_work
    from daman.payments.service import write_bank_file

    with unit_of_work() as session:
        path = write_bank_file(session, number, directory, cli_actor())
    return path


@app.command("run")
def run(
    chunk_size: int = typer.Option(
        1000, "--chunk-size", min=1, help="claims per transaction (one commit per chunk)"
    ),
    out_dir: Path | None = OUT,
    execution_date: str | None = typer.Option(
        None, "--execution-date", help="requested execution date, YYYY-MM-DD (default: today)"
    ),
) -> None:
    """Pay every approved claim: one transfer per payee in a new batch, and its bank file.

    First finishes what an earlier run left: a batch formed without its bank file gets it.
    Safe to interrupt and re-run: each chunk commits whole or not at all, a line is never
    queued twice, and the next run's batch takes the lines an interrupted run queued.
    Payees without a valid RIB are held back (see `GET /api/v1/payments/held`).
    """
    from daman.core.db import get_engine
    from daman.payments.service import run_chunked, write_missing_files

    when = date.fromisoformat(execution_date) if execution_date else None
    directory = _directory(out_dir)
    for number, path in write_missing_files(get_engine(), directory, cli_actor()):
        out.print(f"[yellow]batch {number} was left without its bank file:[/yellow] {path}")
    report = run_chunked(
        get_engine(), f"batch:{cli_actor()}", chunk_size=chunk_size, execution_date=when
    )
    out.print(
        f"{report.claims_paid} claims in payment ({report.lines_paid} lines, "
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
    out.print(f"bank file: {_write(batch.number, directory)}")
    out.print(f"once it is sent to the bank: daman payments sent {batch.number}")


@app.command("export")
def export(
    number: str = typer.Argument(..., help="batch number, e.g. PB00000001"),
    out_dir: Path | None = OUT,
) -> None:
    """Write a batch's bank file (again: the same bytes as the first time)."""
    out.print(f"bank file: {_write(number, _directory(out_dir))}")


@app.command("sent")
def sent(number: str = typer.Argument(..., help="batch number, e.g. PB00000001")) -> None:
    """Record that the batch's bank file was handed to the bank: its claims read paid."""
    from daman.core.db import unit_of_work
    from daman.payments.service import mark_sent

    with unit_of_work() as session:
        batch = mark_sent(session, number, cli_actor())
        state, when = batch.status, batch.sent_at
    out.print(f"batch {number}: {state} ({when:%Y-%m-%d %H:%M})")


@app.command("status")
def status() -> None:
    """Batches by state, and each batch not yet settled with its age (a batch formed
    without its bank file past the grace period is flagged)."""
    from rich.table import Table

    from daman.core.dates import aware, now
    from daman.core.db import unit_of_work
    from daman.payments.service import batch_states, is_stale

    with unit_of_work() as session:
        lines, open_batches = batch_states(session)
        at = now()
        rows = [
            (
                b.number,
                b.status,
                b.transfers_count,
                b.total_centimes,
                at - aware(b.created_at),
                is_stale(b, at),
            )
            for b in open_batches
        ]
    table = Table(title="payment batches by state")
    for column in ("state", "batches", "total MAD"):
        table.add_column(column, justify="left" if column == "state" else "right")
    for line in lines:
        table.add_row(line.state.value, str(line.batches), format_mad(line.total_centimes))
    out.print(table)
    if rows:
        pending = Table(title="batches not yet reconciled")
        for column in ("batch", "state", "transfers", "total MAD", "age", ""):
            pending.add_column(column)
        for number, state, transfers, total, age, stale in rows:
            flag = "[red]NO BANK FILE[/red]" if stale else ""
            hours = f"{age.total_seconds() / 3600:.1f} h"
            pending.add_row(number, state, str(transfers), format_mad(total), hours, flag)
        out.print(pending)
    stale_count = sum(1 for r in rows if r[5])
    if stale_count:
        out.print(
            f"[red]{stale_count} batch(es) formed without a bank file:[/red] "
            "`daman payments run` (or export) writes them"
        )
        raise typer.Exit(3)


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
