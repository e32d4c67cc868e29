"""Structured JSON logs (python-json-logger) for the web app and the workers.

One line per record on stderr, with the request id (``X-Request-ID``, honoured or generated)
and the instance, incident, task or outbox row the line is about, where there is one. A
redaction pass runs over every formatted line, tracebacks included: e-mail addresses, runs of
six or more digits (document and phone numbers; a radicado's number is kept, being glued to
its ``AV-2026-`` prefix) and the values of password-like fields are replaced. Views and jobs
should still not log personal data; this is the net under them."""

import logging
import re
import sys
from contextvars import ContextVar
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

# Fields a log line carries about what it concerns (request and job context).
CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("av_log_context", default=None)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
LONG_NUMBER = re.compile(
    r"(?<![\w.:/-])[A-Za-z]?\d{6,}(?![\w.:-])"  # a word of its own
    r"|(?<=/)[A-Za-z]?\d{6,}(?=[/?\s\"]|$)"  # a path segment
)
SECRET = re.compile(
    r"(?i)((?:password|contrase(?:ñ|\\u00f1)a|passwd|secret|token|authorization)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\"'&\s,}]+)"
)
REDACTED = "[oculto]"


def redact(text: str) -> str:
    text = EMAIL.sub(REDACTED, text)
    text = SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    return LONG_NUMBER.sub(REDACTED, text)


class ContextFilter(logging.Filter):
    """Adds the current request's or job's context fields to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (CONTEXT.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingFormatter(logging.Formatter):
    """``LOG_FORMAT=plain``: one readable line, redacted the same way (development)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def bind(**fields: Any) -> None:
    """Add fields to the current context (a request or a job)."""
    CONTEXT.set({**(CONTEXT.get() or {}), **{k: v for k, v in fields.items() if v is not None}})


def clear() -> None:
    CONTEXT.set(None)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted (as logging's last
    resort does), so a stream swapped later (test capture, a daemon's redirect) is followed."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(
    level: str | int = "INFO", stream: TextIO | None = None, fmt: str = "json"
) -> logging.Handler:
    """Root logging to ``stream`` (stderr) as JSON (``fmt="plain"``: text lines), redacted;
    idempotent (replaces its own handler)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "av_json", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.av_json = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        if fmt == "plain"
        else RedactingJsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,  # Spanish messages stay readable (and searchable)
        )
    )
    root.addHandler(handler)
    root.setLevel(level)
    return handler
