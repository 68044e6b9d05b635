"""`daman claims ...` commands: bulk import of keyed-in paper claims, approval for payment."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from daman.core.actor import cli_actor
from daman.core.db import unit_of_work

app = typer.Typer(no_args_is_help=True)
out = Console()
err = Console(stderr=True)
SHOWN = 50


@app.command("import")
def import_file(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="JSON lines, one claim a line"
    ),
) -> None:
    """Import paper claims keyed in at agencies (each with deposit_date and reference).

    Good lines are stored `received` for `daman adjudicate`; each bad line is reported with
    its line number and field. Importing the same file again stores nothing twice. Exit
    code 1 when a line was refused.
    """
    from daman.claims.importer import import_claims

    with unit_of_work() as session:
        report = import_claims(session, file, cli_actor())
    for e in report.errors[:SHOWN]:
        err.print(f"line {e.line}: {e.field}: {e.reason}")
    if len(report.errors) > SHOWN:
        err.print(f"... and {len(report.errors) - SHOWN} more errors")
    out.print(
        f"{report.read} read, [green]{report.loaded} loaded[/green], "
        f"{report.already_loaded} already loaded, "
        f"[{'red' if report.rejected else 'green'}]{report.rejected} refused[/]"
    )
    if report.rejected:
        raise typer.Exit(1)


@app.command("approve")
def approve(
    reason: str = typer.Option("daily approval", help="why, kept in each claim's history"),
) -> None:
    """Approve for payment every adjudicated claim that has a payable amount."""
    from daman.claims.service import approve_all

    with unit_of_work() as session:
        n = approve_all(session, cli_actor(), reason)
    out.print(f"[green]{n} claims approved for payment[/green]")
