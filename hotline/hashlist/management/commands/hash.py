"""`hotline hash PATH...`: every hash of every image in files and folders, one JSON line each.

    hotline hash photos/ extra.jpg > hashes.jsonl

Each line on stdout is one file, in the order of the paths given (folders walked recursively in
sorted order), so two runs over the same files print the same lines:

    {"path": "photos/a.jpg", "md5": "...", "sha1": "...", "sha256": "...", "pdq": "...",
     "pdq_quality": 100, "pdq_exact": false, "width": 3000, "height": 2000}
    {"path": "photos/notes.txt", "error": "the data is not in an image format ..."}

The cryptographic hashes are of the file's bytes; PDQ, its quality and the size are of the
picture as displayed (EXIF orientation applied). PDQ is taken on the fast path by default
(a large JPEG decoded at a half, a quarter or an eighth of its size: within distance 8 of the
exact hash for at least 99 % of photographs, several times faster, `"pdq_exact": false`);
`--exact` hashes every pixel, as the hash list itself does.

Exit status: 0 when every file was hashed, 1 when some were not (not an image, unreadable,
missing: each has its error line, and the others are hashed all the same).

Hashing runs in one process per core (`--workers` to change it); the workers need no database.
A progress bar is drawn on stderr when stderr is a terminal, and nothing when it is not.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from hotline.hashlist.bulk import files_under, hash_files


class ProgressBar:
    """One line on a terminal, redrawn at most ten times a second: how many files are done,
    how many failed, the rate and the time left."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper, total: int) -> None:
        self.stream, self.total = stream, total
        self.done = self.failed = 0
        self.started = self.drawn = time.monotonic()

    def advance(self, *, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        now = time.monotonic()
        if now - self.drawn >= 0.1 or self.done == self.total:
            self.drawn = now
            self.draw(now)

    def draw(self, now: float) -> None:
        filled = self.WIDTH * self.done // max(self.total, 1)
        rate = self.done / max(now - self.started, 1e-9)
        left = (self.total - self.done) / rate if rate else 0
        line = (
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done:,}/{self.total:,} files"
            f"  {rate:.1f}/s  {int(left) // 60}:{int(left) % 60:02d} left"
        )
        if self.failed:
            line += f"  {self.failed:,} not hashed"
        # \x1b[K clears what a longer line drawn before left behind.
        self.stream.write(line + "\x1b[K", style_func=str, ending="")
        self.stream.flush()

    def close(self) -> None:
        self.draw(time.monotonic())
        self.stream.write("", ending="\n")


class Command(BaseCommand):
    help = "Hash images (files and folders): one JSON line each with MD5, SHA-1, SHA-256, PDQ."
    # Hashing reads files, not the database: no system checks, no connection.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="image files and folders")
        parser.add_argument(
            "--exact",
            action="store_true",
            help="PDQ of every pixel, as the hash list holds it (slower); by default a large "
            "picture is hashed at a reduced size, within a few bits of the exact hash",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help="processes hashing at once (default: one per core)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers is not None and workers < 1:
            raise CommandError(f"--workers {workers}: give 1 or more processes")
        paths = files_under(options["paths"])
        progress = ProgressBar(self.stderr, len(paths)) if self.stderr.isatty() else None
        failed = 0
        for record in hash_files(paths, fast=not options["exact"], workers=workers):
            self.stdout.write(json.dumps(record))
            failed += "error" in record
            if progress:
                progress.advance(failed="error" in record)
        if progress:
            progress.close()
        if failed:
            raise CommandError(
                f"{failed:,} of {len(paths):,} files were not hashed (see their error lines)",
                returncode=1,
            )
