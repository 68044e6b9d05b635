"""contribution write path: no row-by-row checks on the month's bulk tables

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 02:00:00

What a month of contributions writes per member, made cheaper (issue 19: 4.08 million
declared employees, 1.6 million TNS calls):

* ``call_lines``, ``contribution_calls``, ``ledger_entries`` and ``declarations`` lose the
  foreign keys a month's bulk writes checked one row at a time (a line's call and person,
  a call's account and regime, an entry's account and call, a declaration's account,
  regime and call): each checked row was a look-up and a row lock, a third of a
  declaration's time. The same rule is checked once per statement instead (PostgreSQL: a
  trigger on the statement's new rows, one anti-join per column; SQLite: a trigger per
  row): a row names only rows that exist, and a row that others name is not deleted. The
  columns and their indexes stay; an entry's receipt and reversal keep theirs (few rows).
* ``ix_contribution_calls_account_id`` and ``ix_declarations_account_id`` go: the unique
  constraints ``one_call`` and ``same_file`` begin with the account and serve its look-ups.
* ``ix_ledger_entries_receipt_id`` and ``ix_ledger_entries_reverses_id`` hold only the
  entries that have one (a call's entry has neither, a receipt's no reversal).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (  # table, foreign key, column, referred table and column
    (
        "call_lines",
        "fk_call_lines_call_id_contribution_calls",
        "call_id",
        "contribution_calls",
        "id",
    ),
    ("call_lines", "fk_call_lines_person_id_persons", "person_id", "persons", "id"),
    (
        "contribution_calls",
        "fk_contribution_calls_account_id_payer_accounts",
        "account_id",
        "payer_accounts",
        "id",
    ),
    (
        "contribution_calls",
        "fk_contribution_calls_regime_code_regimes",
        "regime_code",
        "regimes",
        "code",
    ),
    (
        "ledger_entries",
        "fk_ledger_entries_account_id_payer_accounts",
        "account_id",
        "payer_accounts",
        "id",
    ),
    (
        "ledger_entries",
        "fk_ledger_entries_call_id_contribution_calls",
        "call_id",
        "contribution_calls",
        "id",
    ),
)
DROPPED += tuple(
    ("declarations", f"fk_declarations_{column}_{referred}", column, referred, key)
    for column, referred, key in (
        ("account_id", "payer_accounts", "id"),
        ("regime_code", "regimes", "code"),
        ("call_id", "contribution_calls", "id"),
    )
)
PARTIAL = ("receipt_id", "reverses_id")  # ledger_entries' columns indexed where not null
CHILDREN = ("call_lines", "contribution_calls", "ledger_entries", "declarations")
PARENTS = ("contribution_calls", "persons", "payer_accounts", "regimes")

PG_CHECK = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {test} THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""
SQLITE_CHECK = "SELECT RAISE(ABORT, '{message}') WHERE {test}"
MISSING = "NOT EXISTS (SELECT 1 FROM {referred} AS p WHERE p.{key} = {row}.{column})"
NEW_ORPHAN_PG = "EXISTS (SELECT 1 FROM new_rows AS n WHERE n.{column} IS NOT NULL AND {missing})"
NEW_ORPHAN_SQLITE = "(NEW.{column} IS NOT NULL AND {missing})"
NAMED_PG = "EXISTS (SELECT 1 FROM old_rows AS o JOIN {child} AS c ON c.{column} = o.{key})"
NAMED_SQLITE = "EXISTS (SELECT 1 FROM {child} AS c WHERE c.{column} = OLD.{key})"


def _orphans(table: str, postgres: bool) -> str:
    """SQL true when a new row of the table (the statement's, or NEW on SQLite) names a
    row that is not there."""
    tests = []
    for child, _, column, referred, key in DROPPED:
        if child == table:
            row = "n" if postgres else "NEW"
            missing = MISSING.format(referred=referred, key=key, row=row, column=column)
            new = NEW_ORPHAN_PG if postgres else NEW_ORPHAN_SQLITE
            tests.append(new.format(column=column, missing=missing))
    return " OR ".join(tests)


def _named(table: str, postgres: bool) -> str:
    """SQL true when a deleted row of the table (the statement's, or OLD) is named."""
    named = NAMED_PG if postgres else NAMED_SQLITE
    return " OR ".join(
        named.format(child=child, column=column, key=key)
        for child, _, column, referred, key in DROPPED
        if referred == table
    )


def _guard() -> None:
    """The foreign keys' rule, checked per statement (per row on SQLite)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in CHILDREN:
        message = f"a row of {table} names a row that does not exist"
        for event in ("INSERT", "UPDATE"):
            name = f"{table}_name_rows_{event.lower()}"
            if postgres:
                test = _orphans(table, postgres=True)
                op.execute(PG_CHECK.format(name=name, test=test, message=message))
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                    " REFERENCING NEW TABLE AS new_rows"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
            else:
                test = _orphans(table, postgres=False)
                check = SQLITE_CHECK.format(message=message, test=test)
                op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN {check}; END")
    for table in PARENTS:
        name = f"{table}_named_delete"
        message = f"a row of {table} that other rows name cannot be deleted"
        if postgres:
            test = _named(table, postgres=True)
            op.execute(PG_CHECK.format(name=name, test=test, message=message))
            op.execute(
                f"CREATE TRIGGER {name} AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        else:
            check = SQLITE_CHECK.format(message=message, test=_named(table, postgres=False))
            op.execute(f"CREATE TRIGGER {name} BEFORE DELETE ON {table} BEGIN {check}; END")


def _unguard() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    names = [(f"{t}_name_rows_{e}", t) for t in CHILDREN for e in ("insert", "update")]
    names += [(f"{t}_named_delete", t) for t in PARENTS]
    for name, table in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            for name in (d[1] for d in DROPPED if d[0] == table):
                batch.drop_constraint(name, type_="foreignkey")
    _guard()
    op.drop_index("ix_contribution_calls_account_id", table_name="contribution_calls")
    op.drop_index("ix_declarations_account_id", table_name="declarations")
    for column in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(f"ix_ledger_entries_{column}", table_name="ledger_entries")
        op.create_index(
            f"ix_ledger_entries_{column}",
            "ledger_entries",
            [column],
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade() -> None:
    _unguard()
    for column in PARTIAL:
        op.drop_index(f"ix_ledger_entries_{column}", table_name="ledger_entries")
        op.create_index(f"ix_ledger_entries_{column}", "ledger_entries", [column])
    op.create_index("ix_declarations_account_id", "declarations", ["account_id"])
    op.create_index("ix_contribution_calls_account_id", "contribution_calls", ["account_id"])
    for table in CHILDREN:
        with op.batch_alter_table(table) as batch:
            for _, name, column, referred, key in (d for d in DROPPED if d[0] == table):
                batch.create_foreign_key(name, referred, [column], [key])
