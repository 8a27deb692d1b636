"""Properties of canonical URLs that must hold for any input, found by hypothesis."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.cases.canonical import MAX_URL_LENGTH, NotAWebAddress, canonicalise_url

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
