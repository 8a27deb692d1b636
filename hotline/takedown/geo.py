"""Offline IP address to country and network (ASN): which country hosts a reported address,
and whose network it is, without asking anyone on the internet at tracing time.

Two sources, the first configured one answering:
- MaxMind databases named by HOTLINE_GEOIP_COUNTRY_MMDB / HOTLINE_GEOIP_ASN_MMDB (GeoLite2
  layout, or ip-location-db's mmdb layout);
- the lookup file `hotline geo install` builds in HOTLINE_GEO_DIR from two openly licensed npm
  packages of sapics/ip-location-db, which need no account:
  `@ip-location-db/geo-whois-asn-country` (country; CC0 as published, made from RIR data the
  NRO publishes under CC BY 4.0) and `@ip-location-db/asn` (network; CC BY 4.0, RouteViews,
  DB-IP and the NRO: attribution required, see LICENCES and docs).

The lookup file is SQLite: one row per address range, addresses as 16-byte big-endian blobs
(IPv4 mapped into ::ffff:0:0/96) so that both families sort in one index, and a lookup is one
index probe (`start <= ? ORDER BY start DESC LIMIT 1`, then the end is checked). Every process
opens it read-only; an install replaces it atomically, and readers see the new file at their
next lookup.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import ipaddress
import logging
import os
import re
import socket
import sqlite3
import tarfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

import httpx
import maxminddb
from django.conf import settings

logger = logging.getLogger(__name__)

DATABASE_NAME = "ip-country-asn.sqlite3"
COUNTRY_PACKAGE = "@ip-location-db/geo-whois-asn-country"
ASN_PACKAGE = "@ip-location-db/asn"
PACKAGES = (COUNTRY_PACKAGE, ASN_PACKAGE)
# What `hotline geo status` prints and docs repeat: the ASN data may be used with attribution.
LICENCES = {
    COUNTRY_PACKAGE: (
        "CC0-1.0 (package licence); made from RIR delegation data published by the NRO "
        "(https://www.nro.net/) under CC BY 4.0"
    ),
    ASN_PACKAGE: (
        "CC BY 4.0: data from RouteViews (https://www.routeviews.org/), DB-IP "
        "(https://db-ip.com/, IP to ASN Lite) and the NRO (https://www.nro.net/)"
    ),
}
# The downloads are about 11 and 19 MB; anything far larger is not what we asked for.
MAX_TARBALL_BYTES = 200 * 1024 * 1024
V4_PREFIX = b"\x00" * 10 + b"\xff\xff"


@dataclass(frozen=True)
class GeoResult:
    """What the offline data says about an address; empty fields where it says nothing."""

    country: str = ""  # ISO 3166-1 alpha-2, upper case
    asn: int | None = None
    as_name: str = ""


def ip_key(ip: str) -> bytes:
    """The 16-byte big-endian form of an address, IPv4 mapped into ::ffff:0:0/96.

    Raises ValueError for anything that is not an IP address.
    """
    text = ip.strip()
    try:
        return V4_PREFIX + socket.inet_pton(socket.AF_INET, text)
    except OSError:
        pass
    try:
        return socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0])
    except OSError:
        raise ValueError(f"{ip!r} is not an IP address") from None


# --- Building the lookup file ----------------------------------------------------------------


@dataclass(frozen=True)
class BuildStats:
    country_ranges: int
    asn_ranges: int
    skipped: int


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def csv_sources(paths: Iterable[Path]) -> Iterator[tuple[str, TextIO]]:
    """(name, text stream) of every address-form CSV in `paths`: CSV files, npm tarballs
    (.tgz, .tar.gz) or directories holding either. The numeric twins (*-num.csv) are skipped:
    they repeat the address-form files."""
    for path in paths:
        if path.is_dir():
            yield from csv_sources(sorted(path.iterdir()))
        elif path.name.endswith((".tgz", ".tar.gz")):
            with tarfile.open(path, mode="r:gz") as archive:
                for member in archive:
                    name = member.name.rsplit("/", 1)[-1]
                    if member.isfile() and _wanted_csv(name):
                        raw = archive.extractfile(member)
                        if raw is not None:
                            yield name, io.TextIOWrapper(raw, encoding="utf-8", newline="")
        elif _wanted_csv(path.name):
            with path.open(encoding="utf-8", newline="") as stream:
                yield path.name, stream


def _wanted_csv(name: str) -> bool:
    return name.endswith(".csv") and not name.endswith("-num.csv")


def build_database(
    target: Path, sources: Iterable[Path], *, origin: str = "", progress: Progress = _quiet
) -> BuildStats:
    """Build the lookup file at `target` from ip-location-db CSVs (see csv_sources).

    A file's rows say what it is: `start,end,country` (3 columns) or `start,end,asn,name`
    (4 columns). The file is written next to `target` and moved into place at the end, so a
    reader never sees half a database and a failed build leaves the old one. `origin` (the
    packages and versions) is kept in the file for `hotline geo status`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    database = sqlite3.connect(partial)
    try:
        database.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE country (start BLOB PRIMARY KEY, "end" BLOB NOT NULL, code TEXT NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE asn (start BLOB PRIMARY KEY, "end" BLOB NOT NULL, asn INTEGER NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE as_name (asn INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )
        counts = {"country": 0, "asn": 0, "skipped": 0}
        for name, stream in csv_sources(sources):
            progress(f"reading {name}")
            _load_csv(database, name, stream, counts)
        built = datetime.now(UTC).replace(microsecond=0).isoformat()
        database.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("built", built), ("origin", origin)]
        )
        database.commit()
    finally:
        database.close()
    os.replace(partial, target)
    progress(
        f"built {target}: {counts['country']} country ranges, {counts['asn']} network ranges"
        + (f", {counts['skipped']} unreadable rows skipped" if counts["skipped"] else "")
    )
    return BuildStats(counts["country"], counts["asn"], counts["skipped"])


def _load_csv(
    database: sqlite3.Connection, name: str, stream: TextIO, counts: dict[str, int]
) -> None:
    countries: list[tuple[bytes, bytes, str]] = []
    networks: list[tuple[bytes, bytes, int]] = []
    names: dict[int, str] = {}
    for row in csv.reader(stream):
        try:
            start, end = ip_key(row[0]), ip_key(row[1])
            if len(row) == 3:
                code = row[2].strip().upper()
                if len(code) != 2 or not code.isalpha():
                    raise ValueError(code)
                countries.append((start, end, code))
            elif len(row) == 4:
                number = int(row[2])
                networks.append((start, end, number))
                if row[3].strip():
                    names[number] = row[3].strip()
            else:
                raise ValueError(row)
        except (ValueError, IndexError):
            counts["skipped"] += 1
    # A range listed twice keeps its last row, as a later line corrects an earlier one.
    database.executemany("INSERT OR REPLACE INTO country VALUES (?, ?, ?)", countries)
    database.executemany("INSERT OR REPLACE INTO asn VALUES (?, ?, ?)", networks)
    database.executemany("INSERT OR REPLACE INTO as_name VALUES (?, ?)", names.items())
    counts["country"] += len(countries)
    counts["asn"] += len(networks)


# --- Installing from the npm registry ------------------------------------------------------


class InstallError(Exception):
    """A download that cannot be trusted or did not complete; the message says which."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    tarball: str
    integrity: str  # "sha512-<base64>", as npm publishes it


def database_path() -> Path:
    """Where `hotline geo install` puts the lookup file, and where lookups read it."""
    return Path(settings.HOTLINE_GEO_DIR) / DATABASE_NAME


def latest_package(client: httpx.Client, registry: str, name: str) -> Package:
    """The latest version of an npm package, from the registry's metadata."""
    url = registry.rstrip("/") + "/" + quote(name, safe="@")
    response = client.get(url + "/latest", headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise InstallError(f"{url}/latest answered HTTP {response.status_code}")
    try:
        meta = response.json()
        package = Package(
            name=name,
            version=str(meta["version"]),
            tarball=str(meta["dist"]["tarball"]),
            integrity=str(meta["dist"]["integrity"]),
        )
    except (ValueError, KeyError, TypeError):
        raise InstallError(f"{url}/latest is not npm package metadata") from None
    # The version names a file on disk: a plain version number, nothing else.
    if not re.fullmatch(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?", package.version):
        raise InstallError(f"{url}/latest gives the version {package.version[:40]!r}")
    # The metadata must not send us to another server than the registry we chose to trust.
    wanted, got = urlsplit(registry), urlsplit(package.tarball)
    if (got.scheme, got.netloc) != (wanted.scheme, wanted.netloc):
        raise InstallError(f"{name}: the tarball {package.tarball} is not on {registry}")
    if not package.integrity.startswith("sha512-"):
        raise InstallError(f"{name}: the registry gives no sha512 integrity to check against")
    return package


def download_package(
    client: httpx.Client, package: Package, directory: Path, progress: Progress = _quiet
) -> Path:
    """Download a package's tarball into `directory`, checked against its sha512 integrity.

    An existing file that passes the check is not downloaded again.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{package.name.strip('@').replace('/', '-')}-{package.version}.tgz"
    expected = base64.b64decode(package.integrity.removeprefix("sha512-"))
    if target.exists() and hashlib.sha512(target.read_bytes()).digest() == expected:
        progress(f"{package.name} {package.version}: already downloaded")
        return target
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha512()
    received = 0
    with client.stream("GET", package.tarball) as response, partial.open("wb") as out:
        if response.status_code != 200:
            raise InstallError(f"{package.tarball} answered HTTP {response.status_code}")
        total = int(response.headers.get("Content-Length", 0) or 0)
        shown = 0
        for chunk in response.iter_bytes(1 << 16):
            received += len(chunk)
            if received > MAX_TARBALL_BYTES:
                raise InstallError(f"{package.tarball} is larger than {MAX_TARBALL_BYTES} bytes")
            digest.update(chunk)
            out.write(chunk)
            if received - shown >= 4 << 20:
                shown = received
                of = f" of {total >> 20}" if total else ""
                progress(f"{package.name}: {received >> 20}{of} MB")
    if digest.digest() != expected:
        partial.unlink(missing_ok=True)
        raise InstallError(
            f"{package.tarball} does not match the registry's integrity {package.integrity}: "
            "not installed. Try again; if it persists, the download is being tampered with."
        )
    os.replace(partial, target)
    progress(f"{package.name} {package.version}: {received >> 20} MB, integrity checked")
    return target


def install(
    *, registry: str = "", force: bool = False, progress: Progress = _quiet, timeout: float = 60
) -> bool:
    """Download the latest packages from the npm registry and build the lookup file.

    Returns False when the installed file was built from these same versions already (nothing
    to do unless `force`). Raises InstallError or httpx.HTTPError when a download fails.
    """
    registry = registry or settings.HOTLINE_GEO_REGISTRY
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        packages = [latest_package(client, registry, name) for name in PACKAGES]
        origin = ", ".join(f"{p.name}@{p.version}" for p in packages)
        if not force and installed_info().get("origin") == origin:
            progress(f"already up to date: {origin}")
            return False
        downloads = Path(settings.HOTLINE_GEO_DIR) / "downloads"
        tarballs = [download_package(client, p, downloads, progress) for p in packages]
    build_database(database_path(), tarballs, origin=origin, progress=progress)
    for old in downloads.glob("*.tgz"):
        if old not in tarballs:  # earlier versions are of no further use
            old.unlink()
    return True


def installed_info() -> dict[str, str]:
    """The installed lookup file's `built` date, `origin` (packages and versions) and `path`;
    empty when there is none."""
    path = database_path()
    if not path.exists():
        return {}
    try:
        with _open_read_only(path) as database:
            rows = dict(database.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return {}
    return {**rows, "path": str(path)}


def _open_read_only(path: Path) -> sqlite3.Connection:
    # immutable: the file is never changed in place (an install replaces it), so SQLite need
    # take no locks; a replaced file keeps serving open connections until they reopen.
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
    )


# --- Looking up ----------------------------------------------------------------------------


class RangeDatabase:
    """The built lookup file, shared by the threads of one process, reopened when replaced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._signature: tuple[int, int] | None = None

    def _current(self) -> sqlite3.Connection | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        signature = (stat.st_ino, stat.st_mtime_ns)
        if self._connection is None or signature != self._signature:
            if self._connection is not None:
                self._connection.close()
            self._connection = _open_read_only(self.path)
            self._signature = signature
        return self._connection

    def exists(self) -> bool:
        return self.path.exists()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def country(self, key: bytes) -> str:
        with self._lock:
            database = self._current()
            if database is None:
                return ""
            row = database.execute(
                'SELECT "end", code FROM country WHERE start <= ? ORDER BY start DESC LIMIT 1',
                (key,),
            ).fetchone()
        return str(row[1]) if row and row[0] >= key else ""

    def network(self, key: bytes) -> tuple[int | None, str]:
        with self._lock:
            database = self._current()
            if database is None:
                return None, ""
            row = database.execute(
                'SELECT asn."end", asn.asn, as_name.name FROM asn'
                " LEFT JOIN as_name ON as_name.asn = asn.asn"
                " WHERE start <= ? ORDER BY start DESC LIMIT 1",
                (key,),
            ).fetchone()
        if not row or row[0] < key:
            return None, ""
        return int(row[1]), str(row[2] or "")


def _mmdb_country(record: Any) -> str:
    if not isinstance(record, dict):
        return ""
    for field in ("country", "registered_country"):  # GeoLite2-Country and -City
        value = record.get(field)
        if isinstance(value, dict) and isinstance(value.get("iso_code"), str):
            return value["iso_code"].upper()
    code = record.get("country_code")  # ip-location-db's mmdb layout
    return code.upper() if isinstance(code, str) else ""


def _mmdb_network(record: Any) -> tuple[int | None, str]:
    if not isinstance(record, dict):
        return None, ""
    number = record.get("autonomous_system_number")
    name = record.get("autonomous_system_organization")
    return (
        number if isinstance(number, int) else None,
        name if isinstance(name, str) else "",
    )


_readers: dict[str, Any] = {}
_warned: set[str] = set()
_readers_lock = threading.Lock()


def _mmdb(path: str) -> Any:
    with _readers_lock:
        if path not in _readers:
            try:
                _readers[path] = maxminddb.open_database(path)
            except (OSError, ValueError) as error:
                _warn_once(path, f"the MaxMind database {path} cannot be read ({error})")
                _readers[path] = None
        return _readers[path]


def _range_database() -> RangeDatabase:
    path = database_path()
    with _readers_lock:
        reader = _readers.get(str(path))
        if reader is None:
            reader = _readers[str(path)] = RangeDatabase(path)
        return reader


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning("%s: traces will have no country or network until it is fixed", message)


def reset() -> None:
    """Forget the open databases and warnings (after settings change, and in tests)."""
    with _readers_lock:
        for reader in _readers.values():
            if hasattr(reader, "close"):
                reader.close()
        _readers.clear()
        _warned.clear()


def lookup(ip: str) -> GeoResult:
    """Country and network of `ip` from the configured offline data.

    Never raises: an address the data does not know, a malformed address or a missing
    database give empty fields (a missing database is logged once per process).
    """
    try:
        key = ip_key(ip)
        address = str(ipaddress.ip_address(ip.strip().split("%", 1)[0]))
    except ValueError:
        return GeoResult()
    country_mmdb = settings.HOTLINE_GEOIP_COUNTRY_MMDB
    asn_mmdb = settings.HOTLINE_GEOIP_ASN_MMDB
    built: RangeDatabase | None = None
    if not (country_mmdb and asn_mmdb):
        built = _range_database()
        if not built.exists():
            _warn_once(
                str(built.path),
                f"no IP database at {built.path} (run `hotline geo install`, or set "
                "HOTLINE_GEOIP_COUNTRY_MMDB and HOTLINE_GEOIP_ASN_MMDB)",
            )
    try:
        if country_mmdb:
            reader = _mmdb(country_mmdb)
            country = _mmdb_country(reader.get(address)) if reader else ""
        else:
            country = built.country(key) if built else ""
        if asn_mmdb:
            reader = _mmdb(asn_mmdb)
            asn, as_name = _mmdb_network(reader.get(address)) if reader else (None, "")
        else:
            asn, as_name = built.network(key) if built else (None, "")
    except (sqlite3.Error, ValueError, OSError) as error:
        # A corrupt or truncated file must not stop a trace: its other parts still count.
        logger.warning("IP database lookup failed for an address: %s", error)
        return GeoResult()
    return GeoResult(country=country, asn=asn, as_name=as_name)
