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
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="worker processes on this machine sharing the batch by patient chunks "
        "(PostgreSQL); run the same command on other machines to add theirs",
    ),
) -> None:
    """Value every `received` claim, chunk by chunk.

    Safe to interrupt and re-run: each chunk commits whole or not at all, and only claims
    still `received` are picked, so no claim is valued twice and none is lost. With
    --workers, the claims are cut into chunks by patient that every worker, here or on
    another machine, takes with a row lock; a worker that dies leaves its chunk to the
    others.
    """
    from daman.adjudication.service import Valued, run_batch
    from daman.adjudication.workers import run_workers
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

        actor = f"batch:{cli_actor()}"
        engine = get_engine()
        v: Valued
        if workers is None:
            report = run_batch(engine, chunk_size, actor, progress)
            v, chunks = report.valued, report.chunks
        else:
            url = engine.url.render_as_string(hide_password=False)
            shared = run_workers(url, workers, chunk_size, actor, progress)
            v, chunks = shared.valued, shared.chunks
            if shared.failed_workers:
                out.print(
                    f"[yellow]{shared.failed_workers} worker(s) died; "
                    "the others valued their chunks[/yellow]"
                )
    out.print(
        f"{v.claims} claims ({v.lines} lines) valued in {chunks} chunks: "
        + ", ".join(f"{k} {n}" for k, n in sorted(v.claim_statuses.items()))
        + (" | lines " + ", ".join(f"{k} {n}" for k, n in sorted(v.line_statuses.items())))
    )


def register(app: typer.Typer) -> None:
    """Add the adjudication commands to the top-level CLI."""
    app.command("adjudicate")(adjudicate)
