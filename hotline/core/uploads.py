"""Bounded file uploads: none on public pages, never more than a logo's worth elsewhere, and
never on disk where a view asks so (`keep_uploads_in_memory`).

Django writes a whole uploaded file to memory or disk before any view sees it, and counts
file parts in no request limit. This handler goes first: on a path that takes no files (every
public page) a file part is skipped as it arrives; elsewhere (the admin's logo upload) at most
FILE_UPLOAD_CAP + 1 bytes are kept, which the logo check then refuses as too large.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

View = Callable[..., HttpResponse]


class BoundedUploadHandler(FileUploadHandler):
    received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        path = self.request.path_info if self.request is not None else ""
        if not path.startswith(tuple(settings.HOTLINE_UPLOAD_PATHS)):
            raise SkipFile
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        room = settings.HOTLINE_UPLOAD_CAP + 1 - self.received
        self.received += len(raw_data)
        return raw_data[: max(room, 0)] if room > 0 else b""

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) holds the bytes


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory, never on disk, and at most `cap` + 1 bytes of it.

    For a view that reads files and must not keep them (a senior analyst's images to hash: see
    `keep_uploads_in_memory`). Django's own memory handler steps aside for a body over
    FILE_UPLOAD_MAX_MEMORY_SIZE and lets the next handler spool the file to a temporary file;
    this one never steps aside, and a view that uses it has no other handler. The memory is
    bounded all the same: the body is at most HOTLINE_MAX_BODY_BYTES (refused unread beyond,
    hotline/core/bodylimit.py and the ASGI bridge, which holds it in memory too), and a file
    over `cap` is cut at `cap` + 1 bytes, so the view can refuse it as too large.
    """

    def __init__(self, request: Any = None, *, cap: int) -> None:
        super().__init__(request)
        self.cap = cap
        self.buffer = io.BytesIO()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = self.cap + 1 - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        size = self.buffer.tell()
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def keep_uploads_in_memory(view: View) -> View:
    """Run `view` with uploaded files held in memory only (`MemoryOnlyUploadHandler`, capped
    at HOTLINE_MAX_BODY_BYTES a file), and with its CSRF check.

    The handlers must be chosen before anything reads the body, and the CSRF middleware reads
    it for every POST; so, as Django's documentation does for custom upload handlers, the
    middleware's check is skipped here and made after the handlers are set."""

    @csrf_protect
    def protected(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers = [
            MemoryOnlyUploadHandler(request, cap=int(settings.HOTLINE_MAX_BODY_BYTES))
        ]
        return protected(request, *args, **kwargs)

    # Outermost, so that the CSRF middleware sees it; `protected` checks the token instead.
    return csrf_exempt(wrapper)
