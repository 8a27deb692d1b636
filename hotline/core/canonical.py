"""One canonical form per web address, so the same page reported twice is one case.

`canonicalise_url` is the one function every caller uses (the report form, the report API, the
URL list and its lookup, members' own tools: so it lives in `core`, below all of them),
and `Case.url_sha256` is the SHA-256 of its result (`hotline.core.hashing.url_digest`), so a
lookup by canonical URL is a unique-index lookup.

What is folded, each because browsers and servers read the two spellings as one address:
- letter case of the scheme and host, and a trailing dot on the host;
- IDN hosts, to punycode (UTS #46 non-transitional, as browsers do);
- default ports (`:80` for http, `:443` for https), user names and passwords, fragments;
- dot segments in the path (`/a/./b/../c` is `/a/c`), after decoding escaped dots;
- needless percent-encoding: an escaped unreserved character (`A-Z a-z 0-9 - . _ ~`) is
  decoded, other escapes are upper-cased and kept (`%2F` stays `%2F`: a server may read it
  apart from `/`), and characters that must be escaped are;
- tracking parameters (`TRACKING_PARAMETERS` below: utm_*, fbclid, gclid, ...) and empty
  pieces of the query (`a=1&&b=2`, a trailing `&`, which no server reads as a parameter) are
  removed; a query left empty drops its `?`.

What is kept: everything else in the path and query, in its order and letter case, since
servers may treat those differently. The query is split on `&` only (as browsers'
URLSearchParams and Python's parse_qsl do, not on `;`); parameters are never reordered or
merged, and their names compare case-sensitively except against the tracking list.

Refused, with a reason the form can translate (`NotAWebAddress`): schemes other than http and
https, addresses over MAX_URL_LENGTH characters, no host, hosts that are not valid DNS names or
IDNs, spaces and control characters.

Changing what is folded changes the canonical form of stored rows: the migration that
introduced tracking-parameter removal (cases 0004) shows how existing cases and URL list
entries are brought to the new form.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna
from publicsuffixlist import PublicSuffixList

MAX_URL_LENGTH = 2048
ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# C0 controls, DEL, and whatever str.isspace() calls a space (\s in a str pattern is exactly
# that): one scan of the text instead of a Python loop over its characters.
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]")
# Characters allowed unescaped in a path or query (RFC 3986 pchar plus / and ?), and '%'.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"

# Query parameters that advertising and analytics platforms append to links to follow a click
# or a share. They never change what the page shows, so two reports that differ only in them
# are of one page and must be one case. A name belongs here only if that holds on every site:
# a wrong entry merges two different pages into one case, and a confirmed case resolves later
# reports of "its" URL without an analyst looking. So when in doubt a name stays out (leaving
# one out costs only a second case): generic names such as `ref`, `source`, `si` or `s`, which
# sites use for their own content, are not here. Names compare case-insensitively: platforms
# write them in lower case, but people and link rewriters sometimes do not.
TRACKING_PARAMETER_PREFIXES: tuple[str, ...] = (
    # Google Analytics campaign tags (utm_source, utm_medium, utm_campaign, utm_term,
    # utm_content, utm_id, ...), which every mailer, social network and ad platform writes.
    "utm_",
)
TRACKING_PARAMETERS: frozenset[str] = frozenset(
    {
        # Google Ads click ids (web, Display & Video 360, iOS app-to-web and web-to-app), its
        # click-source and ad-source tags, and Merchant Center's id on organic shopping results.
        *("gclid", "gclsrc", "dclid", "gbraid", "wbraid", "gad_source", "srsltid"),
        # Google Analytics cross-domain linker.
        *("_ga", "_gl"),
        # Meta: Facebook's click id, Instagram's share ids.
        *("fbclid", "igshid", "igsh"),
        # Microsoft Advertising click id.
        "msclkid",
        # Mailchimp campaign and subscriber ids.
        *("mc_cid", "mc_eid"),
        # Yandex: Direct ad click id, and the search click id its browser adds to results.
        *("yclid", "ysclid"),
        # X (Twitter), TikTok and LinkedIn ad click ids.
        *("twclid", "ttclid", "li_fat_id"),
        # HubSpot and Marketo e-mail tracking.
        *("_hsenc", "_hsmi", "mkt_tok"),
        # Matomo (Piwik) campaign tags, by name: "pk_" and "mtm_" alone are too generic.
        *("pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content"),
        *("mtm_campaign", "mtm_kwd", "mtm_keyword", "mtm_source", "mtm_medium", "mtm_content"),
        *("mtm_cid", "mtm_group", "mtm_placement"),
    }
)


class NotAWebAddress(ValueError):
    """The text is not an http(s) address; the message says what is wrong."""


def _normalise_escapes(part: str, safe: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    # Escape what must be escaped first (a lone '%' not starting an escape too), then tidy.
    escaped = quote(part, safe=safe)
    escaped = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", escaped)
    return _ESCAPE.sub(fix, escaped)


def _is_tracking_parameter(name: str) -> bool:
    """Whether a query parameter `name` (escapes already normalised) is only for tracking."""
    folded = name.lower()
    return folded in TRACKING_PARAMETERS or folded.startswith(TRACKING_PARAMETER_PREFIXES)


def _without_tracking_parameters(query: str) -> str:
    # Whole "name=value" pieces go; every other piece stays as it is, in its place. Empty
    # pieces go too: a person who trims "&utm_source=x" off by hand often leaves the "&".
    # Run after the escapes are normalised, so that "utm%5Fsource" is "utm_source".
    kept = [
        piece
        for piece in query.split("&")
        if piece and not _is_tracking_parameter(piece.partition("=")[0])
    ]
    return "&".join(kept)


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 section 5.2.4, on already-split segments.
    output: list[str] = []
    segments = path.split("/")
    for segment in segments[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = segments[-1] in (".", "..")
    result = "/" + "/".join(output)
    if trailing and not result.endswith("/"):
        result += "/"
    return result


# What UTS #46 reads as a label separator: the full stop, and the ideographic, fullwidth and
# halfwidth ideographic ones an IME types. Any of them may end a host as a trailing dot.
_DOTS = ".\u3002\uff0e\uff61"


# The longest host name DNS carries (RFC 1035: 255 octets on the wire).
MAX_HOST_LENGTH = 253


def _plain_ascii_host(host: str) -> bool:
    """Whether `host` (lower case, no trailing dot) is a host name `idna.encode` would give back
    unchanged: ASCII letters, digits and hyphens in labels of 1 to 63 characters, none starting
    or ending with a hyphen or with hyphens in its 3rd and 4th places (so no `xn--` label, which
    idna must decode to check), at most MAX_HOST_LENGTH in all. Most hosts are, and the check
    costs a fraction of the UTS #46 mapping (the URL list lookup canonicalises every address it
    is asked about); tests/core/test_canonical_urls.py holds both paths to the same answers."""
    if not host.isascii() or len(host) > MAX_HOST_LENGTH:
        return False
    return all(_LABEL.match(label) and label[2:4] != "--" for label in host.split("."))


def _canonical_host(host: str) -> str:
    host = host.rstrip(_DOTS).lower()
    if not host:
        raise NotAWebAddress("the address has no host name")
    if ":" in host:  # urlsplit has already taken the brackets off an IPv6 literal
        try:
            return f"[{ipaddress.IPv6Address(host.strip('[]')).compressed}]"
        except ValueError:
            raise NotAWebAddress("the address has an invalid IPv6 host") from None
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    ascii_host = host if _plain_ascii_host(host) else _idna_host(host)
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise NotAWebAddress(f"'{host}' is not a valid host name")
    if labels[-1].isdigit():
        raise NotAWebAddress(f"'{host}' is not a valid host name")
    return ascii_host


def _idna_host(host: str) -> str:
    try:
        # UTS #46 non-transitional, as browsers do: "straße" stays "straße" (xn--strae-oqa);
        # Python's own "idna" codec is IDNA 2003 and would fold it to "strasse".
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise NotAWebAddress(f"'{host}' is not a valid host name") from None


def _has_space_or_control(text: str) -> bool:
    if text.isascii():
        # The same test in C: the ASCII characters that are not printable are the controls
        # (and DEL), and the only printable ASCII space is " ".
        return not text.isprintable() or " " in text
    return bool(_SPACE_OR_CONTROL.search(text))


def canonicalise_url(text: str) -> str:
    """The canonical form of a reported address, or NotAWebAddress with a reason."""
    text = text.strip()
    if not text:
        raise NotAWebAddress("the line is empty")
    if len(text) > MAX_URL_LENGTH:
        raise NotAWebAddress(f"the address is longer than {MAX_URL_LENGTH} characters")
    if _has_space_or_control(text):
        raise NotAWebAddress("the address contains spaces or control characters")
    if "://" not in text:
        other = _HAS_SCHEME.match(text)
        # "javascript:", "data:", "mailto:"... are refused; "host:8080/x" is a host and port.
        if other and not text[other.end() : other.end() + 1].isdigit():
            raise NotAWebAddress(
                f"only http and https addresses can be reported, not '{other.group(0).lower()}'"
            )
        # People paste "site.example/page"; read it as http.
        text = "http://" + text
    # Browsers read "\\" as "/" before the query in http(s) addresses, so
    # "http://a.test\\@b.test/" is a page on a.test; read it the same way.
    end = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=len(text))
    text = text[:end].replace("\\", "/") + text[end:]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise NotAWebAddress("the address is malformed (check the host and port)") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise NotAWebAddress(f"only http and https addresses can be reported, not '{scheme}:'")
    host = _canonical_host(parts.hostname or "")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _remove_dot_segments(_normalise_escapes(parts.path or "/", _PATH_SAFE))
    query = _without_tracking_parameters(_normalise_escapes(parts.query, _QUERY_SAFE))
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    if len(canonical) > MAX_URL_LENGTH:
        raise NotAWebAddress(f"the address is longer than {MAX_URL_LENGTH} characters")
    return canonical


def canonicalise_domain(text: str) -> str:
    """The canonical form of a domain name (an analyst's whole-domain list entry): the host of
    `canonicalise_url`, punycode and lower case, without a trailing dot. IP addresses are
    refused: a domain entry is blocked by name (DNS), which an address has none of."""
    text = text.strip()
    if "/" in text or ":" in text:
        raise NotAWebAddress(f"'{text[:100]}' is a web address, not a domain name")
    host = _canonical_host(text)
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return host
    raise NotAWebAddress(f"'{host}' is an IP address, not a domain name")


# The Public Suffix List, as bundled with the library (no download): the names under which
# many unrelated owners register theirs ("co.uk", "github.io", "test").
_PUBLIC_SUFFIXES = PublicSuffixList()


def is_public_suffix(domain: str) -> bool:
    """Whether canonical `domain` is a public suffix, shared by unrelated owners."""
    return bool(_PUBLIC_SUFFIXES.is_public(domain))


def listable_domains(host: str) -> list[str]:
    """The whole domains an entry for canonical `host` may name, narrowest first: the host and
    each parent down to its registrable domain ("a.b.example.co.uk", "b.example.co.uk",
    "example.co.uk"); never a public suffix; none for an IP address."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return []
    registrable = _PUBLIC_SUFFIXES.privatesuffix(host)
    if not registrable:
        return []
    labels = host.split(".")
    depth = len(registrable.split("."))
    return [".".join(labels[n:]) for n in range(len(labels) - depth + 1)]
