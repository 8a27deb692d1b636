"""One canonical form per web address, so the same page reported twice is one case.

What is folded: letter case of scheme and host, a trailing dot on the host, IDN hosts (to
punycode), default ports, user names and passwords, fragments, dot segments in the path, and
needless percent-encoding (an escaped unreserved character is decoded; escapes are upper-cased;
characters that must be escaped are). What is kept: the path's and query's meaning, their order
and letter case, since servers may treat those differently.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

MAX_URL_LENGTH = 2048
ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Characters allowed unescaped in a path or query (RFC 3986 pchar plus / and ?), and '%'.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


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


def _canonical_host(host: str) -> str:
    host = host.rstrip(".").lower()
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
    try:
        # UTS #46 non-transitional, as browsers do: "straße" stays "straße" (xn--strae-oqa);
        # Python's own "idna" codec is IDNA 2003 and would fold it to "strasse".
        ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise NotAWebAddress(f"'{host}' is not a valid host name") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise NotAWebAddress(f"'{host}' is not a valid host name")
    if labels[-1].isdigit():
        raise NotAWebAddress(f"'{host}' is not a valid host name")
    return ascii_host


def canonicalise_url(text: str) -> str:
    """The canonical form of a reported address, or NotAWebAddress with a reason."""
    text = text.strip()
    if not text:
        raise NotAWebAddress("the line is empty")
    if len(text) > MAX_URL_LENGTH:
        raise NotAWebAddress(f"the address is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text) or any(ch.isspace() for ch in text):
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
    query = _normalise_escapes(parts.query, _QUERY_SAFE)
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    if len(canonical) > MAX_URL_LENGTH:
        raise NotAWebAddress(f"the address is longer than {MAX_URL_LENGTH} characters")
    return canonical
