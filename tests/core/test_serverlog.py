"""The web server's error log withholds client addresses."""

from __future__ import annotations

import logging

import pytest

from hotline.core.serverlog import WithholdAddresses, withhold_addresses


@pytest.mark.parametrize(
    ("message", "logged"),
    [
        (
            "Invalid request from ip=192.0.2.7: bad line",
            "Invalid request from ip=[withheld]: bad line",
        ),
        ("Invalid request from ip=2001:db8::7: x", "Invalid request from ip=[withheld]: x"),
        (
            "Proxy request from '198.51.100.4' not allowed",
            "Proxy request from '[withheld]' not allowed",
        ),
        ("peer 2001:db8::1 went away", "peer [withheld] went away"),
        ("peer ::ffff:192.0.2.1 went away", "peer [withheld] went away"),
        ("peer 192.0.2.5:5678 reset", "peer [withheld] reset"),
        ("peer ::ffff:192.0.2.3:80 reset", "peer [withheld] reset"),
        ("listening at: http://127.0.0.1:8000 (1)", "listening at: http://[withheld] (1)"),
        ("Booting worker with pid: 4242", "Booting worker with pid: 4242"),
        ("took 10:30 min", "took 10:30 min"),
        ("at 12:30:45 gunicorn 27.0.1 started", "at 12:30:45 gunicorn 27.0.1 started"),
    ],
)
def test_addresses_are_withheld_and_nothing_else_changes(message: str, logged: str) -> None:
    assert withhold_addresses(message) == logged


def test_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "gunicorn.error", logging.WARNING, __file__, 1, "from %s", ("192.0.2.9",), None
    )
    assert WithholdAddresses().filter(record) is True
    assert record.getMessage() == "from [withheld]"


def test_filter_cleans_tracebacks_too() -> None:
    try:
        raise ConnectionError("reset by 198.51.100.23:443")
    except ConnectionError:
        import sys

        record = logging.LogRecord(
            "gunicorn.error", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    WithholdAddresses().filter(record)
    printed = logging.Formatter().format(record)
    assert "198.51.100.23" not in printed
    assert "ConnectionError: reset by [withheld]" in printed
