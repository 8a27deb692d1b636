"""The local copy: the version held and its entries, kept in STATE_DIR/state.json.

Written atomically (a temporary file in the same directory, fsync, rename), so a crash or a
full disk leaves either the old copy or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from hotline.feedclient.errors import EXIT_LOCAL, FeedClientError, Refused
from hotline.feedclient.verify import Manifest

STATE_FILE = "state.json"
STATE_FORMAT = 1
KINDS = ("url", "domain")


class Key(NamedTuple):
    kind: str  # "url" | "domain": one URL, or a domain and every name under it
    url: str  # canonical; a domain entry's is http://<domain>/


class Entry(NamedTuple):
    category: str
    domain: str  # domain entries only


@dataclass
class Changes:
    added: int = 0
    removed: int = 0
    recategorised: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.recategorised)


@dataclass
class State:
    url: str
    version: int = 0
    entries: dict[Key, Entry] = field(default_factory=dict)

    def copy(self) -> State:
        return State(self.url, self.version, dict(self.entries))

    def compare(self, older: State) -> Changes:
        """What changed from `older` to this state."""
        mine, theirs = self.entries, older.entries
        return Changes(
            added=sum(1 for k in mine if k not in theirs),
            removed=sum(1 for k in theirs if k not in mine),
            recategorised=sum(
                1 for k, e in mine.items() if k in theirs and theirs[k].category != e.category
            ),
        )


def _text(item: dict[str, Any], name: str) -> str:
    value = item.get(name, "")
    if not isinstance(value, str) or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        raise Refused(f"an entry's {name} is not a string without spaces: {str(value)[:80]!r}")
    return value


def _entry(item: Any) -> tuple[Key, Entry]:
    if not isinstance(item, dict):
        raise Refused("an entry is not a JSON object")
    kind, url = _text(item, "kind"), _text(item, "url")
    if kind not in KINDS or not url.startswith(("http://", "https://")):
        raise Refused(f"an entry is not a URL or domain entry: {kind!r} {url[:80]!r}")
    domain = _text(item, "domain") if kind == "domain" else ""
    if kind == "domain" and not domain:
        raise Refused(f"the domain entry {url[:80]!r} has no domain")
    return Key(kind, url), Entry(_text(item, "category"), domain)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise Refused("the body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused("the body is not a JSON object")
    return data


def from_full(url: str, body: bytes, manifest: Manifest) -> State:
    """The state a verified full list (json) describes."""
    data = _parse(body)
    items = data.get("entries")
    if data.get("version") != manifest.version or not isinstance(items, list):
        raise Refused("the list's version is not the signed manifest's")
    if len(items) != manifest.fields.get("count") or data.get("count") != len(items):
        raise Refused("the list does not hold as many entries as its signed manifest says")
    state = State(url, manifest.version)
    for item in items:
        key, entry = _entry(item)
        state.entries[key] = entry
    return state


def apply_changes(state: State, body: bytes, manifest: Manifest) -> State:
    """A new state: `state` with a verified list of changes (json) applied in order."""
    data = _parse(body)
    changes = data.get("changes")
    if data.get("from") != state.version or data.get("to") != manifest.version:
        raise Refused("the changes' from/to are not the signed manifest's")
    if not isinstance(changes, list) or len(changes) != manifest.fields.get("count"):
        raise Refused("the changes are not as many as their signed manifest says")
    new = state.copy()
    for change in changes:
        key, entry = _entry(change)
        op = change.get("op")
        if op == "add":  # new, re-activated, or a new category: hold it as it is now
            new.entries[key] = entry
        elif op == "remove":
            new.entries.pop(key, None)
        else:
            raise Refused(f"unknown change {str(op)[:20]!r}")
    new.version = manifest.version
    return new


def load(directory: Path) -> State | None:
    path = directory / STATE_FILE
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise FeedClientError(
            EXIT_LOCAL,
            f"cannot read {path} ({error}). Move it away and run with --full to start over.",
        ) from None
    if data.get("format") != STATE_FORMAT:
        raise FeedClientError(EXIT_LOCAL, f"{path} was written by another version of the client")
    return State(
        data["url"],
        int(data["version"]),
        {Key(k, u): Entry(c, d) for k, u, c, d in data["entries"]},
    )


def _mode_for(path: Path, private: bool) -> tuple[int, int | None]:
    """The mode (and group) the new file takes: the state is the owner's alone; an output keeps
    the mode and group of the file it replaces (the proxy's or resolver's user reads it), or
    for a new one the usual mode under the umask."""
    if private:
        return 0o600, None
    try:
        existing = path.stat()
        return existing.st_mode & 0o7777, existing.st_gid
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask, None


def atomic_write(path: Path, pieces: Iterable[bytes], *, private: bool = False) -> None:
    """Write `path` whole or not at all: a temporary file beside it, fsync, rename."""
    mode, group = _mode_for(path, private)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in pieces:
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        if group is not None:
            with contextlib.suppress(PermissionError):  # not the file's group: keep ours
                os.chown(temporary, -1, group)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def save(directory: Path, state: State) -> None:
    rows = sorted([k.kind, k.url, e.category, e.domain] for k, e in state.entries.items())
    head = json.dumps({"format": STATE_FORMAT, "url": state.url, "version": state.version})

    def pieces() -> Iterable[bytes]:
        yield head[:-1].encode() + b',"entries":['
        for n, row in enumerate(rows):
            yield (("," if n else "") + json.dumps(row, ensure_ascii=False)).encode()
        yield b"]}\n"

    try:
        atomic_write(directory / STATE_FILE, pieces(), private=True)
    except OSError as error:
        raise FeedClientError(
            EXIT_LOCAL, f"cannot write the state in {directory}: {error}"
        ) from None
