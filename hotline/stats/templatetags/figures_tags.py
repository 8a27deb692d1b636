from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hotline.accounts.access import staff_user
from hotline.stats.access import may_see_figures

register = template.Library()


@register.simple_tag(takes_context=True)
def figures_link(context: template.Context) -> SafeString:
    """A link to /staff/figures/ for partner viewers and administrators; nothing for others
    (the page would refuse them)."""
    request = context.get("request")
    user = staff_user(request) if request is not None else None
    if user is None or not may_see_figures(user):
        return SafeString("")
    return format_html('<a href="{}">{}</a>', reverse("figures:dashboard"), _("Figures"))
