"""The staff header's language switcher reads the languages staff pages speak from here."""

from __future__ import annotations

from django import template

from hotline.accounts.models import STAFF_LANGUAGE_CHOICES

register = template.Library()


@register.simple_tag
def staff_languages() -> list[tuple[str, str]]:
    """(code, name in that language) of each language the staff pages speak."""
    return list(STAFF_LANGUAGE_CHOICES)
