"""ALD exemption commands. `daman notifications ald-reminders` is this module's
`ald_reminders`, put under `notifications` by daman.cli (reminders are notifications, and
exemptions sit above notifications)."""

from __future__ import annotations

from rich.console import Console

out = Console()


def ald_reminders() -> None:
    """Queue a reminder for every ALD exemption ending within DAMAN_ALD_REMINDER_DAYS (60)
    days, once per exemption and end date (run it daily, before `send`)."""
    from daman.core.actor import cli_actor
    from daman.core.dates import today
    from daman.core.db import unit_of_work
    from daman.exemptions.reminders import queue_reminders

    with unit_of_work() as session:
        queued = queue_reminders(session, today(), cli_actor())
    out.print(f"{queued} reminders queued")
