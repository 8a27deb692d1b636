"""Receipt references: short, random, easy to read aloud or copy from a phone."""

from __future__ import annotations

import secrets

# Crockford's base 32: no I, L, O or U, so nothing is misread as 1, 0 or V.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(prefix: str) -> str:
    """e.g. 'TN-7K3F-9QXD': 40 random bits, unguessable enough for a receipt."""
    # One draw of 40 bits, read 5 bits to a character: the same uniform characters as eight
    # draws of one each, at an eighth of the cost (this runs for every report).
    bits = secrets.randbits(40)
    body = "".join(ALPHABET[(bits >> shift) & 31] for shift in range(0, 40, 5))
    return f"{prefix}-{body[:4]}-{body[4:]}"
