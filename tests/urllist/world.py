"""Helpers for the URL list tests: add entries, publish, download as a member."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client

from hotline.urllist.actions import add_to_url_list, publish_url_list, remove_from_url_list
from hotline.urllist.formats import FORMATS
from hotline.urllist.models import UrlListEntry
from tests.conftest import MemberKey

URL = "/api/v1/urllist"
# The formats of every entry (rpz holds domain entries only; its tests are in test_rpz.py).
URL_FORMATS = [name for name, fmt in FORMATS.items() if fmt.selects is None]


def add(url: str, category: str = "B", case_id: int | None = None) -> UrlListEntry:
    return add_to_url_list(url=url, category=category, case_id=case_id, actor="system")


def remove(url: str, reason: str = "content removed") -> bool:
    return remove_from_url_list(url=url, reason=reason, actor="system")


def publish() -> int:
    """Publish the list; the version published (the list's current one)."""
    snapshots = publish_url_list(actor="system")
    return snapshots[0].version if snapshots else -1


@dataclass
class Download:
    response: HttpResponse | StreamingHttpResponse
    body: bytes

    @property
    def status(self) -> int:
        return self.response.status_code

    def __getitem__(self, header: str) -> str:
        return str(self.response[header])

    def json(self) -> Any:
        return json.loads(self.body)

    def lines(self) -> list[str]:
        return [line for line in self.body.decode().splitlines() if not line.startswith("#")]


def download(
    client: Client, isp: MemberKey, *, method: str = "get", path: str = URL, **params: Any
) -> Download:
    """GET (or HEAD) the feed as `isp`; `etag` becomes If-None-Match. Reads a streamed body."""
    headers = dict(isp.header)
    if "etag" in params:
        headers["If-None-Match"] = params.pop("etag")
    response = getattr(client, method)(path, params, headers=headers)
    body = response.getvalue() if getattr(response, "streaming", False) else response.content
    return Download(response, body)
