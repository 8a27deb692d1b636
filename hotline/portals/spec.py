"""Reading a portal's launch file (TOML): what a country's portal is and who its partners are."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from hotline.portals.models import PartnerKind, PortalStatus


class PortalSpecError(ValueError):
    """The launch file is wrong; the message says where and what to write instead."""


@dataclass(frozen=True)
class PartnerSpec:
    name: str
    kind: str
    role: str
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PortalSpec:
    code: str
    country: str
    names: dict[str, str]
    languages: list[str]
    default_language: str
    status: str
    partners: list[PartnerSpec]


def _require(table: dict[str, Any], key: str, where: str, kind: type) -> Any:
    if key not in table:
        raise PortalSpecError(f"{where}: '{key}' is missing")
    value = table[key]
    if not isinstance(value, kind):
        raise PortalSpecError(f"{where}: '{key}' must be a {kind.__name__}, not {value!r}")
    return value


def parse_portal_spec(text: str, source: str = "<portal file>") -> PortalSpec:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PortalSpecError(f"{source} is not valid TOML: {exc}") from None
    portal = _require(doc, "portal", source, dict)
    where = f"{source} [portal]"
    code = _require(portal, "code", where, str).strip().lower()
    if not code.isascii() or not code.replace("-", "").isalnum() or not 2 <= len(code) <= 16:
        raise PortalSpecError(f"{where}: code {code!r} must be 2-16 letters, digits or dashes")
    country = _require(portal, "country", where, str).strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise PortalSpecError(f"{where}: country {country!r} must be an ISO 3166 code like 'TN'")
    known = {lang for lang, _ in settings.LANGUAGES}
    languages = _require(portal, "languages", where, list)
    unknown = [lang for lang in languages if lang not in known]
    if not languages or unknown:
        raise PortalSpecError(
            f"{where}: languages must be a non-empty list drawn from {sorted(known)}"
            + (f"; unknown: {unknown}" if unknown else "")
        )
    default_language = portal.get("default_language", languages[0])
    if default_language not in languages:
        raise PortalSpecError(f"{where}: default_language {default_language!r} is not in languages")
    names = _require(portal, "names", where, dict)
    missing = [lang for lang in languages if not str(names.get(lang, "")).strip()]
    if missing:
        raise PortalSpecError(f"{where}.names: give the portal's name in {missing}")
    status = portal.get("status", PortalStatus.DRAFT.value)
    if status not in PortalStatus.values:
        raise PortalSpecError(f"{where}: status {status!r} must be one of {PortalStatus.values}")

    partners = []
    for index, raw in enumerate(doc.get("partners", []), start=1):
        pwhere = f"{source} [[partners]] #{index}"
        if not isinstance(raw, dict):
            raise PortalSpecError(f"{pwhere}: must be a table")
        kind = _require(raw, "kind", pwhere, str)
        if kind not in PartnerKind.values:
            raise PortalSpecError(f"{pwhere}: kind {kind!r} must be one of {PartnerKind.values}")
        partners.append(
            PartnerSpec(
                name=_require(raw, "name", pwhere, str).strip(),
                kind=kind,
                role=_require(raw, "role", pwhere, str).strip(),
                names={str(k): str(v) for k, v in raw.get("names", {}).items()},
            )
        )
    return PortalSpec(
        code=code,
        country=country,
        names={lang: str(names[lang]).strip() for lang in names},
        languages=list(languages),
        default_language=default_language,
        status=status,
        partners=partners,
    )


def load_portal_spec(path: Path) -> PortalSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PortalSpecError(f"cannot read {path}: {exc.strerror}") from None
    return parse_portal_spec(text, source=str(path))


DEMO_SPEC_DIR = Path(__file__).resolve().parent / "demo"
