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
    """Serve the web app and the API. Outside development it refuses to start (one line,
    exit 1) with a missing or short DAMAN_SECRET_KEY or while a demo account keeps the
    demo password. X-Forwarded-For is read only from DAMAN_TRUSTED_PROXIES."""
    import uvicorn
    from pydantic import ValidationError
    from rich.markup import escape

    from daman.config import get_settings

    try:
        settings = get_settings()
        if settings.environment != "development":
            from daman.accounts.demo import refuse_open_demo_accounts

            refuse_open_demo_accounts()
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        err.print(f"[red]error[/red] {escape(reasons)}", soft_wrap=True)
        raise typer.Exit(1) from None
    except DamanError as exc:
        err.print(f"[red]error[/red] {exc.code}: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    trusted = settings.trusted_proxies
    docs = "API docs" if settings.public_api_docs else "API docs, signed in,"
    out.print(f"Daman on http://{host}:{port} ({docs} at http://{host}:{port}/docs)")
    uvicorn.run(
        "daman.app:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        # uvicorn would trust X-Forwarded-For from 127.0.0.1 by default: a proxy on the
        # same host passing the header through would let a client choose its address.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
    )


def _register() -> None:
    import daman.models  # noqa: F401 - every table mapped, whichever command runs
    from daman.accounts.commands import register as auth
    from daman.adjudication.commands import register as adjudication
    from daman.claims.commands import app as claims
    from daman.contributions.collection.commands import app as contributions
    from daman.exemptions.commands import ald_reminders
    from daman.hcx.commands import app as hcx
    from daman.notifications.commands import app as notifications
    from daman.payments.commands import app as payments
    from daman.portal.commands import app as portal
    from daman.reference.commands import app as reference
    from daman.registry.commands import app as registry
    from daman.synth.commands import register as synth

    app.add_typer(reference, name="reference", help="Reference data: drug list, ALD list.")
    app.add_typer(registry, name="registry", help="Registry: bulk import of persons.")
    app.add_typer(claims, name="claims", help="Claims: bulk import of care sheets.")
    app.add_typer(payments, name="payments", help="Payments: batches, bank files, returns.")
    app.add_typer(
        contributions,
        name="contributions",
        help="Contributions: declarations, calls, receipts, direct debits, arrears.",
    )
    notifications.command("ald-reminders")(ald_reminders)
    app.add_typer(notifications, name="notifications", help="Notifications: send the outbox.")
    app.add_typer(hcx, name="hcx", help="HCX exchange: the worker, the fund's public key.")
    app.add_typer(portal, name="portal", help="Insured persons' portal: tell decisions by SMS.")
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
