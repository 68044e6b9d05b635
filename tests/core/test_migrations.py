"""The migrations and the models describe the same schema, on every backend."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from daman.core.db import make_engine
from daman.core.migrate import migrating
from daman.models import Base


def test_models_match_migrations(session):
    ctx = MigrationContext.configure(session.connection(), opts={"compare_type": False})
    diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_sqlite_migrations_run_without_keys_and_are_checked_before_the_commit(tmp_path):
    """Batch mode rebuilds a table by dropping it while others name it: SQLite's keys are
    off while migrations run, then every key is checked, and a broken one undoes it all."""
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER "
                "REFERENCES parent (id))"
            )
        )
        conn.execute(text("INSERT INTO parent VALUES (1)"))
        conn.execute(text("INSERT INTO child VALUES (1, 1)"))
    with migrating(engine) as conn:  # a rebuild of the parent, as batch mode does it
        conn.execute(text("CREATE TABLE parent_new (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO parent_new SELECT id FROM parent"))
        conn.execute(text("DROP TABLE parent"))
        conn.execute(text("ALTER TABLE parent_new RENAME TO parent"))
    with pytest.raises(RuntimeError, match="naming nothing"), migrating(engine) as conn:
        conn.execute(text("INSERT INTO child VALUES (2, 99)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM child")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # on again
    engine.dispose()
