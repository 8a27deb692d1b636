"""Digest helpers shared by the apps that index URLs."""

from __future__ import annotations

import hashlib


def url_digest(url: str) -> str:
    """SHA-256 of a canonical URL: a fixed-size key for unique indexes on any database."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()
