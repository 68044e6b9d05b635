"""Run the Alembic migrations programmatically (CLI `daman init`, tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

ROOT = Path(__file__).resolve().parents[3]


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """The connection and transaction the migrations run in. On SQLite its foreign keys
    are off meanwhile, as SQLite asks for a table rebuilt by batch mode (dropped while
    other tables name it, its rows already in the new table: a deferred key would still
    count them missing), and every key is checked before the commit instead."""
    with engine.connect() as conn:
        # the driver's own connection: a statement through SQLAlchemy would begin the
        # transaction, in which SQLite ignores the pragma
        raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(
                            f"the migrations leave rows naming nothing: {broken[:5]}"
                        )
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine) -> None:
    cfg = alembic_config()
    with migrating(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
