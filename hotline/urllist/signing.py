"""The URL list's manifests are signed by the publication machinery both lists share
(hotline/core/publication/signing.py); these names stay importable from here."""

from hotline.core.publication.signing import (
    HKDF_INFO,
    load_signing_key,
    manifest_bytes,
    public_key_pem,
    sign,
    signing_key,
)

__all__ = [
    "HKDF_INFO",
    "load_signing_key",
    "manifest_bytes",
    "public_key_pem",
    "sign",
    "signing_key",
]
