"""Housekeeping tasks that belong to no one app."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.tasks import task
from django.utils import timezone


@task()
def clear_expired_sessions() -> dict[str, int]:
    """Delete expired sessions (Django's `clearsessions`), so none outlive their purpose."""
    before = Session.objects.filter(expire_date__lt=timezone.now()).count()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return {"cleared": before}
