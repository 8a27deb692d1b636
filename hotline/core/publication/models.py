"""The abstract models of a published list's snapshots: each list makes them concrete with its
own tables (`UrlListSnapshot`, `HashListSnapshot`), its own constraint names and the foreign
key from its chunks to its snapshots."""

from __future__ import annotations

from django.db import models


class SnapshotBase(models.Model):
    """A published full feed: one version in one format, stored in chunks, with its signed
    manifest. Feeds serve these bytes as they are; nothing renders the full list per request."""

    version = models.PositiveIntegerField()
    format = models.CharField(max_length=16)
    published_at = models.DateTimeField()
    count = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The canonical JSON bytes the signature covers, and the Ed25519 signature (base64).
    manifest = models.BinaryField()
    signature = models.CharField(max_length=100)

    class Meta:
        abstract = True


class SnapshotChunkBase(models.Model):
    """At most CHUNK_SIZE bytes of a snapshot, so serving one never holds it whole. The concrete
    model adds `snapshot`, its foreign key (on_delete CASCADE, related_name "chunks")."""

    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        abstract = True
