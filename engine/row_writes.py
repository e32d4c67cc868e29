"""The writes of an engine step as SQLAlchemy Core statements, built once per column set.

A step writes a handful of rows (its instance under the version check, inbox rows, events,
outbox rows). Through the ORM's unit of work each costs far more Python than the statement
itself; here each is one prepared Core statement. An ORM object of a written row that the
session holds is set to what was written (no history), so code later in the same transaction
reads what the database has and the next flush has nothing to write for it.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, insert, update
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Insert, Update

from engine.database import start_writing

_updates: dict[tuple[str, frozenset[str], bool], Update] = {}
_inserts: dict[str, Insert] = {}


def _update(table: Table, keys: frozenset[str], versioned: bool) -> Update:
    """``UPDATE table SET keys WHERE id = :_id [AND version = :_version]`` (built once)."""
    cache_key = (table.name, keys, versioned)
    statement = _updates.get(cache_key)
    if statement is None:
        statement = update(table).where(table.c.id == bindparam("_id"))
        if versioned:
            statement = statement.where(table.c.version == bindparam("_version"))
        statement = _updates[cache_key] = statement.values({k: bindparam(k) for k in keys})
    return statement


def get(session: Session, model: type, query: Select, row_id: Any) -> Any:
    """``session.get`` through a statement built once: the object the session holds, else the
    one row ``query`` (with an ``:id`` parameter) finds, or None."""
    held = session.identity_map.get(session.identity_key(model, row_id))
    if held is not None:
        return held
    return session.execute(query, {"id": row_id}).scalar_one_or_none()


def writer(session: Session) -> Connection:
    """The session's connection, holding the write lock (``start_writing``)."""
    if isinstance(session, scoped_session):  # the web app's Flask-SQLAlchemy session
        session = session()
    start_writing(session)
    return session.connection()


def write_versioned(session: Session, obj: Any) -> bool:
    """Write the changed columns of a version-counted object (``version_id_col`` = ``version``)
    with its version raised by one, only if the row still has the version it was read with.

    False when another writer changed the row first: nothing was written. A change the ORM
    must resolve itself (a relationship) goes through a normal flush of the object."""
    state = instance_state(obj)
    column_keys = state.mapper.column_attrs.keys()
    changed = frozenset(state.committed_state)
    if not changed.issubset(column_keys):
        try:
            session.flush([obj])
        except StaleDataError:
            return False
        return True
    connection = writer(session)
    version = obj.version
    values = {key: getattr(obj, key) for key in changed}
    values["version"] = version + 1
    table = state.mapper.local_table
    statement = _update(table, frozenset(values), versioned=True)
    result = connection.execute(statement, {**values, "_id": obj.id, "_version": version})
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(obj, key, value)
    if not state.committed_state:  # nothing left to flush for it
        state.modified = False
        session.identity_map._modified.discard(state)
    return True


def update_row(session: Session, model: type, row_id: Any, values: Mapping[str, Any]) -> None:
    """``UPDATE`` one row by id; the session's object for it, if any, shows the new values."""
    table = model.__table__
    writer(session).execute(
        _update(table, frozenset(values), versioned=False), {**values, "_id": row_id}
    )
    hold(session, model, row_id, values)


def hold(session: Session, model: type, row_id: Any, values: Mapping[str, Any]) -> None:
    """The session's object for a row just written, if it holds one, shows the new values."""
    held = session.identity_map.get(session.identity_key(model, row_id))
    if held is not None:
        for key, value in values.items():
            set_committed_value(held, key, value)


def insert_rows(session: Session, model: type, rows: Iterable[Mapping[str, Any]]) -> None:
    """``INSERT`` rows (all with the same keys) in one statement execution."""
    rows = list(rows)
    if not rows:
        return
    table = model.__table__
    statement = _inserts.get(table.name)
    if statement is None:
        statement = _inserts[table.name] = insert(table)
    writer(session).execute(statement, rows if len(rows) > 1 else rows[0])
