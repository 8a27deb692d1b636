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


def _withhold_if_address(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return text
    return WITHHELD


def withhold_addresses(message: str) -> str:
    """`message` with every IP address in it replaced by "[withheld]"."""
    return _CANDIDATE.sub(_withhold_if_address, _IP_FIELD.sub(f"ip={WITHHELD}", message))


class WithholdAddresses(logging.Filter):
    """Rewrites each record's message so no IP address reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = withhold_addresses(record.getMessage())
        record.args = None
        return True


class PrivateLogger(Logger):
    """Gunicorn's logger with `WithholdAddresses` on its error log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(WithholdAddresses())
