"""The shape of a published list's format registry, and the helpers its renderers share.

Each list keeps its own registry (`hotline/urllist/formats.py`, `hotline/hashlist/formats.py`):
a dict of `FeedFormat`, each naming its content type, the member scopes (licences) any one of
which lets a member download it, the text the OpenAPI document shows, and its renderers:

- `render_full(meta, entries)`: the whole list at `meta.version`, for the list's publication
  (which stores the bytes; feeds never render the full list per request);
- `render_diff(meta, changes)`: the changes after `meta.since` up to `meta.version`, for
  `?since=`; None if the format has no incremental form.

Renderers are generators of bytes and never hold the whole feed. The publisher renders every
format in one pass over one read of the list, pulling one piece from each renderer in turn, so
a full renderer must yield at least once per entry it reads (b"" for an entry it leaves out),
or the read ahead of it piles up in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any


@dataclass(frozen=True)
class FullMeta:
    version: int
    published_at: datetime
    count: int


@dataclass(frozen=True)
class DiffMeta:
    since: int
    version: int
    published_at: datetime | None


@dataclass(frozen=True)
class FeedFormat[E, C]:
    """One format of a list, generic in the list's entry `E` and change `C` (NamedTuples of the
    list's own, as its renderers receive them)."""

    name: str
    content_type: str
    scopes: tuple[str, ...]
    description: str
    render_full: Callable[[FullMeta, Iterable[E]], Iterator[bytes]]
    render_diff: Callable[[DiffMeta, Iterable[C]], Iterator[bytes]] | None
    aliases: tuple[str, ...] = ()
    # Which entries the format holds (the manifest's count); None: every entry.
    selects: Callable[[E], bool] | None = None


# Any format of any list, where the machinery does not care which.
AnyFormat = FeedFormat[Any, Any]


class Registry:
    """A list's formats by name, with their aliases (`text` for `txt`)."""

    def __init__(self, formats: Iterable[AnyFormat]) -> None:
        self.formats: dict[str, AnyFormat] = {f.name: f for f in formats}
        self.aliases: dict[str, str] = {
            alias: f.name for f in self.formats.values() for alias in f.aliases
        }

    def find(self, name: str) -> AnyFormat | None:
        """The format called `name` (or one of its aliases), or None."""
        return self.formats.get(self.aliases.get(name, name))

    def accepted_names(self) -> list[str]:
        return [*self.formats, *self.aliases]

    def scopes(self) -> tuple[str, ...]:
        """Every licence any format accepts, each once, in registry order."""
        return tuple(dict.fromkeys(s for f in self.formats.values() for s in f.scopes))


def iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def json_str(text: str) -> str:
    """`text` as a JSON string literal (quotes included)."""
    return encode_basestring(text)


def csv_field(field: str) -> str:
    """One CSV field, quoted as RFC 4180 asks when it holds a comma, quote or line end."""
    if "," in field or '"' in field or "\n" in field or "\r" in field:
        return '"' + field.replace('"', '""') + '"'
    return field
