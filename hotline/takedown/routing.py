"""Where a notice goes: the one place that chooses the party asked to remove a case's content.

First notice (docs/takedown.md):
1. hosted in the portal's own country -> the portal's national authority (its launch file);
2. behind a CDN -> the CDN's abuse process (the origin is known only to the CDN);
3. hosted in a country with an INHOPE member hotline -> that hotline;
4. otherwise -> the hosting provider's abuse contact (RDAP);
5. nobody found -> manual routing: a person chooses, from the takedown board.
Escalation follows policy.ESCALATES_TO.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.languages import get_official_languages

from hotline.portals.models import Portal
from hotline.takedown.directory import hotline_for_country
from hotline.takedown.models import HostingTrace, Notice, RecipientKind
from hotline.takedown.policy import ESCALATES_TO

# The languages notices are written in (templates takedown/notice/<language>.txt).
NOTICE_LANGUAGES = ("en", "fr", "ar")


@dataclass(frozen=True)
class Route:
    kind: RecipientKind
    name: str
    email: str
    language: str
    # The rule that chose it, in words, for the analyst and the audit log.
    because: str


def notice_language(country: str, *, preferred: str = "") -> str:
    """The language to write to a party in `country`: `preferred` if a notice can be written
    in it, else the country's first official language that can, else English."""
    if preferred in NOTICE_LANGUAGES:
        return preferred
    if country:
        for language in get_official_languages(country.upper(), de_facto=True):
            if language in NOTICE_LANGUAGES:
                return language
    return "en"


def _authority(portal: Portal, because: str) -> Route:
    authority = portal.authority or {}
    email = str(authority.get("email", ""))
    name = str(authority.get("name", "")) or f"National authority ({portal.country})"
    if not email:
        return _manual(f"{because}; the portal's national authority has no e-mail address")
    return Route(
        kind=RecipientKind.NATIONAL_AUTHORITY,
        name=name,
        email=email,
        language=notice_language(portal.country, preferred=portal.default_language),
        because=because,
    )


def _manual(because: str) -> Route:
    return Route(kind=RecipientKind.MANUAL, name="", email="", language="en", because=because)


def _is_email(contact: str) -> bool:
    return "@" in contact and "/" not in contact and " " not in contact.strip()


def first_route(*, portal: Portal, trace: HostingTrace | None) -> Route:
    """The party a case's first notice goes to, from where it is hosted (see the module)."""
    if trace is None or (not trace.country and not trace.abuse_email and not trace.cdn):
        return _manual("the hosting could not be traced")
    country = trace.country.upper()
    if country and country == portal.country.upper():
        return _authority(portal, f"hosted in {country}, the portal's own country")
    if trace.cdn:
        if _is_email(trace.cdn_abuse):
            return Route(
                kind=RecipientKind.CDN,
                name=trace.cdn,
                email=trace.cdn_abuse,
                language="en",
                because=f"behind {trace.cdn}, which alone knows the origin host",
            )
        return _manual(
            f"behind {trace.cdn}: report through its abuse process "
            f"({trace.cdn_abuse or 'see its website'})"
        )
    hotline = hotline_for_country(country) if country else None
    if hotline is not None and hotline.email:
        return Route(
            kind=RecipientKind.HOTLINE,
            name=hotline.name,
            email=hotline.email,
            language=notice_language(country, preferred=hotline.language),
            because=f"hosted in {country}, which has an INHOPE member hotline",
        )
    if trace.abuse_email:
        return Route(
            kind=RecipientKind.HOSTING_PROVIDER,
            name=trace.network_name or trace.as_name or trace.host,
            email=trace.abuse_email,
            language=notice_language(country),
            because=f"the hosting provider's abuse contact (RDAP: {trace.abuse_source or '?'})",
        )
    if hotline is not None:
        return _manual(f"hosted in {country}: {hotline.name} has no e-mail address on file")
    return _manual(f"hosted in {country or 'an unknown country'}; no abuse contact was found")


def escalation_route(*, notice: Notice, portal: Portal) -> Route | None:
    """The next party after `notice` (policy.ESCALATES_TO), or None at the end of the line."""
    after = ESCALATES_TO[RecipientKind(notice.recipient_kind)]
    if after is None:
        return None
    because = f"escalated: still online after the notice to {notice.recipient_name or 'them'}"
    if after == RecipientKind.NATIONAL_AUTHORITY:
        return _authority(portal, because)
    # The upstream network of a provider is found in routing registries by a person: RDAP
    # names the provider's own network, not who carries its traffic.
    return _manual(f"{because}; ask the network upstream of it")
