"""Reading a portal's launch file (TOML): everything a country's portal shows, in one file.

Every mistake is reported with the file, the line and the key, and what to write instead; a
file with any mistake changes nothing (`launch_portal` is only called on a whole, valid spec).
See docs/launch-a-portal.md for the format.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from hotline.portals import checks
from hotline.portals.checks import CheckError
from hotline.portals.logos import MAX_LOGO_BYTES, CheckedLogo, LogoError, check_logo
from hotline.portals.models import HelpKind, PartnerKind, PartnerRole, PortalStatus
from hotline.portals.options import PORTAL_OPTIONS, OptionError

# First path segments the site itself uses; a portal code may not take them.
RESERVED_CODES = frozenset(
    {"admin", "api", "assets", "healthz", "readyz", "static", "staff", "media", "favicon.ico"}
)


class PortalSpecError(ValueError):
    """The launch file is wrong; the message says where and what to write instead."""


@dataclass(frozen=True)
class PartnerSpec:
    name: str
    kind: str
    role: str
    names: dict[str, str] = field(default_factory=dict)
    website: str = ""
    logo: CheckedLogo | None = None


@dataclass(frozen=True)
class HelpSpec:
    kind: str
    name: str
    names: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    website: str = ""
    languages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PortalSpec:
    code: str
    country: str
    names: dict[str, str]
    languages: list[str]
    default_language: str
    status: str
    partners: list[PartnerSpec] = field(default_factory=list)
    taglines: dict[str, str] = field(default_factory=dict)
    launched: datetime.date | None = None
    hosts: list[str] = field(default_factory=list)
    logo: CheckedLogo | None = None
    owner: dict[str, str] = field(default_factory=dict)
    authority: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    help: list[HelpSpec] = field(default_factory=list)


def key_lines(text: str) -> dict[str, int]:
    """Line numbers of tables and keys: {"portal": 2, "portal.code": 3, "partners[2].role": 19}.

    tomllib gives values, not positions; this small scan of the same text lets every error
    name its line.
    """
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if match := re.match(r"^\[\[\s*([\w.-]+)\s*\]\]", line):
            name = match.group(1)
            counts[name] = counts.get(name, 0) + 1
            current = f"{name}[{counts[name]}]"
            lines.setdefault(current, number)
        elif match := re.match(r"^\[\s*([\w.-]+)\s*\]", line):
            current = match.group(1)
            lines.setdefault(current, number)
        elif match := re.match(r'^("[^"]*"|[\w-]+)\s*=', line):
            key = match.group(1).strip('"')
            lines.setdefault(f"{current}.{key}" if current else key, number)
    return lines


class _Reader:
    """Reads one launch file's tables, naming file, line and key in every error."""

    def __init__(self, text: str, source: str, base_dir: Path | None) -> None:
        self.source = source
        self.lines = key_lines(text)
        self.base_dir = base_dir
        self.languages: list[str] = []

    def error(self, path: str, message: str) -> PortalSpecError:
        line = self.lines.get(path) or self.lines.get(path.rsplit(".", 1)[0])
        where = f"{self.source}, line {line}" if line else self.source
        return PortalSpecError(f"{where}: {_display(path)}: {message}")

    def table(self, doc: dict[str, Any], path: str, key: str, *, required: bool) -> dict[str, Any]:
        if key not in doc:
            if required:
                raise self.error(path or key, f"the [{_join(path, key)}] table is missing")
            return {}
        value = doc[key]
        if not isinstance(value, dict):
            raise self.error(_join(path, key), "must be a table")
        return value

    def only_keys(self, table: dict[str, Any], path: str, known: set[str]) -> None:
        for key in table:
            if key not in known:
                raise self.error(
                    _join(path, key), f"unknown key; expected one of {', '.join(sorted(known))}"
                )

    def text(self, table: dict[str, Any], path: str, key: str, *, required: bool = True) -> str:
        if key not in table:
            if required:
                raise self.error(_join(path, key), "is missing")
            return ""
        value = table[key]
        if not isinstance(value, str):
            raise self.error(_join(path, key), f"must be text in quotes, not {value!r}")
        return value.strip()

    def choice(self, table: dict[str, Any], path: str, key: str, choices: list[str]) -> str:
        value = self.text(table, path, key)
        if value not in choices:
            raise self.error(_join(path, key), f"{value!r} must be one of {', '.join(choices)}")
        return value

    def checked(self, path: str, check: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one of portals.checks, naming this file's line and key in its error."""
        try:
            return check(*args, **kwargs)
        except CheckError as exc:
            raise self.error(path, str(exc)) from None

    def web_address(self, table: dict[str, Any], path: str, key: str) -> str:
        return str(self.checked(_join(path, key), checks.web_address, table.get(key, "")))

    def per_language(
        self, table: dict[str, Any], path: str, key: str, *, every: bool
    ) -> dict[str, str]:
        value = self.table(table, path, key, required=every)
        return dict(
            self.checked(_join(path, key), checks.texts, value, self.languages, every=every)
        )

    def logo(self, table: dict[str, Any], path: str) -> CheckedLogo | None:
        name = self.text(table, path, "logo", required=False)
        if not name:
            return None
        file = Path(name) if self.base_dir is None else self.base_dir / name
        try:
            if not file.is_file():
                raise self.error(_join(path, "logo"), f"{file} is not a file")
            with file.open("rb") as handle:
                data = handle.read(MAX_LOGO_BYTES + 1)  # enough to refuse a larger one
        except OSError as exc:
            raise self.error(_join(path, "logo"), f"cannot read {file}: {exc.strerror}") from None
        try:
            return check_logo(data)
        except LogoError as exc:
            raise self.error(_join(path, "logo"), str(exc)) from None

    def contact(self, doc: dict[str, Any], key: str) -> dict[str, str]:
        table = self.table(doc, "", key, required=False)
        self.only_keys(table, key, set(checks.CONTACT_KEYS))
        return dict(self.checked(key, checks.contact, table))

    def phone(self, table: dict[str, Any], path: str) -> str:
        return str(self.checked(_join(path, "phone"), checks.phone, table.get("phone", "")))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _display(path: str) -> str:
    # "partners[2].role" reads better to a non-developer as "[[partners]] #2, role".
    if match := re.match(r"^(\w+)\[(\d+)\](?:\.(.+))?$", path):
        table, index, rest = match.groups()
        return f"[[{table}]] #{index}" + (f", '{rest}'" if rest else "")
    head, _, key = path.rpartition(".")
    return f"[{head}] '{key}'" if head else f"'{key}'"


def parse_portal_spec(
    text: str, source: str = "<portal file>", base_dir: Path | None = None
) -> PortalSpec:
    """The portal a launch file describes, or PortalSpecError naming the line to fix."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PortalSpecError(f"{source} is not valid TOML: {exc}") from None
    read = _Reader(text, source, base_dir)
    read.only_keys(
        doc, "", {"portal", "branding", "owner", "authority", "settings", "partners", "help"}
    )
    portal = read.table(doc, "", "portal", required=True)
    read.only_keys(
        portal,
        "portal",
        {
            "code",
            "country",
            "status",
            "languages",
            "default_language",
            "names",
            "taglines",
            "launched",
            "hosts",
        },
    )
    code = read.text(portal, "portal", "code").lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,15}", code) or code in RESERVED_CODES:
        raise read.error(
            "portal.code",
            f"{code!r} must be 2-16 lower-case letters, digits or dashes, and not one of "
            f"{', '.join(sorted(RESERVED_CODES))}",
        )
    country = read.text(portal, "portal", "country").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise read.error("portal.country", f"{country!r} must be an ISO 3166 code like 'TN'")
    known = [code for code, _ in settings.LANGUAGES]
    languages = portal.get("languages")
    if not isinstance(languages, list) or not languages:
        raise read.error("portal.languages", f"must be a list drawn from {known}")
    unknown = [lang for lang in languages if lang not in known]
    if unknown or len(set(languages)) != len(languages):
        raise read.error(
            "portal.languages",
            f"must be a list drawn from {known} without repeats"
            + (f"; unknown: {unknown}" if unknown else ""),
        )
    read.languages = list(languages)
    default_language = str(portal.get("default_language", languages[0]))
    if default_language not in languages:
        raise read.error(
            "portal.default_language", f"{default_language!r} is not in languages {languages}"
        )
    status = portal.get("status", PortalStatus.DRAFT.value)
    if status not in PortalStatus.values:
        raise read.error("portal.status", f"{status!r} must be one of {PortalStatus.values}")
    launched = portal.get("launched")
    if launched is not None and (
        not isinstance(launched, datetime.date) or isinstance(launched, datetime.datetime)
    ):
        raise read.error("portal.launched", f"{launched!r} must be a date like 2021-06-15")
    hosts = portal.get("hosts", [])
    if not isinstance(hosts, list) or not all(
        isinstance(h, str) and re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", h.lower())
        for h in hosts
    ):
        raise read.error("portal.hosts", "must be a list of host names like 'report.example.tn'")

    branding = read.table(doc, "", "branding", required=False)
    read.only_keys(branding, "branding", {"primary_colour", "logo"})
    option_values = dict(read.table(doc, "", "settings", required=False))
    if "primary_colour" in option_values:
        raise read.error("settings.primary_colour", "belongs under [branding]")
    read.only_keys(option_values, "settings", set(PORTAL_OPTIONS) - {"primary_colour"})
    if "primary_colour" in branding:
        option_values["primary_colour"] = branding["primary_colour"]
    options: dict[str, Any] = {}
    for key, value in option_values.items():
        path = "branding.primary_colour" if key == "primary_colour" else f"settings.{key}"
        try:
            options[key] = PORTAL_OPTIONS[key].parse(value)
        except OptionError as exc:
            raise read.error(path, str(exc)) from None

    return PortalSpec(
        code=code,
        country=country,
        names=read.per_language(portal, "portal", "names", every=True),
        taglines=read.per_language(portal, "portal", "taglines", every=False),
        languages=list(languages),
        default_language=default_language,
        status=status,
        launched=launched,
        hosts=sorted({h.lower() for h in hosts}),
        logo=read.logo(branding, "branding"),
        owner=read.contact(doc, "owner"),
        authority=read.contact(doc, "authority"),
        options=options,
        partners=_partners(read, doc),
        help=_help(read, doc),
    )


def _array(read: _Reader, doc: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
    items = doc.get(key, [])
    if not isinstance(items, list):
        raise read.error(key, f"write each entry as [[{key}]]")
    result = []
    for index, raw in enumerate(items, start=1):
        path = f"{key}[{index}]"
        if not isinstance(raw, dict):
            raise read.error(path, "must be a table")
        result.append((path, raw))
    return result


def _partners(read: _Reader, doc: dict[str, Any]) -> list[PartnerSpec]:
    partners = []
    seen: set[str] = set()
    for path, raw in _array(read, doc, "partners"):
        read.only_keys(raw, path, {"name", "kind", "role", "names", "website", "logo"})
        name = read.text(raw, path, "name")
        if not name or name in seen:
            raise read.error(_join(path, "name"), f"{name!r} is empty or listed twice")
        seen.add(name)
        partners.append(
            PartnerSpec(
                name=name,
                kind=read.choice(raw, path, "kind", PartnerKind.values),
                role=read.choice(raw, path, "role", PartnerRole.values),
                names=read.per_language(raw, path, "names", every=False),
                website=read.web_address(raw, path, "website"),
                logo=read.logo(raw, path),
            )
        )
    return partners


def _help(read: _Reader, doc: dict[str, Any]) -> list[HelpSpec]:
    resources = []
    for path, raw in _array(read, doc, "help"):
        read.only_keys(raw, path, {"kind", "name", "names", "phone", "website", "languages"})
        languages = read.checked(
            _join(path, "languages"),
            checks.help_languages,
            raw.get("languages", []),
            read.languages,
        )
        resource = HelpSpec(
            kind=read.choice(raw, path, "kind", HelpKind.values),
            name=read.text(raw, path, "name"),
            names=read.per_language(raw, path, "names", every=False),
            phone=read.phone(raw, path),
            website=read.web_address(raw, path, "website"),
            languages=list(languages),
        )
        if not resource.phone and not resource.website:
            raise read.error(path, "give a phone number or a website (or both)")
        resources.append(resource)
    return resources


def load_portal_spec(path: Path) -> PortalSpec:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad saves a byte-order mark
    except OSError as exc:
        raise PortalSpecError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PortalSpecError(f"{path} is not UTF-8 text") from None
    return parse_portal_spec(text, source=str(path), base_dir=path.parent)


# Launch files shipped with Hotline: the demo portals and the real portal countries.
LAUNCH_FILES_DIR = Path(settings.BASE_DIR) / "portals"
