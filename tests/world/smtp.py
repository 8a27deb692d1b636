"""The test world's mail server: real SMTP (aiosmtpd) on a loopback port, keeping what it
receives, and a fixture that points Django's mailer at it (DESIGN.md's test world)."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Inbox:
    """An SMTP server on a free loopback port, keeping what it receives; can be stopped."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.controller: Controller | None = None
        # Addresses this server refuses outright (550), as for a mailbox that does not exist.
        self.refused: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    # aiosmtpd calls the handler's handle_DATA with each message it accepts.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        # A new controller each time: a stopped one's event loop is closed.
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        assert self.controller is not None
        self.controller.stop()
        self.controller = None


@pytest.fixture
def inbox(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    # aiosmtpd narrates every connection at INFO; the server's side is not under test.
    monkeypatch.setattr(logging.getLogger("mail.log"), "level", logging.WARNING)
    server = Inbox()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "use_tls": False, "timeout": 5},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "no-reply@hotline.example"
    yield server
    if server.controller is not None:
        server.stop()
