"""One canonical form per web address."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.cases.canonical import MAX_URL_LENGTH, NotAWebAddress, canonicalise_url


@pytest.mark.parametrize(
    ("reported", "canonical"),
    [
        ("HTTP://Example.TEST:80/a/./b/../c#frag", "http://example.test/a/c"),
        ("https://example.test:443", "https://example.test/"),
        ("https://example.test:8443/x", "https://example.test:8443/x"),
        ("example.test/page", "http://example.test/page"),
        ("example.test:8080/page", "http://example.test:8080/page"),
        ("http://user:secret@example.test/", "http://example.test/"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
        # Browsers (WHATWG URL, UTS #46 non-transitional) visit xn--strae-oqa for "straße";
        # IDNA 2003 would map it to "strasse", a different domain.
        ("http://straße.example/", "http://xn--strae-oqa.example/"),
        # Browsers read a backslash as a slash: the host is example.test, not evil.test.
        ("http://example.test\\@evil.test/", "http://example.test/@evil.test/"),
        ("http://example.test./%7euser/", "http://example.test/~user/"),
        ("http://example.test/a%2fb", "http://example.test/a%2Fb"),
        ("http://example.test/a b".replace(" ", "%20"), "http://example.test/a%20b"),
        ("http://example.test/é?q=ü", "http://example.test/%C3%A9?q=%C3%BC"),
        ("http://example.test/100%", "http://example.test/100%25"),
        ("http://example.test/?b=2&a=1", "http://example.test/?b=2&a=1"),
        ("http://192.0.2.10/x", "http://192.0.2.10/x"),
        ("http://[2001:DB8::0:1]/x", "http://[2001:db8::1]/x"),
        ("  http://example.test/  ", "http://example.test/"),
    ],
)
def test_canonical_forms(reported: str, canonical: str) -> None:
    assert canonicalise_url(reported) == canonical


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("javascript:alert(1)", "not 'javascript:'"),
        ("data:text/html,<b>x</b>", "not 'data:'"),
        ("mailto:someone@example.test", "not 'mailto:'"),
        ("ftp://files.example.test/", "not 'ftp:'"),
        ("http://example.test/" + "a" * MAX_URL_LENGTH, "longer than 2048"),
        ("http://nodot/", "not a valid host name"),
        ("http://-bad-.example/", "not a valid host name"),
        ("http://example.123/", "not a valid host name"),
        ("http://exa mple.test/", "spaces or control characters"),
        ("http://example.test/\x00", "spaces or control characters"),
        ("http://example.test:99999/", "malformed"),
        ("http://[::zz]/", "malformed"),
        ("http:///path", "no host name"),
        ("", "empty"),
    ],
)
def test_not_web_addresses_say_why(text: str, reason: str) -> None:
    with pytest.raises(NotAWebAddress, match=reason.replace("(", r"\(")):
        canonicalise_url(text)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=120),
        st.from_regex(r"https?://[a-zA-Z0-9.\-]{1,20}\.[a-z]{2,5}(/\S{0,40})?", fullmatch=True),
    )
)
def test_canonical_form_is_a_fixed_point(text: str) -> None:
    assert_refused_or_fixed_point(text)


def assert_refused_or_fixed_point(text: str) -> None:
    try:
        canonical = canonicalise_url(text)
    except NotAWebAddress:
        return
    assert canonical.startswith(("http://", "https://"))
    assert len(canonical) <= MAX_URL_LENGTH
    assert canonicalise_url(canonical) == canonical


_url_alphabet = st.sampled_from(
    [*"abcxyzABC019-._~:/?#[]@!$&'()*+,;=%", "%2f", "%7E", "%41", "é", "ü", " ", "\t"]
)
_hosts = st.sampled_from(
    ["example.test", "EXAMPLE.test.", "bücher.example", "192.0.2.7", "[::1]", "nodot", ""]
)
_url_like = st.builds(
    lambda scheme, host, port, rest: f"{scheme}{host}{port}{rest}",
    st.sampled_from(["http://", "HTTPS://", "", "ftp://", "javascript:"]),
    _hosts,
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x"]),
    st.lists(_url_alphabet, max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_url_like)
def test_url_like_text_canonicalises_to_a_fixed_point_or_is_refused(text: str) -> None:
    assert_refused_or_fixed_point(text)
