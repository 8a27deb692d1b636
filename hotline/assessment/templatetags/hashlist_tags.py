"""The staff menu's link to the hash list, for those who keep it (staff_base.html)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hotline.accounts.access import staff_user
from hotline.assessment.hashlist_views import may_keep_hash_list

register = template.Library()


@register.simple_tag(takes_context=True)
def hashlist_link(context: template.Context) -> SafeString:
    """A link to /staff/hashlist/ for senior analysts and administrators; nothing for others
    (the page would refuse them)."""
    request = context.get("request")
    user = staff_user(request) if request is not None else None
    if user is None or not may_keep_hash_list(user):
        return SafeString("")
    return format_html('<a href="{}">{}</a>', reverse("hashlist_staff:list"), _("Hash list"))
