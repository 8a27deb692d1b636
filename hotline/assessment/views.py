"""The analyst UI under /staff/: the queue, a case, the assessment form. Thin: actions decide."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.accounts.access import assessable_portal_ids, staff_user, verified_staff_required
from hotline.accounts.models import StaffUser
from hotline.assessment import actions
from hotline.assessment.forms import AssessmentForm
from hotline.assessment.models import Claim
from hotline.assessment.queries import assessable_cases, queue_for
from hotline.cases.models import Case

QUEUE_PAGE_SIZE = 50


def _analyst(request: HttpRequest) -> StaffUser:
    user = staff_user(request)
    assert user is not None  # guaranteed by verified_staff_required
    return user


def _visible_case(request: HttpRequest, case_id: int) -> Case:
    # A case on a portal the analyst has no role on is "not found", not "forbidden".
    return get_object_or_404(
        assessable_cases(_analyst(request)).select_related("portal"), pk=case_id
    )


@never_cache
@verified_staff_required
def queue(request: HttpRequest) -> HttpResponse:
    analyst = _analyst(request)
    page = Paginator(queue_for(analyst), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessment/queue.html",
        {"page": page, "has_portals": bool(assessable_portal_ids(analyst)), "analyst": analyst},
    )


@require_POST
@verified_staff_required
def claim(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible_case(request, case_id)
    try:
        actions.claim_case(case=case, analyst=_analyst(request))
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("assessment:queue"))
    return HttpResponseRedirect(reverse("assessment:case", args=[case.pk]))


@never_cache
@verified_staff_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible_case(request, case_id)
    holds_claim = Claim.objects.filter(case=case, analyst=_analyst(request)).exists()
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome, category = form.outcome_and_category()
        try:
            actions.record_assessment(
                case=case,
                analyst=_analyst(request),
                outcome=outcome,
                category=category,
                notes=form.cleaned_data["notes"],
            )
        except actions.AssessmentRefused as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("assessment:queue"))
        label = f"Category {category.value}" if category else "not child sexual abuse material"
        messages.success(request, f"Case {case.pk} assessed as {label}.")
        return HttpResponseRedirect(reverse("assessment:queue"))
    return render(
        request,
        "assessment/case.html",
        {
            "case": case,
            "form": form,
            "holds_claim": holds_claim,
            "items": case.report_items.order_by("-pk")[:20],
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@verified_staff_required
def release(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible_case(request, case_id)
    actions.release_case(case=case, analyst=_analyst(request))
    messages.success(request, f"Case {case.pk} returned to the queue.")
    return HttpResponseRedirect(reverse("assessment:queue"))
