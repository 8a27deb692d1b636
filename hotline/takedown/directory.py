"""Who takes a notice besides the host: the CDN an address belongs to, and the partner hotline
of the hosting country. Both are editable data files (data/cdns.toml, data/hotlines.toml;
HOTLINE_HOTLINES_FILE replaces the second), checked entry by entry when loaded so that a typo
is reported with its file and line instead of misrouting a notice.
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

DATA = Path(__file__).resolve().parent / "data"
CDNS_FILE = DATA / "cdns.toml"
HOTLINES_FILE = DATA / "hotlines.toml"
EMAIL = re.compile(r"[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
COUNTRY = re.compile(r"[A-Z]{2}")
LANGUAGE = re.compile(r"[a-z]{2,3}")


class DirectoryError(ValueError):
    """A data file entry that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Cdn:
    name: str
    asns: tuple[int, ...]
    abuse: str  # a web form (https URL) or an e-mail address; "" when not known
    also_hosting: bool  # the same networks host servers directly (a cloud)

    @property
    def abuse_is_email(self) -> bool:
        return "@" in self.abuse and not self.abuse.startswith("https://")


@dataclass(frozen=True)
class Hotline:
    country: str  # ISO 3166-1 alpha-2
    name: str
    website: str
    email: str  # "" when notices to it are routed by hand
    language: str  # of notices to it


def _entries(path: Path, table: str) -> list[tuple[int, dict[str, Any]]]:
    """The `[[table]]` entries of a TOML file, each with the line its header is on."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DirectoryError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DirectoryError(f"{path}: not valid TOML: {error}") from None
    unknown = set(document) - {table}
    if unknown:
        raise DirectoryError(f"{path}: unknown table {sorted(unknown)[0]!r}; use [[{table}]]")
    entries = document.get(table, [])
    header = re.compile(rf"^[ \t]*\[\[[ \t]*{re.escape(table)}[ \t]*\]\]", re.MULTILINE)
    lines = [text.count("\n", 0, m.start()) + 1 for m in header.finditer(text)]
    if not isinstance(entries, list) or len(lines) != len(entries):
        raise DirectoryError(f"{path}: entries must be written as [[{table}]] tables")
    return list(zip(lines, entries, strict=True))


def _field(where: str, entry: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    if name not in entry:
        if default is None:
            raise DirectoryError(f"{where}: {name} is missing")
        return default
    value = entry[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DirectoryError(f"{where}: {name} must be a {kind.__name__}, not {value!r}")
    return value


def _check_keys(where: str, entry: dict[str, Any], allowed: set[str]) -> None:
    extra = set(entry) - allowed
    if extra:
        raise DirectoryError(
            f"{where}: unknown key {sorted(extra)[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )


def load_cdns(path: Path) -> dict[int, Cdn]:
    """The CDNs of a cdns.toml file by ASN; DirectoryError naming file and line if one is bad."""
    by_asn: dict[int, Cdn] = {}
    for line, entry in _entries(path, "cdn"):
        where = f"{path}:{line}"
        _check_keys(where, entry, {"name", "asns", "abuse", "also_hosting"})
        name = _field(where, entry, "name", str).strip()
        asns = _field(where, entry, "asns", list)
        abuse = _field(where, entry, "abuse", str, "").strip()
        also_hosting = _field(where, entry, "also_hosting", bool, False)
        if not name:
            raise DirectoryError(f"{where}: name is empty")
        if not asns or not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 < n < 2**32 for n in asns
        ):
            raise DirectoryError(f"{where}: asns must be a list of AS numbers, e.g. [13335]")
        if abuse and not (abuse.startswith("https://") or EMAIL.fullmatch(abuse)):
            raise DirectoryError(
                f"{where}: abuse {abuse!r} is neither an https:// form nor an e-mail address"
            )
        cdn = Cdn(name=name, asns=tuple(asns), abuse=abuse, also_hosting=also_hosting)
        for asn in asns:
            if asn in by_asn:
                raise DirectoryError(f"{where}: AS{asn} is already {by_asn[asn].name}'s")
            by_asn[asn] = cdn
    return by_asn


def load_hotlines(path: Path) -> dict[str, list[Hotline]]:
    """The hotlines of a hotlines.toml file by country, in file order; DirectoryError naming
    file and line if one is bad."""
    by_country: dict[str, list[Hotline]] = {}
    for line, entry in _entries(path, "hotline"):
        where = f"{path}:{line}"
        _check_keys(where, entry, {"country", "name", "website", "email", "language"})
        country = _field(where, entry, "country", str).strip()
        name = _field(where, entry, "name", str).strip()
        website = _field(where, entry, "website", str, "").strip()
        email = _field(where, entry, "email", str, "").strip()
        language = _field(where, entry, "language", str, "en").strip()
        if not COUNTRY.fullmatch(country):
            raise DirectoryError(
                f"{where}: country {country!r} is not an ISO 3166-1 alpha-2 code such as FR"
            )
        if not name:
            raise DirectoryError(f"{where}: name is empty")
        if website and not website.startswith(("https://", "http://")):
            raise DirectoryError(f"{where}: website {website!r} is not a web address")
        if email and not EMAIL.fullmatch(email):
            raise DirectoryError(f"{where}: email {email!r} is not an e-mail address")
        if not LANGUAGE.fullmatch(language):
            raise DirectoryError(
                f"{where}: language {language!r} is not a language code such as ar, fr or en"
            )
        by_country.setdefault(country, []).append(
            Hotline(country=country, name=name, website=website, email=email, language=language)
        )
    return by_country


_loaded: dict[tuple[str, int], Any] = {}
_lock = threading.Lock()


def _cached_load(path: Path, loader: Any) -> Any:
    # Reloaded when the file changes, so an edit takes effect without a restart.
    key = (str(path), path.stat().st_mtime_ns if path.exists() else 0)
    with _lock:
        if key not in _loaded:
            for old in [k for k in _loaded if k[0] == key[0]]:
                del _loaded[old]
            _loaded[key] = loader(path)
        return _loaded[key]


def hotlines_file() -> Path:
    return Path(settings.HOTLINE_HOTLINES_FILE or HOTLINES_FILE)


def cdn_for_asn(asn: int | None) -> Cdn | None:
    """The CDN or cloud that announces `asn`, or None."""
    if asn is None:
        return None
    cdns: dict[int, Cdn] = _cached_load(CDNS_FILE, load_cdns)
    return cdns.get(asn)


def hotline_for_country(code: str) -> Hotline | None:
    """The partner hotline that takes notices for content hosted in country `code` (alpha-2,
    any case), or None when the country has none listed."""
    hotlines: dict[str, list[Hotline]] = _cached_load(hotlines_file(), load_hotlines)
    listed = hotlines.get(code.strip().upper())
    return listed[0] if listed else None
