"""batch write path: lighter decisions, lines updated in place, claims' open statuses

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 01:00:00

What a batch day writes per claim, made cheaper (issue 16):

* ``line_decisions`` lose their two foreign keys (to the line, to the claim), each checked
  by a query per decision inserted, for one check per statement: every decision names a
  line of its own claim (PostgreSQL: a trigger on the statement's new rows, one join;
  SQLite: a trigger per row). A line or claim is never deleted; a line some decision names
  cannot be.
* ``claim_lines`` leave 60 % of each page free (fillfactor 40, PostgreSQL): a received line
  valued by the batch is rewritten on its own page, a HOT update that touches neither
  index, where it was a new row version in both.
* ``claims``: the status index holds only the statuses that are looked up by status (the
  batch's received claims, the adjudicated ones to approve, the approved ones to pay), and
  the agency index only paper claims (with their agency), by id: a claim valued to pending
  review, paid or sent electronically has no entry to write in them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('received', 'adjudicated', 'approved')")
PAPER = sa.text("agency_code IS NOT NULL")


# A decision names a line of its claim; a line some decision names is not deleted.
ORPHANS = (
    "SELECT 1 FROM {new} AS d WHERE NOT EXISTS (SELECT 1 FROM claim_lines AS l"
    " WHERE l.id = d.line_id AND l.claim_id = d.claim_id)"
)
NAMED = "SELECT 1 FROM {old} AS l JOIN line_decisions AS d ON d.line_id = l.id"
PG_CHECK = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS ({query}) THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""
DECISION_OF_NO_LINE = "a line decision names no line of its claim"
LINE_DECIDED = "a line with decisions cannot be deleted"
SQLITE_CHECK = "SELECT RAISE(ABORT, '{message}') WHERE EXISTS ({query})"


def upgrade() -> None:
    with op.batch_alter_table("line_decisions") as batch:
        batch.drop_constraint("fk_line_decisions_claim_id_claims", type_="foreignkey")
        batch.drop_constraint("fk_line_decisions_line_id_claim_lines", type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        orphans = ORPHANS.format(new="new_decisions")
        op.execute(
            PG_CHECK.format(name="decisions_of_lines", query=orphans, message=DECISION_OF_NO_LINE)
        )
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER decisions_of_lines_{event.lower()} AFTER {event}"
                " ON line_decisions REFERENCING NEW TABLE AS new_decisions"
                " FOR EACH STATEMENT EXECUTE FUNCTION decisions_of_lines()"
            )
        named = NAMED.format(old="old_lines")
        op.execute(PG_CHECK.format(name="lines_decided", query=named, message=LINE_DECIDED))
        op.execute(
            "CREATE TRIGGER lines_decided AFTER DELETE ON claim_lines"
            " REFERENCING OLD TABLE AS old_lines"
            " FOR EACH STATEMENT EXECUTE FUNCTION lines_decided()"
        )
        op.execute("ALTER TABLE claim_lines SET (fillfactor = 40)")
    else:
        orphans = ORPHANS.format(new="(SELECT NEW.line_id AS line_id, NEW.claim_id AS claim_id)")
        check = SQLITE_CHECK.format(message=DECISION_OF_NO_LINE, query=orphans)
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER decisions_of_lines_{event.lower()} BEFORE {event}"
                f" ON line_decisions BEGIN {check}; END"
            )
        named = NAMED.format(old="(SELECT OLD.id AS id)")
        check = SQLITE_CHECK.format(message=LINE_DECIDED, query=named)
        op.execute(f"CREATE TRIGGER lines_decided BEFORE DELETE ON claim_lines BEGIN {check}; END")
    op.drop_index("ix_claims_status_id", table_name="claims")
    op.create_index(
        "ix_claims_open", "claims", ["status", "id"], postgresql_where=OPEN, sqlite_where=OPEN
    )
    op.drop_index("ix_claims_agency", table_name="claims")
    op.create_index(
        "ix_claims_agency",
        "claims",
        ["agency_code", "id"],
        postgresql_where=PAPER,
        sqlite_where=PAPER,
    )


def downgrade() -> None:
    op.drop_index("ix_claims_agency", table_name="claims")
    op.create_index("ix_claims_agency", "claims", ["agency_code", "status"])
    op.drop_index("ix_claims_open", table_name="claims")
    op.create_index("ix_claims_status_id", "claims", ["status", "id"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table in (
        ("decisions_of_lines_insert", "line_decisions"),
        ("decisions_of_lines_update", "line_decisions"),
        ("lines_decided", "claim_lines"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS decisions_of_lines()")
        op.execute("DROP FUNCTION IF EXISTS lines_decided()")
        op.execute("ALTER TABLE claim_lines RESET (fillfactor)")
    with op.batch_alter_table("line_decisions") as batch:
        batch.create_foreign_key(
            "fk_line_decisions_line_id_claim_lines", "claim_lines", ["line_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_line_decisions_claim_id_claims", "claims", ["claim_id"], ["id"]
        )
