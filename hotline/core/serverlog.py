"""Gunicorn's logger, made to forget client addresses.

Gunicorn writes "Invalid request from ip=…" and the like to its error log for malformed
requests. Reporters' addresses are never recorded anywhere, so every message the web server
logs passes through `withhold_addresses` first. The access log format (see `hotline serve`) has
no address in it to begin with.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

from gunicorn.glogging import Logger

WITHHELD = "[withheld]"
_IP_FIELD = re.compile(r"\bip=\S+?(?=:?(?:\s|$))")
# Anything that could be an IPv4 or IPv6 address; each candidate is checked by `ipaddress`,
# so times ("12:30:45") and versions ("27.0.1") survive.
_CANDIDATE = re.compile(r"[0-9A-Fa-f]*[:.][0-9A-Fa-f:.]*[0-9A-Fa-f]")


_WITH_PORT = re.compile(r"(?P<address>.+):\d{1,5}")


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _withhold_if_address(match: re.Match[str]) -> str:
    text = match.group(0)
    with_port = _WITH_PORT.fullmatch(text)
    # "10.0.0.5:5678" and "::ffff:10.1.2.3:80" are an address and a port.
    if _is_address(text) or (with_port is not None and _is_address(with_port["address"])):
        return WITHHELD
    return text


def withhold_addresses(message: str) -> str:
    """`message` with every IP address in it replaced by "[withheld]"."""
    return _CANDIDATE.sub(_withhold_if_address, _IP_FIELD.sub(f"ip={WITHHELD}", message))


class WithholdAddresses(logging.Filter):
    """Rewrites each record's message so no IP address reaches a handler."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = withhold_addresses(record.getMessage())
        record.args = None
        # A traceback can carry an address too (in an exception's message); handlers print
        # `exc_text` when it is set, so it is formatted and cleaned here.
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = withhold_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = withhold_addresses(record.stack_info)
        return True


class PrivateLogger(Logger):
    """Gunicorn's logger with `WithholdAddresses` on the handlers of both its logs.

    On the handlers, not the loggers: the uvicorn workers log through their own loggers
    ("uvicorn.error", "uvicorn.access", which print client addresses) onto these handlers.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(WithholdAddresses())
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            handler.addFilter(WithholdAddresses())
