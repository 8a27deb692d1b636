"""Receipt references: short, random, easy to read aloud or copy from a phone."""

from __future__ import annotations

import secrets

# Crockford's base 32: no I, L, O or U, so nothing is misread as 1, 0 or V.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(prefix: str) -> str:
    """e.g. 'TN-7K3F-9QXD': 40 random bits, unguessable enough for a receipt."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"
