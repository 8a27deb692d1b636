"""Properties of canonical URLs that must hold for any input, found by hypothesis."""

from __future__ import annotations

from unittest import mock
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.core import canonical
from hotline.core.canonical import (
    MAX_URL_LENGTH,
    TRACKING_PARAMETERS,
    NotAWebAddress,
    canonicalise_url,
)

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
host = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(label, min_size=1, max_size=3),
    st.sampled_from(["example", "test", "onion", "xn--p1ai"]),
)
path = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs"]), max_size=30
)
web_address = st.builds(
    lambda scheme, h, p, q: f"{scheme}://{h}/{p}" + (f"?{q}" if q else ""),
    st.sampled_from(["http", "https", "HTTP", "hTTps"]),
    host,
    path,
    path,
)
anything = st.one_of(web_address, st.text(max_size=200))


@settings(max_examples=500)
@given(text=anything)
def test_any_text_is_a_canonical_web_address_or_a_clear_refusal(text: str) -> None:
    reason = ""
    try:
        canonical = canonicalise_url(text)
    except NotAWebAddress as exc:
        reason = str(exc)
    if reason:
        return  # refused, with a reason a person can be told
    parts = urlsplit(canonical)
    assert parts.scheme in ("http", "https") and parts.hostname
    assert canonical.isascii() and len(canonical) <= MAX_URL_LENGTH
    assert not parts.fragment and not any(ch.isspace() for ch in canonical)


@settings(max_examples=500)
@given(text=web_address)
def test_canonicalising_twice_changes_nothing(text: str) -> None:
    try:
        once = canonicalise_url(text)
    except NotAWebAddress:
        return
    assert canonicalise_url(once) == once


@settings(max_examples=300)
@given(text=web_address)
def test_letter_case_of_scheme_and_host_does_not_make_another_case(text: str) -> None:
    scheme, rest = text.split("://", 1)
    host_part, _, tail = rest.partition("/")
    try:
        canonical = canonicalise_url(text)
    except NotAWebAddress:
        return
    assert canonicalise_url(f"{scheme.upper()}://{host_part.upper()}/{tail}") == canonical


# Names a site might use for its own parameters, none of them a tracking parameter.
own_name = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_.~-]{0,8}", fullmatch=True).filter(
    lambda name: not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS
)
# Already in canonical form (unreserved characters and "+"), so each kept piece is unchanged.
own_value = st.from_regex(r"[a-zA-Z0-9_.~+-]{0,8}", fullmatch=True)
tracking_name = st.one_of(
    st.sampled_from(sorted(TRACKING_PARAMETERS)),
    st.from_regex(r"utm_[a-z]{0,8}", fullmatch=True),
).flatmap(lambda name: st.sampled_from([name, name.upper(), name.capitalize()]))
parameter = st.tuples(own_name, own_value).map(lambda pair: ("own", "=".join(pair)))
tracker = st.tuples(tracking_name, own_value).map(lambda pair: ("tracking", "=".join(pair)))


@settings(max_examples=300)
@given(
    h=host,
    p=path,
    query=st.lists(st.one_of(parameter, tracker), max_size=8),
)
def test_tracking_parameters_go_and_the_others_stay_in_their_order(
    h: str, p: str, query: list[tuple[str, str]]
) -> None:
    base = f"http://{h}/{p.replace('?', '').replace('#', '')}"
    with_trackers = base + ("?" + "&".join(piece for _, piece in query) if query else "")
    own = [piece for kind, piece in query if kind == "own"]
    without = base + ("?" + "&".join(own) if own else "")
    try:
        canonical = canonicalise_url(with_trackers)
    except NotAWebAddress:
        return
    assert canonical == canonicalise_url(without)
    assert urlsplit(canonical).query == "&".join(own)


# Hosts near the edges of the plain-host shortcut: hyphens anywhere ("xn--", "ab--c", "-a"),
# empty and overlong labels, letter case, digits only, and a few characters it must leave to
# idna (non-ASCII, "_").
edgy_label = st.one_of(
    label,
    st.text(alphabet="ab0-x", max_size=8),
    st.sampled_from(["xn--strae-oqa", "xn--abc", "xn--", "ab--c", "a" * 63, "a" * 64, "ß", "a_b"]),
)
edgy_host = st.builds(
    lambda labels, upper: ".".join(labels).upper() if upper else ".".join(labels),
    st.lists(edgy_label, min_size=1, max_size=5),
    st.booleans(),
) | st.builds(  # 250 to 256 characters long, around the limit of 253
    lambda n: ".".join(["a" * 63] * 3) + "." + "b" * n + ".example", st.integers(50, 56)
)


def canonical_or_refusal(text: str) -> str:
    try:
        return canonicalise_url(text)
    except NotAWebAddress as exc:
        return f"refused: {exc}"


@settings(max_examples=1000)
@given(host=edgy_host)
def test_plain_hosts_skip_idna_and_come_out_as_idna_would_make_them(host: str) -> None:
    text = f"http://{host}/page"
    with mock.patch.object(canonical, "_plain_ascii_host", return_value=False):  # always idna
        through_idna = canonical_or_refusal(text)
    assert canonical_or_refusal(text) == through_idna
