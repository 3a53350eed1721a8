"""Log lines carry the current request id (domain.request_context), as JSON or text."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.observability.logging import configure_logging
from domain.request_context import current_request_id, request_id_scope


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_the_request_id_and_extras(restore_logging: object) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("test.logs")
    with request_id_scope("req-12345678"):
        log.info("paid %s", "r1", extra={"status": 200})
    log.info("outside")
    log.debug("below the level")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "paid r1"
    assert first["request_id"] == "req-12345678"
    assert first["status"] == 200
    assert first["level"] == "INFO" and first["logger"] == "test.logs"
    assert "request_id" not in second
    assert current_request_id() is None


def test_text_lines_show_the_request_id(restore_logging: object) -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", stream=out)
    with request_id_scope("req-abcdefgh"):
        logging.getLogger("test.logs").warning("hello")
    assert "[req-abcdefgh]: hello" in out.getvalue()


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        configure_logging("INFO", "xml")
