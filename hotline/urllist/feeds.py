"""The current URL list, rendered in the formats members consume."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import Max

from hotline.urllist.models import UrlListEntry, UrlListVersion

FeedFormat = Literal["json", "csv", "text"]
FEED_FORMATS: tuple[FeedFormat, ...] = ("json", "csv", "text")
CONTENT_TYPES: dict[FeedFormat, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class FeedEntry:
    url: str
    category: str
    added_at: datetime
    added_in_version: int


@dataclass(frozen=True)
class Feed:
    version: int
    published_at: datetime | None
    entries: list[FeedEntry]


def current_feed() -> Feed:
    latest = UrlListVersion.objects.order_by("-number").first()
    rows = (
        UrlListEntry.objects.filter(removed_at__isnull=True)
        .order_by("added_in__number", "pk")
        .values_list("url", "category", "added_at", "added_in__number")
    )
    return Feed(
        version=latest.number if latest else 0,
        published_at=latest.published_at if latest else None,
        entries=[FeedEntry(*row) for row in rows],
    )


def current_version() -> int:
    return int(UrlListVersion.objects.aggregate(n=Max("number"))["n"] or 0)


def render_feed(feed: Feed, feed_format: FeedFormat) -> str:
    if feed_format == "json":
        return json.dumps(
            {
                "version": feed.version,
                "published_at": feed.published_at.isoformat() if feed.published_at else None,
                "count": len(feed.entries),
                "entries": [
                    {
                        "url": e.url,
                        "category": e.category,
                        "added_at": e.added_at.isoformat(),
                        "added_in_version": e.added_in_version,
                    }
                    for e in feed.entries
                ],
            },
            ensure_ascii=False,
        )
    if feed_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["url", "category", "added_at", "added_in_version"])
        for e in feed.entries:
            writer.writerow([e.url, e.category, e.added_at.isoformat(), e.added_in_version])
        return out.getvalue()
    lines = [f"# Hotline URL list version {feed.version}"] + [e.url for e in feed.entries]
    return "\n".join(lines) + "\n"
