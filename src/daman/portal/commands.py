"""`daman portal ...`: tell the insured persons the decisions taken on their claims."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
out = Console()


@app.command("notify")
def notify(
    limit: int = typer.Option(5000, "--limit", min=1, help="status events read per run"),
) -> None:
    """Queue an SMS for each claim decided with a refusal, each claim paid and each
    document asked for since the last run (the first run starts from now), then send the
    SMS outbox. Safe to run often (a cron): nothing is told twice."""
    from daman.core.db import get_engine, unit_of_work
    from daman.notifications.sms import deliver
    from daman.portal.notices import tell_decisions

    with unit_of_work() as session:
        told = tell_decisions(session, actor="system:portal-notify", limit=limit)
    sent = deliver(get_engine())
    out.print(
        f"{told.read} status events read, {told.told} decisions told, "
        f"{told.unreachable} without a mobile number; {sent.sent} SMS sent"
    )
