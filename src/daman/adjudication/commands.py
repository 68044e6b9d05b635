"""`daman adjudicate`: value every received claim in batch."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

out = Console()


def adjudicate(
    chunk_size: int = typer.Option(
        1000, "--chunk-size", min=1, help="claims per transaction (one commit per chunk)"
    ),
) -> None:
    """Value every `received` claim, chunk by chunk, in claim order.

    Safe to interrupt and re-run: each chunk commits whole or not at all, and only claims
    still `received` are picked, so no claim is valued twice and none is lost.
    """
    from daman.adjudication.service import run_batch
    from daman.core.actor import cli_actor
    from daman.core.db import get_engine

    with Progress(
        TextColumn("adjudicating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as bar:
        task = bar.add_task("claims", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_batch(get_engine(), chunk_size, f"batch:{cli_actor()}", progress)
    v = report.valued
    out.print(
        f"{v.claims} claims ({v.lines} lines) valued in {report.chunks} chunks: "
        + ", ".join(f"{k} {n}" for k, n in sorted(v.claim_statuses.items()))
        + (" | lines " + ", ".join(f"{k} {n}" for k, n in sorted(v.line_statuses.items())))
    )


def register(app: typer.Typer) -> None:
    """Add the adjudication commands to the top-level CLI."""
    app.command("adjudicate")(adjudicate)
