"""The staff header reads from here the languages staff pages speak, and whether to offer the
analysts' pages."""

from __future__ import annotations

from django import template

from hotline.accounts.access import only_views_figures, staff_user
from hotline.accounts.models import STAFF_LANGUAGE_CHOICES

register = template.Library()


@register.simple_tag
def staff_languages() -> list[tuple[str, str]]:
    """(code, name in that language) of each language the staff pages speak."""
    return list(STAFF_LANGUAGE_CHOICES)


@register.simple_tag(takes_context=True)
def offers_analyst_pages(context: template.Context) -> bool:
    """Whether the staff menu links the queue, second assessments, takedown and welfare: not
    for a partner, whose pages are the figures."""
    request = context.get("request")
    user = staff_user(request) if request is not None else None
    return user is not None and not only_views_figures(user)
