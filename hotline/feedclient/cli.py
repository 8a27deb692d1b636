"""`hotline-feed sync`: bring the local copy up to date and write the requested files.

    hotline-feed sync --url https://hotline.example --key-file /etc/hotline/key \
        --public-key /etc/hotline/feed.pem --dir /var/lib/hotline-feed \
        --write squid=/etc/squid/hotline.url_regex --write rpz=/var/lib/hotline-feed/hotline.rpz

The first run (or --full) downloads the latest published list; every run then asks for the
changes since the version it holds (`?since=`, with If-None-Match: 304 is "nothing new").
Each body is verified against its signed manifest before anything is applied; the state and
the outputs are written only when everything verified, each atomically.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.feedclient import outputs, state, transport
from hotline.feedclient.errors import EXIT_LOCAL, EXIT_OK, EXIT_PROTOCOL, FeedClientError
from hotline.feedclient.state import State
from hotline.feedclient.verify import load_public_key, verify

FORMATS = ("json",)  # the one feed carrying kind, domain and category for every output


def _output(value: str) -> tuple[str, Path]:
    kind, sep, path = value.partition("=")
    if not sep or kind not in outputs.OUTPUTS or not path:
        raise argparse.ArgumentTypeError(
            f"{value!r}: write KIND=PATH, KIND one of {', '.join(outputs.OUTPUTS)}"
        )
    return kind, Path(path)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="hotline-feed", description="Keep a local copy of a Hotline URL list in sync."
    )
    commands = top.add_subparsers(dest="command", required=True)
    sync = commands.add_parser(
        "sync",
        help="download what changed, verify it, update the state and the output files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument("--url", required=True, help="the hotline, e.g. https://hotline.example")
    sync.add_argument(
        "--key-file",
        required=True,
        type=Path,
        help="file holding the member API key (never give the key on the command line)",
    )
    sync.add_argument(
        "--public-key",
        required=True,
        type=Path,
        help="the hotline's Ed25519 public key (PEM), obtained once and checked",
    )
    sync.add_argument(
        "--dir", required=True, type=Path, help="state directory (created if missing)"
    )
    sync.add_argument("--format", choices=FORMATS, default="json", help="feed format to use")
    sync.add_argument(
        "--write",
        action="append",
        type=_output,
        default=[],
        metavar="KIND=PATH",
        help=f"write an output file; KIND: {', '.join(outputs.OUTPUTS)} (repeatable)",
    )
    sync.add_argument(
        "--rpz-zone",
        default=outputs.DEFAULT_RPZ_ZONE,
        help=f"the RPZ zone's name (default {outputs.DEFAULT_RPZ_ZONE})",
    )
    sync.add_argument(
        "--full", action="store_true", help="download the full list again, then the changes"
    )
    sync.add_argument("--quiet", action="store_true", help="print only errors and the summary")
    sync.add_argument("--timeout", type=float, default=transport.TIMEOUT, help="seconds")
    return top


def read_key(path: Path, warn: Callable[[str], None]) -> str:
    try:
        info = path.stat()
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise FeedClientError(EXIT_LOCAL, f"cannot read the key file {path}: {error}") from None
    if not key or any(c.isspace() for c in key):
        raise FeedClientError(
            EXIT_LOCAL, f"{path} must hold the API key alone, on one line, as the hotline gave it"
        )
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"warning: {path} is readable by others; `chmod 600 {path}`")
    return key


class Sync:
    """The downloads of one run of `sync`, each verified before it is parsed."""

    def __init__(
        self,
        args: argparse.Namespace,
        key: str,
        public_key: Ed25519PublicKey,
        say: Callable[[str], None],
    ) -> None:
        self.args, self.key, self.public_key, self.say = args, key, public_key, say
        self.base = args.url.rstrip("/")

    def full(self) -> State:
        self.say("downloading the full list")
        answer = transport.get(
            transport.feed_url(self.base, format=self.args.format),
            key=self.key,
            timeout=self.args.timeout,
        )
        manifest = verify(
            answer.body, answer.headers, self.public_key, fmt=self.args.format, since=None
        )
        self.say(f"full list: version {manifest.version}, {len(answer.body)} bytes, verified")
        return state.from_full(self.base, answer.body, manifest)

    def changes(self, held: State) -> State:
        v = held.version
        answer = transport.get(
            transport.feed_url(self.base, format=self.args.format, since=v),
            key=self.key,
            etag=f'"{v}-{v}-{self.args.format}"',  # the ETag of "no change since v"
            timeout=self.args.timeout,
        )
        if answer.status == 304:
            return held
        manifest = verify(
            answer.body, answer.headers, self.public_key, fmt=self.args.format, since=v
        )
        self.say(
            f"changes {v} -> {manifest.version}: {manifest.fields.get('count')} changes, verified"
        )
        return state.apply_changes(held, answer.body, manifest)


def _lock(directory: Path) -> int:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise FeedClientError(EXIT_LOCAL, f"cannot use the state directory: {error}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FeedClientError(
            EXIT_LOCAL, f"another hotline-feed sync is running on {directory}; try again later"
        ) from None
    return fd


def write_outputs(current: State, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    options = outputs.Options(rpz_zone=args.rpz_zone)
    for kind, path in args.write:
        data = outputs.render(kind, current, options)
        if outputs.is_current(path, data):
            continue
        try:
            state.atomic_write(path, [data])
        except OSError as error:
            raise FeedClientError(EXIT_LOCAL, f"cannot write {path}: {error}") from None
        say(f"wrote {kind} to {path}")


def sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    def say(line: str) -> None:
        if not args.quiet:
            print(f"hotline-feed: {line}", file=err)

    def warn(line: str) -> None:
        print(f"hotline-feed: {line}", file=err)

    key = read_key(args.key_file, warn)
    public_key = load_public_key(args.public_key)
    if not args.url.startswith(("https://", "http://")):
        raise FeedClientError(EXIT_LOCAL, f"--url {args.url!r} must start with https://")
    if args.url.startswith("http://"):
        warn("warning: --url is plain http; the list is signed, but the key is sent in clear")
    lock = _lock(args.dir)
    try:
        run = Sync(args, key, public_key, say)
        held = state.load(args.dir)
        if held is not None and held.url != run.base:
            raise FeedClientError(
                EXIT_LOCAL,
                f"{args.dir} holds the list of {held.url}, not {run.base}: use another --dir",
            )
        start = held or State(run.base)
        fresh = run.full() if held is None or args.full else start
        try:
            current = run.changes(fresh)
        except FeedClientError as error:
            if error.exit_code == EXIT_PROTOCOL and held is not None:
                error.message += (
                    " If the hotline's list was reset, run once with --full to start over."
                )
            raise
        difference = current.compare(start)
        if held is None or current.version != held.version or current.entries != held.entries:
            state.save(args.dir, current)
        write_outputs(current, args, say)
        if difference.any or current.version != start.version:
            print(
                f"version {start.version} -> {current.version}: +{difference.added} "
                f"-{difference.removed} ~{difference.recategorised} "
                f"({len(current.entries)} entries)",
                file=out,
            )
        else:
            print(
                f"version {current.version}: up to date ({len(current.entries)} entries)", file=out
            )
        return EXIT_OK
    finally:
        os.close(lock)


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = parser().parse_args(argv)
    try:
        return sync(args, out, err)
    except FeedClientError as error:
        print(f"hotline-feed: error: {error.message}", file=err)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
