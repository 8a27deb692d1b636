"""The welfare banners every staff page carries (staff_base.html), and how exposure reads."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hotline.accounts.access import staff_user
from hotline.assessment import welfare

register = template.Library()


@register.inclusion_tag("assessment/_welfare_banners.html", takes_context=True)
def welfare_banners(context: template.Context) -> dict[str, Any]:
    """The break reminder and the limit notice, rendered by the server; hidden while not due
    (the case page's script shows them when a heartbeat says so, without a reload)."""
    request = context.get("request")
    user = staff_user(request) if request is not None else None
    if user is None:
        return {"show": False}
    # The case page has just counted a beat and passes what it returned: no second read.
    exposure = context.get("welfare_exposure") or welfare.exposure_today(user)
    return {
        "show": True,
        "exposure": exposure,
        "here": request.get_full_path() if request is not None else "",
        "reminder_minutes": int(welfare.reminder_interval().total_seconds()) // 60,
        "limit_message": welfare.limit_message(),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def welfare_link() -> SafeString:
    """The staff menu's link to the welfare page (its words live with the assessment app's)."""
    return format_html('<a href="{}">{}</a>', reverse("assessment:welfare"), _("Welfare"))


@register.filter
def exposure_duration(seconds: int) -> str:
    """Seconds of exposure as the staff pages say it: "3 h 05 min"."""
    return welfare.duration(int(seconds))
