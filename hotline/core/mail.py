"""Whether this site can send e-mail: only with HOTLINE_EMAIL_HOST set (see settings.py)."""

from __future__ import annotations

from django.core.mail import mailers
from django.core.mail.handler import DEFAULT_MAILER_ALIAS


def mail_configured() -> bool:
    """True when a mailer is configured. Pages offer nothing that needs e-mail otherwise."""
    return DEFAULT_MAILER_ALIAS in mailers
