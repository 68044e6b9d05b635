"""`daman users ...` (accounts), `daman keys ...` (providers' API keys) and `daman audit
verify` (the audit trail's hash chain).

Exit codes: 0 done; 1 refused (the reason on one line: field and why, or the broken entry).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Column, Table

from daman.auth.models import Role
from daman.core.actor import cli_actor
from daman.core.errors import DamanError

users = typer.Typer(no_args_is_help=True)
audit = typer.Typer(no_args_is_help=True)
keys = typer.Typer(no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users", help="Accounts: create, list, disable.")
    app.add_typer(audit, name="audit", help="The audit trail: verify its hash chain.")
    app.add_typer(keys, name="keys", help="API keys of providers' software: create, list, revoke.")


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except DamanError as exc:
        err.print(f"[red]error[/red] {exc.code}: {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc


def _read_password(from_stdin: bool, confirm: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return password


@users.command("create")
def create(
    username: str = typer.Argument(help="sign-in name: lowercase letters, digits, . _ @ -"),
    role: Role = typer.Option(..., "--role", help="what the user may do"),
    person: str | None = typer.Option(
        None, "--person", help="immatriculation of the insured person (role insured)"
    ),
    provider: str | None = typer.Option(
        None, "--provider", help="INPE of the provider (role provider)"
    ),
    full_name: str = typer.Option("", "--full-name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from the first line of stdin"
    ),
) -> None:
    """Create an account; the password is asked for (hidden) unless --password-stdin."""
    from daman.accounts.service import NewUser, create_user
    from daman.core.db import unit_of_work

    password = _read_password(password_stdin, confirm=True)
    new = NewUser(username, role, password, full_name, person, provider)
    with _refusals(), unit_of_work() as session:
        user = create_user(session, new, cli_actor())
    out.print(f"user {user.username} created ({user.role})")  # once committed


@users.command("list")
def list_() -> None:
    """Every account, its role, what it is linked to and whether it may sign in."""
    from daman.accounts.service import list_users
    from daman.core.db import unit_of_work

    table = Table("username", "full name", "role", "linked to", "status")
    with unit_of_work() as session:
        for user, immatriculation, inpe in list_users(session):
            linked = f"person {immatriculation}" if immatriculation else ""
            linked = f"provider {inpe}" if inpe else linked
            status = "active" if user.active else "disabled"
            if user.locked_until is not None:
                status += f", locked until {user.locked_until:%Y-%m-%d %H:%M}"
            table.add_row(user.username, user.full_name, user.role, linked, status)
    out.print(table)


@users.command("disable")
def disable(username: str) -> None:
    """Refuse every future sign-in of the account (the row and its history stay)."""
    from daman.accounts.service import disable_user
    from daman.core.db import unit_of_work

    with _refusals(), unit_of_work() as session:
        disable_user(session, username, cli_actor())
    out.print(f"user {username} disabled")


@users.command("check-password")
def check_password(
    username: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from the first line of stdin"
    ),
) -> None:
    """Check a password as a sign-in would: a wrong one counts towards the lockout."""
    from daman.accounts.service import verify_password
    from daman.auth.errors import LoginRefused
    from daman.core.db import unit_of_work

    password = _read_password(password_stdin, confirm=False)
    refused: LoginRefused | None = None
    with unit_of_work() as session:
        try:
            user = verify_password(session, username, password)
        except LoginRefused as exc:
            refused = exc  # commit anyway: the failure count must persist
    if refused is not None:
        err.print(f"[red]refused[/red] {refused.code}: {refused}", soft_wrap=True)
        raise typer.Exit(1)
    out.print(f"password of {user.username} is correct ({user.role})")


@audit.command("verify")
def verify() -> None:
    """Recompute the audit trail's hash chain from its first entry."""
    from daman.auth.audit import verify_chain
    from daman.core.db import unit_of_work

    with unit_of_work() as session:
        report = verify_chain(session)
    if report.intact:
        out.print(f"audit chain intact: {report.entries} entries")
        return
    err.print(f"audit chain broken at entry {report.broken_id}: {report.reason}", soft_wrap=True)
    raise typer.Exit(1)


@keys.command("create")
def create_key(
    provider: str = typer.Option(..., "--provider", help="INPE of the provider"),
    label: str = typer.Option(..., "--label", help="the software or site the key is for"),
) -> None:
    """Issue an API key acting as the provider; it is printed once, keep it safe."""
    from daman.accounts.keys import issue_api_key
    from daman.core.db import unit_of_work

    with _refusals(), unit_of_work() as session:
        issued = issue_api_key(session, provider, label, cli_actor())
        key_id = issued.row.id
    err.print(f"API key {key_id} for provider {provider} ({label}); shown once:")
    out.print(issued.token, soft_wrap=True)


@keys.command("list")
def list_keys(
    provider: str | None = typer.Option(None, "--provider", help="only this INPE"),
) -> None:
    """Every API key: provider, label, prefix, when created, last used, revoked."""
    from daman.accounts.keys import api_keys
    from daman.core.db import unit_of_work

    prefix = Column("prefix", no_wrap=True, min_width=12)
    table = Table("id", "provider", "label", prefix, "created", "last used", "status")
    with unit_of_work() as session:
        for row, inpe in api_keys(session, provider):
            status = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else ""
            created = f"{row.created_at:%Y-%m-%d}"
            table.add_row(str(row.id), inpe, row.label, row.prefix, created, used, status)
    out.print(table)


@keys.command("revoke")
def revoke_key(key_id: int) -> None:
    """The key stops working at once (its row stays, for the audit trail)."""
    from daman.auth.tokens import api_key, revoke
    from daman.core.db import unit_of_work

    with _refusals(), unit_of_work() as session:
        revoke(session, api_key(session, key_id), cli_actor())
    out.print(f"API key {key_id} revoked")
