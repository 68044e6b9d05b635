"""Who is acting: recorded on every write (created_by/updated_by, status history).

Until accounts and roles land, the caller names itself in the X-Daman-Actor header
(default 'api'); the CLI acts as 'cli:<user>'.
"""

from __future__ import annotations

import getpass

from fastapi import Header


def api_actor(x_daman_actor: str | None = Header(default=None, max_length=120)) -> str:
    return f"api:{x_daman_actor}" if x_daman_actor else "api"


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
