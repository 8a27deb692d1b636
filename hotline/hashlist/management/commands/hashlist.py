"""`hotline hashlist publish|public-key|import|export`: the hash list from the command line.

hotline hashlist publish                        # the full feeds, now (also on a schedule)
hotline hashlist import hashes.csv --category A # an HMA / ThreatExchange CSV, all or nothing
hotline hashlist export --format hma > out.csv  # the active entries, for HMA
hotline hashlist public-key                     # the key members verify manifests with
hotline hashlist index [--rebuild]              # the PDQ index: its size and freshness
"""

from __future__ import annotations

import io
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils import timezone

from hotline.audit.actions import SYSTEM
from hotline.core.publication.formats import FullMeta
from hotline.core.publication.signing import public_key_pem
from hotline.hashlist.actions import publish_hash_list
from hotline.hashlist.exchange import ImportRefused, export_hma_csv, import_hma_csv
from hotline.hashlist.formats import FORMATS
from hotline.hashlist.live import build_index_file, forget_index, index_path, index_status
from hotline.hashlist.snapshots import HASH_LIST

# Import files are read whole, checked whole, then written in one transaction.
MAX_IMPORT_BYTES = 512 * 1024 * 1024
# How many wrong lines are printed (the count says how many in all).
ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "The hash list: publish (the full feeds, now), import FILE (an HMA / ThreatExchange "
        "CSV), export (the active entries), public-key."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "publish",
            help="publish the list as it stands in every format (the schedule does this at "
            "HOTLINE_HASHLIST_PUBLISH_TIMES)",
        )
        sub.add_parser("public-key", help="print the Ed25519 public key (PEM) of the manifests")
        imp = sub.add_parser(
            "import",
            help="add the hashes of an HMA / ThreatExchange CSV (signal_type,signal_str,collab,"
            "category,tags): every line is checked first, and one wrong line imports nothing",
        )
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--category",
            help="the category code (A, B, C, NPI ...) of rows without a category:<code> tag",
        )
        index = sub.add_parser(
            "index",
            help="the PDQ index the match service uses: its size, version and file; --rebuild "
            "writes its file again from the list now (after restoring a database, say)",
        )
        index.add_argument("--rebuild", action="store_true")
        exp = sub.add_parser("export", help="write the active entries to stdout")
        exp.add_argument(
            "--format",
            choices=["hma", *FORMATS],
            default="hma",
            help="hma: the HMA / ThreatExchange CSV (default); json, csv: as the feeds",
        )
        exp.add_argument(
            "--collab",
            default="Hotline",
            help="the collaboration name written in the hma format's collab column",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "public-key":
            self.stdout.write(public_key_pem().decode("ascii"), ending="")
        elif subcommand == "publish":
            started = time.monotonic()
            snapshots = publish_hash_list(actor=SYSTEM, progress=self.stdout.write)
            if snapshots:
                self.stdout.write(
                    f"Published version {snapshots[0].version} in "
                    f"{time.monotonic() - started:.1f} s."
                )
        elif subcommand == "import":
            self._import(options["file"], options["category"])
        elif subcommand == "index":
            self._index(rebuild=options["rebuild"])
        else:
            self._export(options["format"], options["collab"])

    def _index(self, *, rebuild: bool) -> None:
        if rebuild:
            started = time.monotonic()
            built = build_index_file()
            forget_index()
            self.stdout.write(
                f"Indexed {built.size:,} PDQ hashes (list version {built.version}) in "
                f"{time.monotonic() - started:.1f} s: {index_path()}"
            )
        status = index_status()
        self.stdout.write(
            f"PDQ index: {status.size:,} hashes at list version {status.version} (the list is "
            f"at {status.list_version}); file {index_path()} written {status.file_written_at} "
            f"with {status.base_size:,}, {status.delta:,} changes since; kernel {status.kernel}."
        )

    def _import(self, path: Path, category: str | None) -> None:
        try:
            size = path.stat().st_size
            if size > MAX_IMPORT_BYTES:
                raise CommandError(f"{path} is {size:,} bytes, over {MAX_IMPORT_BYTES:,}.")
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
        try:
            added, parsed = import_hma_csv(data, name=path.name, category=category, actor=SYSTEM)
        except ImportRefused as refused:
            for wrong in refused.errors[:ERRORS_SHOWN]:
                self.stderr.write(f"{path}:{wrong}")
            more = len(refused.errors) - ERRORS_SHOWN
            if more > 0:
                self.stderr.write(f"... and {more} more.")
            raise CommandError(
                f"Nothing imported: {len(refused.errors)} line(s) of {path} are wrong."
            ) from None
        version = f"version {added.version}" if added.version else "no new version"
        self.stdout.write(
            f"Imported {path.name}: {len(parsed.entries)} hashes, {len(added.added)} added, "
            f"{len(added.reactivated)} re-activated, {len(added.already_listed)} already "
            f"listed ({version})."
        )

    def _export(self, name: str, collab: str) -> None:
        out = _Verbatim(self.stdout)
        if name == "hma":
            export_hma_csv(out, collab=collab)
            return
        fmt = FORMATS[name]
        version, count, entries = HASH_LIST.read()
        meta = FullMeta(version=version, published_at=timezone.now(), count=count)
        for piece in fmt.render_full(meta, entries):
            out.write(piece.decode())


class _Verbatim(io.TextIOBase):
    """The command's stdout, written as given (OutputWrapper would add a newline to each
    piece that lacks one)."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)
