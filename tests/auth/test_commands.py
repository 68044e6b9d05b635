"""`daman users ...` and `daman audit verify` on a committed database."""

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from daman.accounts.service import MAX_FAILED_LOGINS
from daman.auth.audit import AuditEntry
from daman.auth.models import User
from daman.cli import app
from daman.core import db as core_db
from daman.core.db import make_engine, unit_of_work
from daman.registry import builders as registry

runner = CliRunner()
PASSWORD = "a long enough passphrase\n"


@pytest.fixture
def cli_db(database_url):
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    yield engine
    engine.dispose()


def test_create_list_disable(cli_db):
    with unit_of_work() as s:
        imm = registry.person(s).immatriculation
    args = ["users", "create", "amina", "--role", "insured", "--person", imm, "--password-stdin"]
    result = runner.invoke(app, [*args, "--full-name", "Amina Alaoui"], input=PASSWORD)
    assert result.exit_code == 0, result.output
    assert "user amina created (insured)" in result.output
    result = runner.invoke(app, ["users", "create", "root", "--role", "admin"], input=PASSWORD * 2)
    assert result.exit_code == 0, result.output  # the hidden prompt, asked twice
    listed = runner.invoke(app, ["users", "list"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert f"person {imm}" in listed.output and "Amina Alaoui" in listed.output
    assert runner.invoke(app, ["users", "disable", "amina"]).exit_code == 0
    with unit_of_work() as s:
        amina = s.scalars(select(User).where(User.username == "amina")).one()
        assert (amina.active, amina.updated_by.startswith("cli")) == (False, True)


def test_refusals_name_the_field(cli_db):
    args = ["users", "create", "pharma", "--role", "provider", "--password-stdin"]
    result = runner.invoke(app, args, input="too short\n")
    assert result.exit_code == 1
    assert "password: must be at least 12 characters" in result.output
    assert "provider: a provider user needs --provider" in result.output
    missing = runner.invoke(app, ["users", "disable", "nobody"])
    assert (missing.exit_code, "user_not_found" in missing.output) == (1, True)


def test_wrong_passwords_are_committed_until_the_account_locks(cli_db):
    args = ["users", "create", "agent", "--role", "agent", "--password-stdin"]
    assert runner.invoke(app, args, input=PASSWORD).exit_code == 0
    check = ["users", "check-password", "agent", "--password-stdin"]
    assert runner.invoke(app, check, input=PASSWORD).exit_code == 0
    for _ in range(MAX_FAILED_LOGINS):
        wrong = runner.invoke(app, check, input="wrong password!\n")
        assert (wrong.exit_code, "wrong_password" in wrong.output) == (1, True)
    locked = runner.invoke(app, check, input=PASSWORD)
    assert (locked.exit_code, "account_locked" in locked.output) == (1, True)


def test_audit_verify_reports_the_first_broken_entry(cli_db):
    with unit_of_work() as s:
        registry.employer(s, name="Oriental Mines")
    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    with unit_of_work() as s:
        count = s.query(AuditEntry).count()
        victim = s.scalars(select(AuditEntry.id).where(AuditEntry.table_name == "employers")).one()
    assert f"audit chain intact: {count} entries" in intact.output
    with cli_db.begin() as conn:
        conn.execute(
            text("UPDATE audit_entries SET actor = 'nobody' WHERE id = :id"), {"id": victim}
        )
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert (
        f"audit chain broken at entry {victim}: its content does not match its hash (altered)"
        in broken.output
    )


def test_keys_create_list_revoke(cli_db):
    from daman.auth.tokens import resolve
    from daman.providers import builders as providers

    with unit_of_work() as s:
        inpe = providers.provider(s, kind="pharmacy").inpe
    created = runner.invoke(app, ["keys", "create", "--provider", inpe, "--label", "officine"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("dmk_")
    with unit_of_work() as s:
        row = resolve(s, key)
        assert row is not None and row.created_by.startswith("cli")
        key_id = row.id
    listed = runner.invoke(app, ["keys", "list", "--provider", inpe], terminal_width=200)
    assert "officine" in listed.output and key[:12] in listed.output and key not in listed.output
    assert runner.invoke(app, ["keys", "revoke", str(key_id)]).exit_code == 0
    with unit_of_work() as s:
        assert resolve(s, key) is None
    unknown = runner.invoke(app, ["keys", "create", "--provider", "T000000000", "--label", "x"])
    assert unknown.exit_code == 1 and "provider: no provider T000000000" in unknown.output
