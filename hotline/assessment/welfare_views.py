"""Welfare under /staff/welfare/: the case page's heartbeat, the break reminder, the overview.

Apart from the workstation's views so the claim leases' own renewal can change without
touching these (the two may be merged later). Thin: welfare.py decides, actions change.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.accounts.access import assessable_portal_ids, staff_user, verified_staff_required
from hotline.accounts.models import StaffUser
from hotline.assessment import actions, welfare
from hotline.assessment.errors import AssessmentRefused

# What the case page's script says at each beat.
BEATS = {"visible": welfare.PAGE_VISIBLE, "hidden": welfare.PAGE_HIDDEN}


def _staff(request: HttpRequest) -> StaffUser:
    user = staff_user(request)
    assert user is not None  # guaranteed by verified_staff_required
    return user


@require_POST
@verified_staff_required
def heartbeat(request: HttpRequest) -> HttpResponse:
    """A beat from an open case page; answers whether the page should show either banner."""
    beat = BEATS.get(request.POST.get("state", ""))
    if beat is None:
        return JsonResponse({"error": "state must be visible or hidden"}, status=400)
    exposure = actions.record_exposure(analyst=_staff(request), beat=beat)
    return JsonResponse(
        {"reminder_due": exposure.reminder_due, "limit_reached": exposure.limit_reached}
    )


@require_POST
@verified_staff_required
def dismiss_reminder(request: HttpRequest) -> HttpResponse:
    actions.dismiss_break_reminder(analyst=_staff(request))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("assessment:welfare")
    return HttpResponseRedirect(back)


@never_cache
@verified_staff_required
def overview(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    return render(
        request,
        "assessment/welfare.html",
        {
            "mine": welfare.exposure_today(viewer),
            "assesses": bool(assessable_portal_ids(viewer)),
            "team": welfare.team_exposure(viewer),
            "limit_seconds": int(welfare.exposure_limit().total_seconds()),
            "reminder_seconds": int(welfare.reminder_interval().total_seconds()),
            "time_zone": welfare.working_day_zone(),
        },
    )


@require_POST
@verified_staff_required
def lift_limit(request: HttpRequest, analyst_id: int) -> HttpResponse:
    senior = _staff(request)
    # Only analysts the senior looks after exist here; anyone else is "not found".
    analyst = get_object_or_404(welfare.overseen_analysts(senior), pk=analyst_id)
    try:
        actions.lift_exposure_limit(
            analyst=analyst, senior=senior, reason=request.POST.get("reason", "")
        )
    except AssessmentRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(analyst)s may take new cases again today.") % {"analyst": analyst.username},
        )
    return HttpResponseRedirect(reverse("assessment:welfare"))
