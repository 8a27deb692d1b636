"""Where the manifests' signing key comes from (HOTLINE_FEED_SIGNING_KEY, else the secret key)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from hotline.urllist.signing import load_signing_key


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_without_a_key_it_is_derived_from_the_secret_key_and_stays_the_same() -> None:
    one = load_signing_key("", "secret one")
    assert _raw_public(one) == _raw_public(load_signing_key("", "secret one"))
    assert _raw_public(one) != _raw_public(load_signing_key("", "secret two"))


def test_a_pem_key_or_a_base64_seed_is_used_as_given() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert _raw_public(load_signing_key(pem, "ignored")) == _raw_public(key)
    assert _raw_public(load_signing_key(base64.b64encode(seed).decode(), "x")) == _raw_public(key)


@pytest.mark.parametrize(
    "value", ["not base64!", base64.b64encode(b"short").decode(), "-----BEGIN PRIVATE KEY-----x"]
)
def test_a_bad_key_stops_start_up_naming_the_variable(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_FEED_SIGNING_KEY"):
        load_signing_key(value, "secret")
