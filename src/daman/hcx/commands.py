"""`daman hcx ...`: the exchange's worker and Daman's public key."""

from __future__ import annotations

import json

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def worker(
    until_idle: bool = typer.Option(False, help="stop once every cycle is delivered"),
    backoff: float = typer.Option(
        2.0, help="seconds before the first retry (doubling, 1 h at most)"
    ),
    interval: float = typer.Option(1.0, help="seconds between polls when idle"),
    deadline: float = typer.Option(None, help="stop after this many seconds"),
) -> None:
    """Process accepted calls and deliver their answers to the partners' on_* endpoints,
    retrying with back-off until each is acknowledged."""
    from daman.hcx import service
    from daman.hcx import worker as hcx_worker

    steps = hcx_worker.run(
        backoff=service.Backoff(first_seconds=backoff),
        until_idle=until_idle,
        interval=interval,
        deadline_seconds=deadline,
    )
    typer.echo(f"hcx worker: {steps} steps")


@app.command()
def key() -> None:
    """Print the fund's public key (JWKS) for partners to encrypt to."""
    from daman.hcx import jwe

    typer.echo(json.dumps(jwe.public_jwks(), indent=2))
