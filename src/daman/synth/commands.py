"""`daman synth`: a synthetic population, its providers and days of claims."""

from __future__ import annotations

from datetime import date
from time import perf_counter

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def register(app: typer.Typer) -> None:
    """Add the synth commands to the top-level CLI."""
    app.command(name="synth")(synth)


def synth(
    persons: int = typer.Option(..., min=0, help="persons to add (principals and dependents)"),
    seed: int = typer.Option(..., help="random seed: same seed, date and database, same rows"),
    claims: int = typer.Option(0, min=0, help="claims to add for each day"),
    days: int = typer.Option(1, min=1, help="days of claims, ending on the business date"),
    providers: int | None = typer.Option(
        None, min=0, help="providers to add (default: persons/100)"
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="business date YYYY-MM-DD (default: today)"
    ),
) -> None:
    """Write a deterministic synthetic population (and claims) to the configured database."""
    from daman.core.dates import today
    from daman.core.db import get_engine, unit_of_work
    from daman.synth.claims import generate_claims
    from daman.synth.service import generate

    on = date.fromisoformat(as_of) if as_of else today()
    out = Console()
    started = perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with unit_of_work() as session, Progress(*columns, console=out) as bar:
        task = bar.add_task("persons", total=persons)
        result = generate(
            session,
            persons=persons,
            seed=seed,
            providers=providers,
            as_of=on,
            progress=lambda done: bar.update(task, completed=done),
        )
        made = None
        claims_started = perf_counter()
        if claims:
            claim_task = bar.add_task("claims", total=claims * days)
            made = generate_claims(
                session,
                per_day=claims,
                days=days,
                seed=seed,
                until=on,
                progress=lambda done: bar.update(claim_task, completed=done),
            )
    claim_seconds = perf_counter() - claims_started
    seconds = perf_counter() - started
    table = Table(title=f"daman synth (seed {seed}, {on})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    rows = dict(result.rows)
    if made is not None:
        rows |= made.rows
    for name, count in rows.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(
        "regimes: " + ", ".join(f"{code} {count:,}" for code, count in result.by_regime.items())
    )
    url = get_engine().url.render_as_string(hide_password=True)
    out.print(
        f"[green]{result.persons:,} persons[/green] in {result.seconds:.1f} s "
        f"({result.persons_per_second:,.0f} persons/s)"
        + (f", {made.claims:,} claims in {claim_seconds:.1f} s" if made else "")
        + f"; committed to {url} in {seconds:.1f} s in all"
    )
