"""Writing rows with fewer statements and round trips than the ORM's one-at-a-time calls.

For the paths that run for every report under load (docs/benchmarks.md): the values are
prepared by the models' own fields, exactly as `save()` prepares them; only the statements
are put together here.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.constants import OnConflict

_TYPMOD = re.compile(r"\(\d+(,\s*\d+)?\)$")


def update_rows(
    objs: Sequence[models.Model], fields: Sequence[str], *, by: str | None = None
) -> None:
    """Write `fields` of each of `objs` (all of one model, all saved) to its row.

    `by` names another field that picks the rows (every row whose `by` equals the object's),
    for rows known by a foreign key rather than their primary key. Two objects naming the same
    row: the last one's values are written.

    On PostgreSQL one statement for the whole batch, `UPDATE ... FROM (VALUES ...)`: the
    server parses and plans it once (one UPDATE per row, even pipelined, cost the worker about
    a quarter of its CPU under load: docs/benchmarks.md). SQLite runs one UPDATE per row
    in-process. Django's `bulk_update` instead builds a CASE over every row for each field,
    which the database evaluates for every row: quadratic in the batch (0.65 s for 1,000
    audit events).
    """
    if not objs:
        return
    meta = type(objs[0])._meta
    concrete = {field.name: field for field in meta.concrete_fields}
    columns = [concrete[name] for name in fields]
    key = concrete[by] if by is not None else meta.pk
    assert key is not None
    db = _database()
    rows = {
        getattr(obj, key.attname): [
            field.get_db_prep_save(getattr(obj, field.attname), db) for field in columns
        ]
        for obj in objs
    }
    table = db.ops.quote_name(meta.db_table)
    with db.cursor() as cursor:
        if db.vendor != "postgresql":
            assignments = ", ".join(f"{_column(field)} = %s" for field in columns)
            sql = f"UPDATE {table} SET {assignments} WHERE {_column(key)} = %s"  # noqa: S608
            cursor.executemany(sql, [[*values, pk] for pk, values in rows.items()])
            return
        # Each value cast to its column's type (a VALUES list has no column to take it from),
        # without the length: an explicit cast to varchar(16) would cut a longer value, where
        # the assignment to the column refuses it, as any UPDATE does.
        casts = [_TYPMOD.sub("", field.cast_db_type(db) or "") for field in [*columns, key]]
        row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
        names = ", ".join(f"v{i}" for i in range(len(casts)))
        assignments = ", ".join(f"{_column(field)} = v.v{i}" for i, field in enumerate(columns))
        items = list(rows.items())
        per_statement = 60000 // len(casts)  # PostgreSQL takes at most 65,535 parameters
        for start in range(0, len(items), per_statement):
            batch = items[start : start + per_statement]
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v({names}) "
                f"WHERE {table}.{_column(key)} = v.v{len(columns)}",
                [value for pk, values in batch for value in (*values, pk)],
            )


@contextmanager
def queue_read() -> Iterator[None]:
    """Inside a transaction: read a work queue (a partial index of rows still to do, such as
    unsealed audit events or unattached report items) by walking its index in order.

    Why: the rows taken off the queue leave entries of their old versions in the partial
    index until VACUUM removes them, and PostgreSQL's planner reads a small index with a
    bitmap scan, which visits every such dead entry on every read: 100,000 of them made the
    sequencer's query take 12 ms of the database's CPU a read, growing without end
    where autovacuum lags or is off (docs/benchmarks.md). A plain index scan marks the entries
    it finds dead, so the next read skips them. Elsewhere (SQLite) this changes nothing.
    """
    if connection.vendor == "postgresql":
        assert connection.in_atomic_block, "queue_read() sets a planner option for a transaction"
        with connection.cursor() as cursor:
            # A small queue would be read whole (a sequential scan) and no entry marked.
            cursor.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off")
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL enable_bitmapscan TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT"
            )


def inserts_in_one_round_trip() -> bool:
    """Whether `insert_together` can work here: PostgreSQL with client-side parameter binding
    (Django's default), which sends a query of several statements as one message."""
    return connection.vendor == "postgresql" and not connection.settings_dict.get(
        "OPTIONS", {}
    ).get("server_side_binding")


# Primary keys drawn by `insert_together(..., draw_ahead=model)` for the next row of `model`:
# {(process id, model): key}, per thread (each thread has its own database connection).
_drawn_ahead = threading.local()


def reserve_id(model: type[models.Model]) -> int:
    """A primary key for a new row of `model`, drawn from its sequence (PostgreSQL), so that
    the rows referring to it can be built before it is inserted.

    The key the last `insert_together(draw_ahead=model)` of this thread drew, if there is
    one unused: then no query at all. Keys are unique either way, but not in the order of the
    rows' insertion: a thread's next row takes a key drawn at its previous one, which may be
    lower than keys other threads used in between.
    """
    ahead: dict[tuple[int, type[models.Model]], int] = getattr(_drawn_ahead, "keys", {})
    if (drawn := ahead.pop((os.getpid(), model), None)) is not None:
        return drawn
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [_sequence(model)])
        row = cursor.fetchone()
    return int(row[0])


@cache
def _sequence(model: type[models.Model]) -> str:
    """The name of the sequence of `model`'s primary key, asked once per process: asking the
    server in every `reserve_id` cost it a catalogue lookup per report."""
    meta = model._meta
    assert meta.pk is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
        row = cursor.fetchone()
    return str(row[0])


def insert_together(
    objs: Sequence[models.Model], *, draw_ahead: type[models.Model] | None = None
) -> None:
    """Insert these new rows all or none, in one round trip (where `inserts_in_one_round_trip`).

    One INSERT per object, sent as one query: outside a transaction the server runs it as one
    transaction, committed (durably, as any commit) before this returns, which saves the
    round trips of BEGIN and COMMIT besides one per row; inside one, it runs in a savepoint.
    A row that refers to another must be built after that one's primary key is set
    (`reserve_id`): the reference is taken when it is made. Rows without a primary key get
    theirs from the database and are left without it here.

    With `draw_ahead`, the same query draws a primary key of that model for this thread's
    next `reserve_id(draw_ahead)`: a caller that reserves a key before every insert then
    makes one round trip instead of two. (A key drawn is never given back, whatever becomes
    of the insert, so it stays unused by anyone else.)
    """
    db = _database()
    statements, params = [], []
    if draw_ahead is not None:
        statements.append("SELECT nextval(%s)")
        params.append(_sequence(draw_ahead))
    for obj in objs:
        sql, values = _insert(obj, db)
        statements.append(sql)
        params += values
    query = ";\n".join(statements)
    with transaction.atomic() if db.in_atomic_block else nullcontext(), db.cursor() as cursor:
        cursor.execute(query, params)
        drawn = cursor.fetchone() if draw_ahead is not None else None
    if drawn is not None:
        if not hasattr(_drawn_ahead, "keys"):
            _drawn_ahead.keys = {}
        _drawn_ahead.keys[(os.getpid(), draw_ahead)] = int(drawn[0])
    for obj in objs:
        if obj.pk is not None:
            obj._state.adding = False
            obj._state.db = db.alias


def insert_rows(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert these new rows (all of one model, none with its primary key) with one INSERT
    (or as few as the database takes parameters for).

    As `bulk_create` without its RETURNING of the new keys and its statement compiler, which
    cost more than the insert itself for a batch of small rows. With `ignore_conflicts`, a row
    that a unique constraint already holds is skipped (as `bulk_create(ignore_conflicts=True)`).
    """
    if not objs:
        return
    model = type(objs[0])
    assert all(type(obj) is model and obj.pk is None for obj in objs)
    fields = _insert_fields(model, with_pk=False)
    head, row = _insert_sql(model, with_pk=False)
    tail = ""
    if ignore_conflicts:
        on_conflict = OnConflict.IGNORE
        head = head.replace(
            "INSERT INTO", connection.ops.insert_statement(on_conflict=on_conflict), 1
        )
        tail = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    db = _database()
    per_statement = db.ops.bulk_batch_size(fields, objs)
    with db.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            batch = objs[start : start + per_statement]
            cursor.execute(
                f"{head} VALUES {', '.join([row] * len(batch))} {tail}",
                [value for obj in batch for value in _values(obj, fields, db)],
            )


def _database() -> BaseDatabaseWrapper:
    # The connection itself, not the `connection` proxy: every attribute read through that
    # looks up the thread's connection again, and preparing a row's values reads dozens.
    return connections[DEFAULT_DB_ALIAS]


def _insert(obj: models.Model, db: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
    """The INSERT of `obj`, with its values prepared as `save()` prepares them."""
    with_pk = obj.pk is not None
    head, row = _insert_sql(type(obj), with_pk=with_pk)
    return f"{head} VALUES {row}", _values(obj, _insert_fields(type(obj), with_pk=with_pk), db)


def _values(
    obj: models.Model, fields: list[models.Field[Any, Any]], db: BaseDatabaseWrapper
) -> list[Any]:
    values = []
    for field in fields:
        plain = _plain_types(field)
        if plain:
            value = getattr(obj, field.attname)
            if value is None or type(value) in plain:
                values.append(value)
                continue
        values.append(field.get_db_prep_save(field.pre_save(obj, True), db))
    return values


# Fields whose value of these exact types `save()` would send unchanged on every database
# (their `pre_save` reads the attribute; `get_db_prep_save` converts nothing): the common
# case of a row's values, written as they are. Filing a report then took 0.92 ms of Python
# CPU instead of 1.09 (bench_intake_cost.py, docs/benchmarks.md). Any other field, or value,
# is prepared by the field itself. Exact types: a subclass may prepare differently.
_PLAIN: dict[type[models.Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
}


@cache
def _plain_types(field: models.Field[Any, Any]) -> tuple[type, ...]:
    """The types of value `field` writes unchanged (_PLAIN); a foreign key as its target."""
    if type(field) is models.ForeignKey:
        return _plain_types(field.target_field)
    return _PLAIN.get(type(field), ())


@cache
def _insert_fields(model: type[models.Model], *, with_pk: bool) -> list[models.Field[Any, Any]]:
    meta = model._meta
    assert not meta.parents, "a model with parent tables needs one INSERT per table"
    return [field for field in meta.local_concrete_fields if with_pk or not field.primary_key]


@cache
def _insert_sql(model: type[models.Model], *, with_pk: bool) -> tuple[str, str]:
    """("INSERT INTO table (columns)", "(%s, ...)"): the statement and one row of it."""
    fields = _insert_fields(model, with_pk=with_pk)
    columns = ", ".join(_column(field) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns})", f"({', '.join(['%s'] * len(fields))})"


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # a concrete field always has its column
    return connection.ops.quote_name(field.column)
