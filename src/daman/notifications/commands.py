"""`daman notifications ...`: deliver the outbox."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
out = Console()


@app.command("send")
def send(
    limit: int = typer.Option(1000, "--limit", min=1, help="at most this many messages"),
) -> None:
    """Send the pending notifications through the SMTP server of the settings
    (DAMAN_SMTP_HOST, DAMAN_SMTP_PORT ...) and mark them sent. Safe to run often (cron) and
    twice at once on PostgreSQL; a message that fails is tried again next run."""
    from daman.core.db import get_engine
    from daman.notifications.service import deliver

    report = deliver(get_engine(), limit=limit)
    out.print(
        f"{report.sent} sent, {report.retried} to retry, {report.failed} failed for good; "
        f"{report.pending} pending"
    )


@app.command("send-sms")
def send_sms(
    limit: int = typer.Option(1000, "--limit", min=1, help="at most this many messages"),
) -> None:
    """Send the pending SMS through the gateway of the settings (DAMAN_SMS_GATEWAY: file
    or http) and mark them sent; a message that fails is tried again next run. Sign-in
    codes go out as soon as they are asked for: a code still pending here was lost with
    a restart and is marked failed (the person asks for a new one)."""
    from daman.core.db import get_engine
    from daman.notifications.sms import deliver

    report = deliver(get_engine(), limit=limit)
    out.print(f"{report.sent} sent, {report.retried} to retry, {report.failed} failed for good")
