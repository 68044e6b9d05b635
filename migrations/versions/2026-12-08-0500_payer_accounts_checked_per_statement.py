"""payer accounts checked per statement: no row-by-row foreign keys on their owners

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 05:00:00

A month's first run opens an account for every member it calls (1.6 million TNS members
the first month): each account's foreign key on its person was a look-up and a lock of the
person's row, about a fifth of that run. As for the calls in migration 0024, the rule is
checked once per statement instead (PostgreSQL: a trigger on the statement's new rows;
SQLite: per row): an account names only a person or employer that exists, and a person or
employer an account names is not deleted. The unique constraints stay.

On SQLite the table is rebuilt without the keys (the migrations run with SQLite's foreign
keys off, checked before the commit: daman.core.migrate.migrating), and the triggers of
migration 0024 that name payer_accounts are put aside while it is rebuilt (SQLite checks
every trigger when the rebuilt table takes the old one's name) and put back as they were.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = (  # foreign key, column, referred table
    ("fk_payer_accounts_person_id_persons", "person_id", "persons"),
    ("fk_payer_accounts_employer_id_employers", "employer_id", "employers"),
)
MESSAGE = "a row of {table} names a row that does not exist"
NAMED = "a row of {table} that other rows name cannot be deleted"

PG_CHECK = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {test} THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""
SQLITE_CHECK = "SELECT RAISE(ABORT, '{message}') WHERE {test}"

# who names a person once the keys are gone: the lines of calls (0024), and now accounts
PERSON_NAMED_BY = {
    False: (("call_lines", "person_id"),),
    True: (("call_lines", "person_id"), ("payer_accounts", "person_id")),
}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


MISSING = "NOT EXISTS (SELECT 1 FROM {referred} AS p WHERE p.id = {row}.{column})"
NEW_ORPHAN_PG = "EXISTS (SELECT 1 FROM new_rows AS n WHERE n.{column} IS NOT NULL AND {missing})"
NEW_ORPHAN_SQLITE = "(NEW.{column} IS NOT NULL AND {missing})"
NAMED_PG = "EXISTS (SELECT 1 FROM old_rows AS o JOIN {child} AS c ON c.{column} = o.id)"
NAMED_SQLITE = "EXISTS (SELECT 1 FROM {child} AS c WHERE c.{column} = OLD.id)"


def _orphan_test(postgres: bool) -> str:
    """SQL true when a new account (the statement's, or NEW) names no row."""
    row, new = ("n", NEW_ORPHAN_PG) if postgres else ("NEW", NEW_ORPHAN_SQLITE)
    return " OR ".join(
        new.format(column=column, missing=MISSING.format(referred=referred, row=row, column=column))
        for _, column, referred in KEYS
    )


def _named_test(children: Sequence[tuple[str, str]], postgres: bool) -> str:
    named = NAMED_PG if postgres else NAMED_SQLITE
    return " OR ".join(named.format(child=child, column=column) for child, column in children)


def _delete_guard(table: str, children: Sequence[tuple[str, str]], postgres: bool) -> None:
    """`{table}_named_delete`: a row of `table` that `children` name is not deleted."""
    name = f"{table}_named_delete"
    message = NAMED.format(table=table)
    test = _named_test(children, postgres)
    if postgres:
        op.execute(PG_CHECK.format(name=name, test=test, message=message))
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    else:
        check = SQLITE_CHECK.format(message=message, test=test)
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} BEFORE DELETE ON {table} BEGIN {check}; END")


def _rebuild(change: str) -> None:
    """Add or drop the accounts' keys; on SQLite with the triggers naming the table put
    aside while it is rebuilt, and put back as they were."""
    postgres = _postgres()
    kept: list[str] = []
    if not postgres:
        rows = op.get_bind().exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND sql LIKE '%payer_accounts%'"
        )
        for name, sql in rows.all():
            kept.append(sql)
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("payer_accounts") as batch:
        for key, column, referred in KEYS:
            if change == "drop":
                batch.drop_constraint(key, type_="foreignkey")
            else:
                batch.create_foreign_key(key, referred, [column], ["id"])
    for sql in kept:
        op.execute(sql)


def upgrade() -> None:
    postgres = _postgres()
    _rebuild("drop")
    message = MESSAGE.format(table="payer_accounts")
    for event in ("INSERT", "UPDATE"):
        name = f"payer_accounts_name_rows_{event.lower()}"
        test = _orphan_test(postgres)
        if postgres:
            op.execute(PG_CHECK.format(name=name, test=test, message=message))
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON payer_accounts"
                " REFERENCING NEW TABLE AS new_rows"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        else:
            check = SQLITE_CHECK.format(message=message, test=test)
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON payer_accounts BEGIN {check}; END")
    _delete_guard("persons", PERSON_NAMED_BY[True], postgres)
    _delete_guard("employers", (("payer_accounts", "employer_id"),), postgres)


def downgrade() -> None:
    postgres = _postgres()
    names = ["payer_accounts_name_rows_insert", "payer_accounts_name_rows_update"]
    for name in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON payer_accounts" if postgres else ""))
    op.execute(
        "DROP TRIGGER IF EXISTS employers_named_delete" + (" ON employers" if postgres else "")
    )
    if postgres:
        for name in [*names, "employers_named_delete"]:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    _delete_guard("persons", PERSON_NAMED_BY[False], postgres)
    _rebuild("add")
