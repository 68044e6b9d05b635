"""reference version: a stamp that every write to a reference table changes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 20:00:00

One row in ``reference_version``. A trigger on each reference table gives it a new random
value whenever a statement writes to the table (PostgreSQL: once per statement, COPY and
TRUNCATE included; SQLite: once per row), in the writer's transaction: a process keeps
what it derived from reference data as long as the stamp is the one it read
(daman.reference.cache). Random rather than counted: a rolled-back change never hands its
stamp to a later one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "regimes",
    "rights_rules",
    "coverage_rates",
    "mutuals",
    "complementary_rates",
    "act_tariffs",
    "drugs",
    "drug_prices",
    "ald_diseases",
    "adjudication_policies",
    "ceilings",
    "preauth_requirements",
)
PG_NEW = "floor(random() * 9007199254740991)::bigint"
SQLITE_NEW = "(random() & 9007199254740991)"


def upgrade() -> None:
    op.create_table(
        "reference_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_version")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    first = PG_NEW if postgres else SQLITE_NEW  # this module's constants only, as below
    op.execute(f"INSERT INTO reference_version (id, version) VALUES (1, {first})")  # noqa: S608
    if postgres:
        bump = f"UPDATE reference_version SET version = {PG_NEW} WHERE id = 1"  # noqa: S608
        op.execute(
            "CREATE FUNCTION reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {bump}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_reference_changed"
                f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION reference_changed()"
            )
        return
    bump = f"UPDATE reference_version SET version = {SQLITE_NEW} WHERE id = 1"  # noqa: S608
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_reference_{event.lower()} AFTER {event} ON {table}"
                f" BEGIN {bump}; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_changed ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_{event}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS reference_changed()")
    op.drop_table("reference_version")
