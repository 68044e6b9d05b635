"""Bulk reads and writes of many rows in one statement, for batch work.

``bulk_insert`` and ``bulk_update`` take values by column (lists or Polars Series). On
PostgreSQL they send each column as one array parameter and insert or update from
``unnest(...)``, one round trip whatever the row count; elsewhere an executemany.
``frame_of`` reads a query into a Polars frame, on PostgreSQL as one CSV text the server
builds;
``copy_insert`` writes a frame by ``COPY ... FROM STDIN`` and ``copy_update`` updates rows
from a frame sent by COPY into a temporary table, in one statement.

These writes bypass the ORM's unit of work, so they are announced to whoever listens
(``on_bulk_write``): the audit trail records one entry per write (``daman.auth.audit``),
without this module knowing it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

import polars as pl
from psycopg import sql as psql
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from daman.core.db import StringEnum

# (session, operation, table, rows, content, actor): told of every write outside the flush
BulkListener = Callable[[Session, str, str, int, Any, "str | None"], None]
_listeners: list[BulkListener] = []


def on_bulk_write(listener: BulkListener) -> None:
    """Call ``listener`` for every bulk write from now on (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def notify_bulk(
    session: Session, operation: str, table: str, rows: int, content: Any, actor: str | None
) -> None:
    """Announce a write of ``rows`` rows that the ORM flush does not see."""
    for listener in _listeners:
        listener(session, operation, table, rows, content, actor)


def frame_of(session: Session, stmt: Any, schema: Mapping[str, Any]) -> pl.DataFrame:
    """The rows of `stmt` (its columns in `schema`'s order) as a frame of `schema`. On
    PostgreSQL as one CSV text the server builds with string_agg: `COPY ... TO STDOUT`
    hands the client one message a row, each a step of Python (a batch day reads a million
    rows, a month's run millions); elsewhere row by row."""
    if session.get_bind().dialect.name != "postgresql":
        return pl.DataFrame(session.execute(stmt).all(), schema=dict(schema), orient="row")
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    names = [f"c{i}" for i in range(len(schema))]
    line = " || ',' || ".join(_cell(n, k) for n, k in zip(names, schema.values(), strict=True))
    # SQLAlchemy's own compilation of the statement, its values as parameters
    sql = f"SELECT string_agg({line}, E'\\n') FROM ({compiled}) AS q({', '.join(names)})"  # noqa: S608
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        cursor.execute(sql, compiled.params)
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return pl.DataFrame(schema=dict(schema))
    flags = [name for name, kind in schema.items() if kind == pl.Boolean]
    read = {name: (pl.String if name in flags else kind) for name, kind in schema.items()}
    frame = pl.read_csv(row[0].encode(), has_header=False, schema=read)
    return frame.with_columns(pl.col(name) == "t" for name in flags) if flags else frame


def _cell(column: str, kind: Any) -> str:
    """A column as a CSV cell (NULL as nothing, texts quoted, flags as t or f)."""
    if kind == pl.String:
        return f"""coalesce('"' || replace({column}::text, '"', '""') || '"', '')"""
    if kind == pl.Boolean:
        return f"CASE WHEN {column} THEN 't' WHEN NOT {column} THEN 'f' ELSE '' END"
    return f"coalesce({column}::text, '')"


# ---------------------------------------------------------------------------------------
# Bulk writes: whole columns in one statement on PostgreSQL (unnest of arrays, on the
# session's own connection and transaction), a C-level executemany on SQLite. Values are
# given by column, every list of the same length.
#
# On PostgreSQL each column travels as one array literal in text ('{1,2,NULL}'), built by
# Polars in native code: the driver's own list adapter converts value by value in Python,
# which cost more than the server's whole statement for a batch of 10,000 claims.

Columns = Mapping[str, Sequence[Any] | pl.Series]  # a Series goes to PostgreSQL as it is


def _pg_type(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Integer):
        return "bigint"
    if isinstance(kind, DateTime):
        return "timestamptz"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, String | Text | JSON):
        return "text"
    raise TypeError(f"no bulk type for {column}")


def _json_texts(values: list[Any]) -> list[str | None]:
    """JSON text of each value, each distinct value encoded once (reason lists repeat)."""
    seen: dict[Any, str] = {}
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        key = tuple(v) if isinstance(v, list) else repr(v)
        text_ = seen.get(key)
        if text_ is None:
            text_ = seen[key] = json.dumps(v)
        out.append(text_)
    return out


SMALL = 512  # values below which Python builds a literal faster than a Polars round trip


def _item(value: Any, kind: str) -> str:
    if value is None:
        return "NULL"
    if kind == "text":
        text_ = str(value.value if isinstance(value, Enum) else value)
        return '"' + text_.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if kind == "bigint":
        return str(int(value))
    return str(value)  # dates and timestamps in ISO form


def array_literal(values: Sequence[Any] | pl.Series, kind: str) -> str:
    """A PostgreSQL array literal of `kind` ("bigint", "text", "date") for the values."""
    if len(values) < SMALL:
        plain = values.to_list() if isinstance(values, pl.Series) else values
        return "{" + ",".join(_item(v, kind) for v in plain) + "}"
    series = values if isinstance(values, pl.Series) else pl.Series(values, strict=False)
    if kind == "text":
        items = (
            series.cast(pl.String)
            .str.replace_all("\\", "\\\\", literal=True)
            .str.replace_all('"', '\\"', literal=True)
        )
        items = ('"' + items + '"').fill_null("NULL")
    else:
        items = series.cast(pl.String).fill_null("NULL")
    return "{" + items.str.join(",").item() + "}"


def _enum_texts(
    column: Column[Any], values: Sequence[Any] | pl.Series
) -> Sequence[Any] | pl.Series:
    """A StringEnum column's values as their text, each checked to be a member: a wrong
    one raises, as it does through the ORM."""
    kind = column.type
    if not isinstance(kind, StringEnum):
        return values
    if isinstance(values, pl.Series):
        texts = values.cast(pl.String)
        for value in texts.drop_nulls().unique().to_list():
            kind.text(value)
        return texts
    text_of = {value: kind.text(value) for value in set(values)}
    return [text_of[value] for value in values]


def _pg_param(column: Column[Any], values: Sequence[Any] | pl.Series) -> str:
    kind = _pg_type(column)
    values = _enum_texts(column, values)
    if isinstance(column.type, JSON):
        plain = values.to_list() if isinstance(values, pl.Series) else list(values)
        return array_literal(_json_texts(plain), "text")
    if len(values) < SMALL or kind not in ("bigint", "text"):
        return array_literal(values, kind)
    if isinstance(values, pl.Series):
        return array_literal(values.cast(pl.Int64 if kind == "bigint" else pl.String), kind)
    # str and int enums are taken as their values
    return array_literal(pl.Series(values, dtype=pl.Int64 if kind == "bigint" else pl.String), kind)


def _lists(columns: Columns) -> dict[str, list[Any]]:
    return {k: v.to_list() if isinstance(v, pl.Series) else list(v) for k, v in columns.items()}


def _unnest(table: Table, columns: Columns, prefix: str = "") -> tuple[str, dict[str, Any]]:
    """`unnest(%(c0)s::t0[], ...) AS v(name, ...)` and its parameters (named `prefix`c0 ...)."""
    arrays = ", ".join(
        f"%({prefix}c{i})s::{_pg_type(table.c[name])}[]" for i, name in enumerate(columns)
    )
    params = {f"{prefix}c{i}": _pg_param(table.c[n], v) for i, (n, v) in enumerate(columns.items())}
    return f"unnest({arrays}) AS v({', '.join(columns)})", params


def _selected(table: Table, name: str) -> str:
    return f"v.{name}::json" if isinstance(table.c[name].type, JSON) else f"v.{name}"


def _constant(column: Column[Any], value: Any, prefix: str = "") -> tuple[str, Any]:
    """A placeholder (`prefix`k_name) and value for a constant (enums sent as their text)."""
    if isinstance(column.type, StringEnum):
        value = column.type.text(value)
    return f"%({prefix}k_{column.name})s", (str(value) if isinstance(value, str) else value)


def _pg_execute(session: Session, sql: str, params: dict[str, Any]) -> int:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bulk_insert(
    session: Session, table: Table, columns: Columns, constants: dict[str, Any] | None = None
) -> None:
    """Insert rows given by column; `constants` are the same for every row."""
    constants = constants or {}
    if not len(next(iter(columns.values()), [])):
        return
    if not _postgres(session):
        names = list(columns)
        rows = [
            dict(zip(names, values, strict=True)) | constants
            for values in zip(*_lists(columns).values(), strict=True)
        ]
        # one statement per run of rows of the same actor: each audited under its actor
        by = next((k for k in _ACTOR_KEYS if k in columns), None)
        start = 0
        for end in range(1, len(rows) + 1):
            if end == len(rows) or (by is not None and rows[end][by] != rows[start][by]):
                session.execute(insert(table), rows[start:end])
                start = end
        return
    sql, params = _insert_sql(table, columns, constants)
    inserted = _pg_execute(session, sql, params)
    _announce(session, "insert", table.name, inserted, columns, constants)


def _insert_sql(
    table: Table, columns: Columns, constants: dict[str, Any], prefix: str = ""
) -> tuple[str, dict[str, Any]]:
    """`INSERT INTO table (...) SELECT ... FROM unnest(...)` and its parameters."""
    source, params = _unnest(table, columns, prefix)
    chosen = [_selected(table, n) for n in columns]
    for name, value in constants.items():
        placeholder, params[f"{prefix}k_{name}"] = _constant(table.c[name], value, prefix)
        chosen.append(placeholder)
    targets = ", ".join([*columns, *constants])
    # Names come from the table's metadata; every value is a parameter.
    sql = f"INSERT INTO {table.name} ({targets}) SELECT {', '.join(chosen)} FROM {source}"  # noqa: S608
    return sql, params


Part = tuple[Table, Columns, dict[str, Any]]  # a table, its rows by column, its constants


def insert_together(session: Session, parts: Sequence[Part]) -> None:
    """`bulk_insert` of several tables in one statement on PostgreSQL (one round trip): each
    an INSERT of the statement's WITH, in the order given; a row may refer to a row of an
    earlier part (foreign keys are checked when the statement ends). Each part is announced
    as `bulk_insert` announces it. Elsewhere, one `bulk_insert` after the other."""
    parts = [p for p in parts if len(next(iter(p[1].values()), []))]
    if not parts:
        return
    if not _postgres(session) or len(parts) == 1:
        for table, columns, constants in parts:
            bulk_insert(session, table, columns, constants)
        return
    inserts, params = [], {}
    for i, (table, columns, constants) in enumerate(parts):
        sql, mine = _insert_sql(table, columns, constants, prefix=f"p{i}_")
        inserts.append(f"i{i} AS ({sql})")
        params.update(mine)
    _pg_execute(session, f"WITH {', '.join(inserts)} SELECT 1", params)
    for table, columns, constants in parts:
        rows = len(next(iter(columns.values())))
        _announce(session, "insert", table.name, rows, columns, constants)


def bulk_update(
    session: Session,
    table: Table,
    key: str,
    columns: Columns,
    constants: dict[str, Any] | None = None,
    only_if: tuple[str, Any] | None = None,
) -> int:
    """Update rows by `key` (a column of `columns`); with `only_if=(column, value)` only the
    rows where that column still holds that value. The number of rows updated."""
    constants = constants or {}
    if not len(columns[key]):
        return 0
    changed = [n for n in columns if n != key]
    if not _postgres(session):
        columns = dict(_lists(columns))
        stmt = (
            update(table)
            .where(table.c[key] == bindparam("b_key"))
            .values({n: bindparam(f"b_{n}") for n in changed} | constants)
        )
        if only_if is not None:
            stmt = stmt.where(table.c[only_if[0]] == only_if[1])
        rows = [
            {"b_key": values[0], **{f"b_{n}": v for n, v in zip(changed, values[1:], strict=True)}}
            for values in zip(columns[key], *(columns[n] for n in changed), strict=True)
        ]
        return int(session.execute(stmt, rows).rowcount)  # type: ignore[attr-defined]
    source, params = _unnest(table, columns)
    sets = [f"{n} = {_selected(table, n)}" for n in changed]
    for name, value in constants.items():
        placeholder, params[f"k_{name}"] = _constant(table.c[name], value)
        sets.append(f"{name} = {placeholder}")
    # The key's range as well: the planner merges the sorted keys with the table's index,
    # and the range lets that index scan start at the first key instead of the table's.
    where = f"t.{key} = v.{key} AND t.{key} BETWEEN %(lo)s AND %(hi)s"
    keys = columns[key]
    keys = keys if isinstance(keys, pl.Series) else pl.Series(keys, dtype=pl.Int64)
    params["lo"], params["hi"] = keys.min(), keys.max()
    if only_if is not None:
        where += f" AND t.{only_if[0]} = %(only_if)s"
        params["only_if"] = str(_enum_texts(table.c[only_if[0]], [only_if[1]])[0])
    sql = f"UPDATE {table.name} AS t SET {', '.join(sets)} FROM {source} WHERE {where}"  # noqa: S608
    updated = _pg_execute(session, sql, params)
    content = _content(columns, constants) | {"only_if": [str(v) for v in only_if or ()]}
    notify_bulk(session, "update", table.name, updated, content, _actor(constants))
    return updated


def _content(columns: Columns, constants: dict[str, Any]) -> dict[str, Any]:
    """What a bulk write wrote, for its audit digest."""
    return {"columns": _lists(columns), "constants": constants}


_ACTOR_KEYS = ("updated_by", "created_by", "decided_by", "checked_by", "by")


def _actor(constants: dict[str, Any]) -> str | None:
    for key in _ACTOR_KEYS:
        if isinstance(constants.get(key), str):
            return str(constants[key])
    return None


def _announce(
    session: Session,
    operation: str,
    table: str,
    rows: int,
    columns: Columns,
    constants: dict[str, Any],
) -> None:
    """Announce an insert: once, naming the actor of the constants; or, when the rows name
    their own actors (a column such as created_by), once per actor with that actor's rows."""
    actor = _actor(constants)
    by = next((k for k in _ACTOR_KEYS if k in columns), None) if actor is None else None
    actors = _lists({by: columns[by]})[by] if by is not None else []
    if len(set(actors)) <= 1:
        actor = actor if actor is not None or not actors else str(actors[0])
        notify_bulk(session, operation, table, rows, _content(columns, constants), actor)
        return
    plain = _lists(columns)
    rows_of: dict[Any, list[int]] = {}
    for i, who in enumerate(actors):
        rows_of.setdefault(who, []).append(i)
    for who, mine in rows_of.items():
        part = {name: [values[i] for i in mine] for name, values in plain.items()}
        notify_bulk(session, operation, table, len(mine), _content(part, constants), str(who))


# ---------------------------------------------------------------------------------------
# Millions of rows: COPY on PostgreSQL (a frame written as CSV by Polars, in native code),
# chunked executemany elsewhere. Ids are handed out beforehand, so that a batch links its
# rows (a call and its lines) without reading them back.

COPY_CHUNK = 50_000  # rows per executemany on SQLite


def copy_insert(
    session: Session, table: Table, frame: pl.DataFrame, actor: str | None = None
) -> int:
    """Insert the rows of `frame`, whose columns are columns of `table` (StringEnum ones
    as their values, each checked); the number of rows inserted."""
    if frame.is_empty():
        return 0
    for name in frame.columns:
        if isinstance(table.c[name].type, StringEnum):
            _enum_texts(table.c[name], frame[name])
    if not _postgres(session):
        for start in range(0, frame.height, COPY_CHUNK):
            session.execute(insert(table), frame.slice(start, COPY_CHUNK).to_dicts())
        notify_bulk(session, "insert", table.name, frame.height, {"rows": frame.height}, actor)
        return frame.height
    # Table and column names come from the metadata; the rows travel as COPY data.
    data = _copy_in(session, table.name, frame)
    content = {"columns": frame.columns, "sha256": hashlib.sha256(data).hexdigest()}
    notify_bulk(session, "copy", table.name, frame.height, content, actor)
    return frame.height


def _copy_in(session: Session, table: str, frame: pl.DataFrame) -> bytes:
    """COPY the rows of `frame` into `table` (its columns named as the frame's), written as
    CSV by Polars; the CSV sent."""
    data = frame.write_csv(include_header=False, null_value="").encode()
    connection = session.connection().connection.driver_connection
    assert connection is not None
    sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for start in range(0, len(data), 1 << 20):
            copy.write(data[start : start + (1 << 20)])
    return data


def copy_update(
    session: Session,
    table: Table,
    key: str,
    frame: pl.DataFrame,
    constants: dict[str, Any] | None = None,
    only_if: tuple[str, Any] | None = None,
) -> int:
    """`bulk_update` of the rows of `frame` (a column of `table` each; JSON ones as their
    JSON text, see `json_lists`): on PostgreSQL the frame goes by COPY into a temporary
    table dropped at commit, and one UPDATE ... FROM it changes the rows, announced with the
    digest of the rows sent. Elsewhere `bulk_update` of the frame's columns."""
    constants = constants or {}
    if frame.is_empty():
        return 0
    if not _postgres(session):
        plain = {
            name: (
                [None if v is None else json.loads(v) for v in frame[name].to_list()]
                if isinstance(table.c[name].type, JSON)
                else frame[name]
            )
            for name in frame.columns
        }
        return bulk_update(session, table, key, plain, constants, only_if)
    for name in frame.columns:
        if isinstance(table.c[name].type, StringEnum):
            _enum_texts(table.c[name], frame[name])
    temp = f"bulk_{table.name}"
    shape = ", ".join(f"{name} {_pg_type(table.c[name])}" for name in frame.columns)
    # Names come from the table's metadata; every value travels as COPY data or a parameter.
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:  # no parameters: both statements in one round trip
        cursor.execute(
            f"DROP TABLE IF EXISTS {temp}; CREATE TEMP TABLE {temp} ({shape}) ON COMMIT DROP"
        )
    data = _copy_in(session, temp, frame)
    params: dict[str, Any] = {}
    sets = [f"{n} = {_selected(table, n)}" for n in frame.columns if n != key]
    for name, value in constants.items():
        placeholder, params[f"k_{name}"] = _constant(table.c[name], value)
        sets.append(f"{name} = {placeholder}")
    # The key's range as well, as bulk_update gives it: the index scan starts at the first.
    where = f"t.{key} = v.{key} AND t.{key} BETWEEN %(lo)s AND %(hi)s"
    params["lo"], params["hi"] = frame[key].min(), frame[key].max()
    if only_if is not None:
        where += f" AND t.{only_if[0]} = %(only_if)s"
        params["only_if"] = str(_enum_texts(table.c[only_if[0]], [only_if[1]])[0])
    sql = f"UPDATE {table.name} AS t SET {', '.join(sets)} FROM {temp} AS v WHERE {where}"  # noqa: S608
    updated = _pg_execute(session, sql, params)
    content = {
        "columns": frame.columns,
        "sha256": hashlib.sha256(data).hexdigest(),
        "constants": constants,
        "only_if": [str(v) for v in only_if or ()],
    }
    notify_bulk(session, "update", table.name, updated, content, _actor(constants))
    return updated


def json_lists(values: pl.Series) -> pl.Series:
    """A column of lists of texts as their JSON texts, as `json.dumps` writes them (each
    distinct list encoded once); a missing list stays missing."""
    joined = values.list.join(_SEPARATOR)
    texts = {k: json.dumps(k.split(_SEPARATOR) if k else []) for k in joined.drop_nulls().unique()}
    return joined.replace_strict(texts, default=None, return_dtype=pl.String)


_SEPARATOR = "\x1f"  # between the items of a list while they are encoded: in no code


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` fresh ids for rows of `table` about to be inserted with them: from the
    table's sequence on PostgreSQL; on SQLite, after the largest id (the transaction holds
    the database's write lock, so no other writer takes them)."""
    if count <= 0:
        return []
    if _postgres(session):
        connection = session.connection().connection.driver_connection
        assert connection is not None
        with connection.cursor() as cursor:
            if count < SMALL:
                sql = (
                    "SELECT nextval(pg_get_serial_sequence(%(t)s, 'id'))"
                    " FROM generate_series(1, %(n)s)"
                )
                cursor.execute(sql, {"t": table.name, "n": count})
                return [int(row[0]) for row in cursor.fetchall()]
            # many: the sequence named once, as a constant (nextval of an expression costs
            # ten times more), and the ids as one text, split by Polars
            cursor.execute("SELECT pg_get_serial_sequence(%(t)s, 'id')", {"t": table.name})
            named = cursor.fetchone()
            assert named is not None and named[0]
            cursor.execute(
                psql.SQL(
                    "SELECT array_to_string(ARRAY(SELECT nextval({}::regclass)"
                    " FROM generate_series(1, %(n)s)), ',')"
                ).format(psql.Literal(named[0])),
                {"n": count},
            )
            row = cursor.fetchone()
        assert row is not None
        return pl.Series([row[0]]).str.split(",").explode().cast(pl.Int64).to_list()
    top = session.execute(select(func.max(table.c.id))).scalar() or 0
    return list(range(top + 1, top + 1 + count))


def reserve_ids_of(session: Session, wanted: Sequence[tuple[Table, int]]) -> list[list[int]]:
    """`reserve_ids` for several tables at once (rows about to be inserted together): one
    round trip on PostgreSQL."""
    if not _postgres(session):
        return [reserve_ids(session, table, count) for table, count in wanted]
    # placeholders only: the tables' names and the counts are parameters
    one = (
        "ARRAY(SELECT nextval(pg_get_serial_sequence(%(t{i})s, 'id'))"
        " FROM generate_series(1, %(n{i})s))"
    )
    arrays = ", ".join(one.format(i=i) for i in range(len(wanted)))
    params: dict[str, Any] = {}
    for i, (table, count) in enumerate(wanted):
        params[f"t{i}"], params[f"n{i}"] = table.name, max(count, 0)
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {arrays}", params)
        row = cursor.fetchone()
    assert row is not None
    return [[int(i) for i in ids] for ids in row]
