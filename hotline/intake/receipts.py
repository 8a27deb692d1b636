"""Receipt codes: how an anonymous reporter checks on a report without ever being identified.

Like GlobaLeaks' receipt: a random code shown once, kept only as an Argon2 hash. With the
report's reference it shows the report's status and nothing else. 80 random bits behind a slow
hash: guessing is hopeless, and a stolen database does not give the codes away.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from django.contrib.auth.hashers import check_password, make_password

from hotline.intake.references import ALPHABET

RECEIPT_LENGTH = 16  # 16 characters of 5 bits: 80 bits


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked against when the reference is unknown, so that an unknown reference costs the
    # same time as a wrong code and the answer cannot tell them apart.
    return make_password(secrets.token_hex(16))


def new_receipt() -> str:
    """e.g. '7K3F-9QXD-M2RT-4HVA': four groups, easy to copy from a phone."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(body[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


# Crockford's decoding: letters a person may type for the digits they look like.
LOOK_ALIKES = str.maketrans("OILU", "011V")


def normalise(code: str) -> str:
    """What a person types, as it was printed: case, spaces and look-alike letters forgiven."""
    plain = code.upper().replace(" ", "").replace("-", "")
    plain = plain.translate(LOOK_ALIKES)
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def hash_receipt(code: str) -> str:
    return make_password(normalise(code))


def receipt_matches(code: str, stored_hash: str | None) -> bool:
    """Whether `code` is the receipt of a report stored with `stored_hash` (None: no report)."""
    if not stored_hash:
        check_password(normalise(code), _dummy_hash())
        return False
    return check_password(normalise(code), stored_hash)
