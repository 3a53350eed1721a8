"""Logs: one line per event, as JSON (`LOG_FORMAT=json`, the production default) or text (the
embedded default), each carrying the request id of domain.request_context when there is one.

The request id is set per HTTP request (app.http.middleware), per WebSocket connection
(app.http.graphql_ws) and per refund job (the id of the request that caused it, see
domain.usecases.execute_refund), so `grep <request id>` finds one request's story in the API's and
the worker's logs alike.

`configure_logging` is called by every entry point: `python -m app.serve`, `python -m app.worker`,
the CLI, and `uvicorn app.main:create_app --factory` (the factory, called without settings).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from domain.request_context import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"

# What a LogRecord carries anyway; anything else (`extra=`) goes into the JSON object.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id ("-" when none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and
    exception / extra fields when present."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id and request_id != "-":
            payload["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")


def configure_logging(level: str, log_format: str, *, stream: TextIO | None = None) -> None:
    """The root logger writes to stderr in `log_format`; uvicorn's loggers go through it too (its
    own access log is off: app.http.middleware logs one line per request, with its id)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
