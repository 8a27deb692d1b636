"""Bounded file uploads: none on public pages, and never more than a logo's worth elsewhere.

Django writes a whole uploaded file to memory or disk before any view sees it, and counts
file parts in no request limit. This handler goes first: on a path that takes no files (every
public page) a file part is skipped as it arrives; elsewhere (the admin's logo upload) at most
FILE_UPLOAD_CAP + 1 bytes are kept, which the logo check then refuses as too large.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


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
