"""Staff sessions end after HOTLINE_STAFF_IDLE_SECONDS without a request, and after
HOTLINE_SESSION_SECONDS in all, however active (a stolen session cookie is worth less)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT = "hotline_signed_in_at"
LAST_SEEN = "hotline_last_seen"
# Why the last session ended, for the sign-in page to say ("idle" or "limit").
ENDED = "hotline_session_ended"
# The last-seen time is written at most this often, so that a busy page does not write the
# session on every request; an idle limit is therefore kept to within this many seconds.
LAST_SEEN_RESOLUTION = 30


def start_session_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On every sign-in (the `user_logged_in` signal): the session's limits start now."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


class StaffSessionExpiryMiddleware:
    """Signs out a session idle for too long, or older than the absolute limit.

    Applies to every signed-in request (staff pages, the admin); the next protected page then
    asks to sign in again, and says why. A session without the clock (signed in before this
    existed) is ended too: it cannot show that it is within its limits. It runs before
    anything else reads `request.user` (the portal resolver lets staff preview draft portals).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Public requests carry no session cookie: they cost no session or user lookup here.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            now = int(time.time())
            started = request.session.get(SIGNED_IN_AT)
            last_seen = request.session.get(LAST_SEEN)
            idle_limit = settings.HOTLINE_STAFF_IDLE_SECONDS
            if started is None or last_seen is None:
                logout(request)
            elif now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
                request.session[ENDED] = "limit"
            elif now - last_seen > idle_limit:
                logout(request)
                request.session[ENDED] = "idle"
            elif now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
