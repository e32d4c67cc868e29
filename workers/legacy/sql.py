"""A legacy system read straight from its database (or a replica) with one query."""

from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from workers.errors import PermanentFailure, TransientFailure


class SqlAdapter:
    source = "sql"

    def __init__(self, url: str, query: str) -> None:
        self.url = url
        self.query = text(query)

    @cached_property
    def engine(self) -> Engine:
        return create_engine(self.url, pool_pre_ping=True)

    def lookup(self, system: str, document: str) -> dict[str, Any] | None:
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            raise TransientFailure(f"{system}: base de datos no disponible ({exc.orig})") from exc
        try:
            with conn:
                result = conn.execute(
                    self.query, {"sistema": system, "documento": document.strip()}
                )
                rows = result.mappings().all()
        except DBAPIError as exc:
            if exc.connection_invalidated:  # the connection dropped mid-query
                raise TransientFailure(f"{system}: se perdió la conexión ({exc.orig})") from exc
            raise PermanentFailure(f"{system}: la consulta falló ({exc.orig})") from exc
        if not rows:
            return None
        return {"registros": [{k: _plain(v) for k, v in row.items()} for row in rows]}


def _plain(value: Any) -> Any:
    """JSON-friendly values for the task data."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
