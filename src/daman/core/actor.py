"""Who is acting on the command line: recorded on every write it makes (created_by,
updated_by, status history, audit). Requests act as their signed-in principal instead
(daman.auth.access)."""

from __future__ import annotations

import getpass


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
