"""Requests too large to be anything Hotline accepts are refused before their body is read.

A report is a few kilobytes, a logo at most a megabyte: a body announced larger than
HOTLINE_MAX_BODY_BYTES is answered 413 at once, so a client cannot hold a web worker for the
minutes it takes to send hundreds of megabytes (which Django would spool to disk).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            announced = 0
        if announced > settings.HOTLINE_MAX_BODY_BYTES:
            response = HttpResponse(
                "Request too large: send at most "
                f"{settings.HOTLINE_MAX_BODY_BYTES // 1_000_000} MB.\n",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
            response["Connection"] = "close"  # do not wait for the rest of the body
            return response
        return self.get_response(request)
