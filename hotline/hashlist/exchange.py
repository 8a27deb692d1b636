"""Exchanging the hash list with Meta's Hasher-Matcher-Actioner (HMA) and ThreatExchange tools.

The CSV is the one python-threatexchange writes and HMA deployments pass around
(`threatexchange dataset --csv`, threatexchange/cli/dataset_cmd.py): a header row, then one
signal a row,

    signal_type,signal_str,collab,category,tags
    pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,Hotline,POSITIVE_CLASS,category:A

(one line; `\r\n` line ends, as Python's csv module writes them)

- `signal_type`: the signal type's name as ThreatExchange spells it (`pdq`; Hotline's own
  `md5`, `sha1`, `sha256` are of an image file's bytes: ThreatExchange's `video_md5` and
  `video_sha256` are of videos and are refused);
- `signal_str`: the hash, hex;
- `collab`: the collaboration (the exchange it came from), kept as the import's source;
- `category`: the opinion, a name of ThreatExchange's SignalOpinionCategory: only
  `POSITIVE_CLASS` (content that fits the collaboration's categories) goes on the list;
  `NEGATIVE_CLASS` (false positives, test data) and `INVESTIGATION_SEED` are refused;
- `tags`: space-separated; Hotline writes the entry's category as `category:<code>` and reads
  it back, so an export imports as it was.

Hotline adds one optional column, `pdq_exact` (`true`/`false`), as `hotline hash` reports it: a
PDQ hash taken on the fast path (`false`, or the tag `pdq_exact:false`) is near the exact hash
but not equal to it, and the list holds exact hashes only, so such a row is refused.

An import is checked whole before anything is written: every line with a problem is named, and
one wrong line means nothing is imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from typing import Protocol

from hotline.hashlist.actions import Added, NewHash, add_hashes, check_category
from hotline.hashlist.models import EntryState, HashListEntry, HashSource
from hotline.hashlist.signals import SIGNAL_TYPES

COLUMNS = ("signal_type", "signal_str", "collab", "category", "tags")
OPTIONAL = ("pdq_exact",)
POSITIVE = "POSITIVE_CLASS"
OPINIONS = ("NEGATIVE_CLASS", "INVESTIGATION_SEED", POSITIVE)
CATEGORY_TAG = "category:"
INEXACT_TAG = "pdq_exact:false"
# ThreatExchange's names for hashes of other content than images.
OTHER_CONTENT = {"video_md5", "video_sha256", "url", "url_md5", "raw_text", "trend_query"}


class Writable(Protocol):
    def write(self, text: str, /) -> int: ...


@dataclass(frozen=True)
class LineError:
    line: int  # 1 is the header
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRefused(ValueError):
    """The file has mistakes: nothing was imported. `errors` names each, by line."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass
class Parsed:
    entries: list[NewHash] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each entry
    collabs: list[str] = field(default_factory=list)


def _false(text: str) -> bool:
    return text.strip().lower() in {"false", "0", "no"}


def parse_hma_csv(text: str, *, category: str | None) -> Parsed:
    """The entries of an HMA / ThreatExchange CSV, or ImportRefused naming every wrong line.

    `category` is the category code for rows without a `category:<code>` tag (a tag wins); a
    row with neither is wrong."""
    errors: list[LineError] = []
    if category is not None:
        try:
            check_category(category)
        except ValueError as error:
            raise ImportRefused([LineError(0, f"--category: {error}")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or "signal_type" not in header or "signal_str" not in header:
        raise ImportRefused(
            [
                LineError(
                    1,
                    "the first line must be the header, with at least signal_type and "
                    f"signal_str (an HMA export has {','.join(COLUMNS)})",
                )
            ]
        )
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in COLUMNS + OPTIONAL]
    if unknown:
        raise ImportRefused(
            [
                LineError(
                    1,
                    f"unknown column(s) {', '.join(unknown)}; the columns are "
                    f"{', '.join(COLUMNS + OPTIONAL)}",
                )
            ]
        )
    parsed = Parsed()
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            errors.append(LineError(line, f"{len(row)} fields where the header has {len(names)}"))
            continue
        cells = dict(zip(names, (cell.strip() for cell in row), strict=True))
        problem = _row_problem(cells, category)
        if isinstance(problem, str):
            errors.append(LineError(line, problem))
            continue
        key = (problem.signal_type, problem.value)
        if key in seen:
            first, first_category = seen[key]
            if first_category != problem.category:
                errors.append(
                    LineError(
                        line,
                        f"the same hash as line {first} with category {problem.category} "
                        f"instead of {first_category}",
                    )
                )
            continue
        seen[key] = (line, problem.category)
        parsed.entries.append(problem)
        parsed.lines.append(line)
        collab = cells.get("collab", "")
        if collab and collab not in parsed.collabs:
            parsed.collabs.append(collab)
    if errors:
        raise ImportRefused(errors)
    return parsed


def _row_problem(cells: dict[str, str], category: str | None) -> NewHash | str:
    """The row as a hash to add, or what is wrong with it."""
    kind = cells["signal_type"].lower()
    signal = SIGNAL_TYPES.get(kind)
    if signal is None:
        if kind in OTHER_CONTENT:
            return (
                f"{kind!r} hashes are not of images; the hash list holds {', '.join(SIGNAL_TYPES)}"
            )
        return f"unknown signal_type {kind[:20]!r}; the hash list holds {', '.join(SIGNAL_TYPES)}"
    try:
        value = signal.parse(cells["signal_str"])
    except ValueError as error:
        return str(error)
    opinion = cells.get("category", "")
    if opinion and opinion != POSITIVE:
        if opinion in OPINIONS:
            return (
                f"the opinion is {opinion}, not {POSITIVE}: only signals of content that fits "
                "the collaboration go on the list"
            )
        return f"category {opinion[:30]!r} is not one of {', '.join(OPINIONS)}"
    tags = cells.get("tags", "").split()
    if kind == "pdq" and (_false(cells.get("pdq_exact", "")) or INEXACT_TAG in tags):
        return (
            "the PDQ hash is not exact (pdq_exact false: taken of a reduced picture); hash "
            "the image with `hotline hash --exact` and import that"
        )
    codes = [tag[len(CATEGORY_TAG) :] for tag in tags if tag.startswith(CATEGORY_TAG)]
    if len(set(codes)) > 1:
        return f"two category tags ({', '.join(sorted(set(codes)))}); give one"
    code = codes[0] if codes else category
    if code is None:
        return "no category: give the row a category:<code> tag, or the import --category"
    try:
        check_category(code)
    except ValueError as error:
        return str(error)
    return NewHash(signal_type=kind, value=value, category=code)


def import_hma_csv(
    data: bytes, *, name: str, category: str | None, actor: str
) -> tuple[Added, Parsed]:
    """Check the whole file, then add every hash in one version (add_hashes, source import),
    the file's name, SHA-256 and collaborations recorded as the entries' source. ImportRefused
    (nothing written) if any line is wrong or the file is not UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            [LineError(data.count(b"\n", 0, error.start) + 1, "not UTF-8 text")]
        ) from None
    parsed = parse_hma_csv(text, category=category)
    if not parsed.entries:
        raise ImportRefused([LineError(2, "the file holds no hashes")])
    digest = hashlib.sha256(data).hexdigest()
    note = f"{name[-120:]} sha256:{digest}"
    if parsed.collabs:
        note += f" collab:{', '.join(parsed.collabs)}"[:100]
    added = add_hashes(entries=parsed.entries, source=HashSource.IMPORT, actor=actor, note=note)
    return added, parsed


def export_hma_csv(out: Writable, *, collab: str) -> int:
    """Write every active entry as an HMA / ThreatExchange CSV row (POSITIVE_CLASS, its category
    as a `category:<code>` tag), after the header; returns how many rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    rows = (
        HashListEntry.objects.filter(state=EntryState.ACTIVE)
        .order_by("pk")
        .values_list("signal_type", "value", "category")
        .iterator(chunk_size=5000)
    )
    for signal_type, value, category in rows:
        writer.writerow([signal_type, value, collab, POSITIVE, f"{CATEGORY_TAG}{category}"])
        count += 1
    return count
