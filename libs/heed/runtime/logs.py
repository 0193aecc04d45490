"""Structured JSON logs that carry the current trace and span ids; never message text or PII.

Database errors are the trap: asyncpg's messages quote parameter values and row contents
("Key (email)=(…) already exists", "invalid input syntax for type integer: …"). They are logged
and stored by name only: class, SQLSTATE and the table, column and constraint involved.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import TypeAlias

from opentelemetry import trace

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def is_database_error(error: BaseException) -> bool:
    """True for asyncpg's errors, server-side (PostgresError) and client-side (DataError, …)."""
    return type(error).__module__.partition(".")[0] == "asyncpg"


def database_error_summary(error: BaseException) -> str:
    """A database error by name only: class, SQLSTATE and the objects it names, never its values."""
    return f"{type(error).__name__}{_database_error_names(error)}; message withheld: it quotes values"


def _database_error_names(error: BaseException) -> str:
    parts = []
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate:
        parts.append(f"SQLSTATE {sqlstate}")
    schema, table = getattr(error, "schema_name", None), getattr(error, "table_name", None)
    if table:
        parts.append(f"table {schema}.{table}" if schema else f"table {table}")
    for label, attribute in (("column", "column_name"), ("constraint", "constraint_name"),
                             ("type", "data_type_name")):
        value = getattr(error, attribute, None)
        if value:
            parts.append(f"{label} {value}")
    return f" ({', '.join(parts)})" if parts else ""


def _chain(error: BaseException) -> list[tuple[BaseException, str]]:
    """`error` and its causes, outermost first, each with how the one before led to it."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    return chain


def _type_name(error: BaseException) -> str:
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def format_exception_safely(error: BaseException) -> str:
    """A traceback as Python prints it, except that a database error, and whatever it was raised
    from, shows its type, SQLSTATE and object names without its message."""
    chain = _chain(error)
    if not any(is_database_error(exc) for exc, _ in chain):
        return "".join(traceback.format_exception(error)).rstrip("\n")
    blocks: list[str] = []
    redact = False
    for exc, _ in chain:
        # a database error's cause (an encoder's complaint about a value) may quote the value too
        redact = redact or is_database_error(exc)
        if not redact:
            last = "".join(traceback.format_exception_only(type(exc), exc))
        elif is_database_error(exc):
            last = f"{_type_name(exc)}:{_database_error_names(exc)} (message withheld: it quotes values)\n"
        else:
            last = f"{_type_name(exc)}: (message withheld)\n"
        frames = traceback.format_tb(exc.__traceback__)
        blocks.append(("Traceback (most recent call last):\n" + "".join(frames) if frames else "") + last)
    # innermost first, each followed by how it led to the next one out
    text = blocks[-1]
    for i in range(len(chain) - 2, -1, -1):
        text += chain[i + 1][1] + blocks[i]
    return text.rstrip("\n")


def _safe(value: object) -> object:
    if isinstance(value, BaseException) and is_database_error(value):
        return database_error_summary(value)
    return value


def _json_default(value: object) -> str:
    return str(_safe(value))


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": self._message(record),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = f"{ctx.trace_id:032x}"
            entry["span_id"] = f"{ctx.span_id:016x}"
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=_json_default)

    @staticmethod
    def _message(record: logging.LogRecord) -> str:
        """The record's message, with any database error among its arguments by name only."""
        args = record.args
        values = args.values() if isinstance(args, dict) else args or ()
        if not any(isinstance(v, BaseException) and is_database_error(v) for v in (record.msg, *values)):
            return record.getMessage()
        if isinstance(args, dict):
            args = {k: _safe(v) for k, v in args.items()}
        elif isinstance(args, tuple):
            args = tuple(_safe(a) for a in args)
        return logging.makeLogRecord({**record.__dict__, "msg": _safe(record.msg), "args": args}).getMessage()

    def formatException(self, ei: ExcInfo) -> str:
        return super().formatException(ei) if ei[1] is None else format_exception_safely(ei[1])


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # faststream logs every message at INFO: far too much at thousands per second
    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
