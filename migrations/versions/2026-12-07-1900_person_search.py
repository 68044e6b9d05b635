"""person search: each person's names folded for search, and the index that finds them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 19:00:00

``persons.search_name`` holds the names in both scripts folded by daman.core.fold (accents
and Arabic marks off, hamza and alef variants as the bare letter), filled here for the
persons already registered, then on every insert and name change. On PostgreSQL a trigram
index (pg_trgm, shipped with PostgreSQL's contrib) serves "contains" searches on a million
persons; on SQLite a plain index, which a search scans instead of the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from daman.core.fold import search_key

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 10_000


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column("search_name", sa.String(400), nullable=False, server_default="")
        )
    _fill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_persons_search_name",
            "persons",
            ["search_name"],
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_persons_search_name", "persons", ["search_name"])


def _fill() -> None:
    """The key of every person already registered, by chunks of ids."""
    bind = op.get_bind()
    persons = sa.table(
        "persons",
        sa.column("id", sa.Integer),
        sa.column("last_name", sa.String),
        sa.column("first_name", sa.String),
        sa.column("last_name_ar", sa.String),
        sa.column("first_name_ar", sa.String),
        sa.column("search_name", sa.String),
    )
    set_key = (
        sa.update(persons)
        .where(persons.c.id == sa.bindparam("pid"))
        .values(search_name=sa.bindparam("key"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                persons.c.id,
                persons.c.last_name,
                persons.c.first_name,
                persons.c.last_name_ar,
                persons.c.first_name_ar,
            )
            .where(persons.c.id > last)
            .order_by(persons.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        bind.execute(set_key, [{"pid": r[0], "key": search_key(r[1:])} for r in rows])
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_persons_search_name", table_name="persons")
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("search_name")
