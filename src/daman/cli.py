"""The `daman` command line: init, demo, serve, imports, adjudication."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from daman.core.errors import DamanError

app = typer.Typer(
    name="daman", help="Daman: run a mandatory health insurance fund.", no_args_is_help=True
)
err = Console(stderr=True)
out = Console()


@app.command()
def init() -> None:
    """Create or upgrade the database schema and load the default reference data."""
    from daman.core.db import get_engine, unit_of_work
    from daman.core.migrate import upgrade
    from daman.preauth.seed import load_requirements
    from daman.reference.seed import load_defaults

    engine = get_engine()
    upgrade(engine)
    summary = load_defaults()
    with unit_of_work() as session:
        summary["care needing authorisation"] = load_requirements(session)
    out.print(f"[green]database ready[/green] ({engine.url.render_as_string(hide_password=True)})")
    out.print("reference data: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@app.command()
def demo(
    seed: int = typer.Option(None, help="random seed (default: settings.demo_seed)"),
) -> None:
    """Load the deterministic demo population (idempotent) and print the demo persons."""
    from daman.synth.demo import load_demo, print_demo

    print_demo(load_demo(seed=seed), out)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    reload: bool = typer.Option(False),
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    out.print(f"Daman on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    uvicorn.run("daman.app:create_app", factory=True, host=host, port=port, reload=reload)


def _register() -> None:
    from daman.adjudication.commands import register as adjudication
    from daman.auth.commands import register as auth
    from daman.claims.commands import app as claims
    from daman.notifications.commands import app as notifications
    from daman.payments.commands import app as payments
    from daman.reference.commands import app as reference
    from daman.registry.commands import app as registry
    from daman.synth.commands import register as synth

    app.add_typer(reference, name="reference", help="Reference data: drug list, ALD list.")
    app.add_typer(registry, name="registry", help="Registry: bulk import of persons.")
    app.add_typer(claims, name="claims", help="Claims: bulk import of care sheets.")
    app.add_typer(payments, name="payments", help="Payments: batches, bank files, returns.")
    app.add_typer(notifications, name="notifications", help="Notifications: send the outbox.")
    adjudication(app)
    synth(app)
    auth(app)


_register()


def main() -> None:
    """Entry point: one clear line and a non-zero exit on any domain error."""
    try:
        app()
    except DamanError as exc:
        err.print(f"[red]error[/red] {exc.code}: {exc}")
        sys.exit(1)
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}")
        sys.exit(1)
