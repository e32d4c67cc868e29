"""The legacy applications 5.2.8 consults (C&CTEX, COBOL, FOX PRO), behind one interface.

``adapter_from_settings`` picks the implementation from ``LEGACY_ADAPTER``:
- ``demo`` (default): the dataset shipped in ``workers/legacy/demo_data/`` (fake people);
- ``http``: a JSON service, ``LEGACY_HTTP_URL`` with ``{sistema}`` and ``{documento}``;
- ``sql``: a database, ``LEGACY_SQL_URL`` (SQLAlchemy) and ``LEGACY_SQL_QUERY`` with the
  bind parameters ``:sistema`` and ``:documento``.
"""

from workers.legacy.base import SYSTEMS, LegacyAdapter
from workers.legacy.demo import DemoAdapter
from workers.legacy.http import HttpAdapter
from workers.legacy.sql import SqlAdapter
from workers.settings import WorkerSettings


def adapter_from_settings(settings: WorkerSettings) -> LegacyAdapter:
    kind = settings.legacy_adapter
    if kind == "demo":
        return DemoAdapter()
    if kind == "http":
        if not settings.legacy_http_url:
            raise ValueError("LEGACY_ADAPTER=http necesita LEGACY_HTTP_URL")
        return HttpAdapter(settings.legacy_http_url, settings.legacy_http_timeout)
    if kind == "sql":
        if not (settings.legacy_sql_url and settings.legacy_sql_query):
            raise ValueError("LEGACY_ADAPTER=sql necesita LEGACY_SQL_URL y LEGACY_SQL_QUERY")
        return SqlAdapter(settings.legacy_sql_url, settings.legacy_sql_query)
    raise ValueError(f"LEGACY_ADAPTER='{kind}' no es válido (demo, http o sql)")


__all__ = ["SYSTEMS", "DemoAdapter", "HttpAdapter", "LegacyAdapter", "SqlAdapter"]
