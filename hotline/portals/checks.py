"""The checks of what a portal shows, in one place: launch files and the admin use the same.

Each takes a value as it arrives (from TOML or the admin's JSON fields) and returns it cleaned,
or raises CheckError with a message that says what to write instead. Where the value sits (a
line of a launch file, a field of the admin) is the caller's to add.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

CONTACT_KEYS = ("name", "email", "website", "phone")
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{1,30}")


class CheckError(ValueError):
    """A value a portal cannot show; the message says what to write instead."""


def web_address(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else value
    parts = urlsplit(text) if isinstance(text, str) else None
    if text and (parts is None or parts.scheme not in ("http", "https") or not parts.netloc):
        raise CheckError(f"{value!r} is not a web address starting with https:// (or http://)")
    return str(text or "")


def phone(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else value
    if text and (not isinstance(text, str) or not PHONE.fullmatch(text)):
        raise CheckError(f"{value!r} is not a phone number (digits, spaces, + - and brackets)")
    return str(text or "")


def texts(value: Any, languages: list[str], *, every: bool) -> dict[str, str]:
    """A {language: text} map: only the portal's languages, each non-empty; all if `every`."""
    if not isinstance(value, dict):
        raise CheckError('give one text per language, like {"fr": "...", "ar": "..."}')
    result: dict[str, str] = {}
    for language, text in value.items():
        if language not in languages:
            raise CheckError(f"{language!r} is not one of the portal's languages {languages}")
        if not isinstance(text, str) or not text.strip():
            raise CheckError(f"the {language!r} text must be non-empty text")
        result[language] = text.strip()
    missing = [language for language in languages if language not in result]
    if every and missing:
        raise CheckError(f"give a text in {missing}")
    return result


def contact(value: Any) -> dict[str, str]:
    """{"name", "email", "website", "phone"}, each optional."""
    if not isinstance(value, dict):
        raise CheckError('give a table like {"name": "...", "email": "..."}')
    unknown = sorted(set(value) - set(CONTACT_KEYS))
    if unknown:
        raise CheckError(f"unknown key {unknown[0]!r}; expected one of {', '.join(CONTACT_KEYS)}")
    if any(not isinstance(v, str) for v in value.values()):
        raise CheckError("each value must be text in quotes")
    result = {k: str(value.get(k, "")).strip() for k in CONTACT_KEYS}
    result["website"] = web_address(result["website"])
    result["phone"] = phone(result["phone"])
    if result["email"]:
        try:
            validate_email(result["email"])
        except ValidationError:
            raise CheckError(f"{result['email']!r} is not an e-mail address") from None
    return {k: v for k, v in result.items() if v}


def help_languages(value: Any, languages: list[str]) -> list[str]:
    if not isinstance(value, list) or any(language not in languages for language in value):
        raise CheckError(f"must be a list drawn from {languages} (empty: every language)")
    return list(value)
