"""The takedown board under /staff/takedown/: open notices, overdue first. Thin: actions decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case as Conditional
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.accounts.access import (
    assessable_portal_ids,
    signed_in_staff,
    verified_staff_required,
)
from hotline.assessment.takedown_forms import BoardFilterForm, RouteByHandForm
from hotline.audit.actions import staff_actor
from hotline.cases.models import CasePortal
from hotline.takedown import actions
from hotline.takedown.evidence import EvidenceUnavailable, preview_png
from hotline.takedown.models import CapturedImage, HostingTrace, Notice, NoticeState
from hotline.takedown.notices import notice_reference, render_notice
from hotline.takedown.policy import escalation_due_at

PAGE_SIZE = 50


def _visible_case_ids(request: HttpRequest) -> QuerySet[CasePortal, Any]:
    portals = assessable_portal_ids(signed_in_staff(request))
    return CasePortal.objects.filter(portal_id__in=portals).values("case_id")


def _visible_notices(request: HttpRequest) -> QuerySet[Notice]:
    """Notices of cases reported on a portal where the user assesses (others are not found)."""
    return Notice.objects.filter(takedown__case_id__in=_visible_case_ids(request))


def _with_deadlines(notices: list[Notice]) -> list[dict[str, Any]]:
    now = timezone.now()
    traces: dict[int, HostingTrace] = {}
    for trace in HostingTrace.objects.filter(
        case_id__in=[n.takedown.case_id for n in notices]
    ).order_by("case_id", "traced_at"):
        traces[trace.case_id] = trace  # the latest wins
    rows = []
    for notice in notices:
        due = escalation_due_at(confirmed_at=notice.takedown.confirmed_at, level=notice.level)
        rows.append(
            {
                "notice": notice,
                "reference": notice_reference(notice),
                "trace": traces.get(notice.takedown.case_id),
                "due": due,
                "overdue": bool(due and due <= now) or notice.state == NoticeState.FAILED,
                "needs_routing": notice.state in (NoticeState.TO_SEND, NoticeState.FAILED)
                and not notice.email,
            }
        )
    return rows


@never_cache
@verified_staff_required
def board(request: HttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "rows": [], "page": None}
    if not form.is_valid():
        return render(request, "assessment/takedown/board.html", context, status=400)
    data = form.cleaned_data
    notices = actions.open_notices() & _visible_notices(request)
    if data["state"]:
        notices = notices.filter(state=data["state"])
    if data["country"]:
        notices = notices.filter(takedown__hosting_country=data["country"].upper())
    if data["provider"]:
        traced = HostingTrace.objects.filter(
            Q(as_name__icontains=data["provider"]) | Q(network_name__icontains=data["provider"])
        ).values("case_id")
        notices = notices.filter(takedown__case_id__in=traced)
    # Overdue first: those needing a person (failed, or nobody to send to), then the oldest.
    notices = notices.annotate(
        needs_person=Conditional(
            When(state=NoticeState.FAILED, then=Value(0)),
            When(state=NoticeState.TO_SEND, email="", then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("needs_person", "takedown__confirmed_at", "pk")
    page = Paginator(notices.select_related("takedown__case__portal"), PAGE_SIZE).get_page(
        data["page"] or 1
    )
    context.update(page=page, rows=_with_deadlines(list(page.object_list)))
    return render(request, "assessment/takedown/board.html", context)


def _notice_page(
    request: HttpRequest, notice: Notice, form: RouteByHandForm, *, status: int = 200
) -> HttpResponse:
    subject, body = render_notice(notice)
    return render(
        request,
        "assessment/takedown/notice.html",
        {
            "row": _with_deadlines([notice])[0],
            "subject": subject,
            "body": body,
            "history": notice.takedown.notices.order_by("created_at"),
            "route_form": form,
        },
        status=status,
    )


@never_cache
@verified_staff_required
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(
        _visible_notices(request).select_related("takedown__case__portal"), pk=notice_id
    )
    form = RouteByHandForm(initial={"language": notice.language, "name": notice.recipient_name})
    return _notice_page(request, notice, form)


@require_POST
@verified_staff_required
def acknowledge(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(_visible_notices(request), pk=notice_id)
    try:
        actions.acknowledge_notice(notice=notice, actor=staff_actor(signed_in_staff(request)))
    except actions.IllegalNoticeMove:
        messages.error(request, _("Only a notice that was sent can be acknowledged."))
    else:
        messages.success(request, _("The notice is marked as acknowledged."))
    return HttpResponseRedirect(reverse("takedown:notice", args=[notice_id]))


@require_POST
@verified_staff_required
def route_by_hand(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(
        _visible_notices(request).select_related("takedown__case__portal"), pk=notice_id
    )
    form = RouteByHandForm(request.POST)
    if not form.is_valid():
        return _notice_page(request, notice, form, status=400)
    try:
        actions.route_notice_by_hand(
            notice=notice, actor=staff_actor(signed_in_staff(request)), **form.cleaned_data
        )
    except actions.IllegalNoticeMove:
        messages.error(request, _("This notice was already sent; it cannot be routed again."))
    else:
        messages.success(request, _("The notice will be sent to the address you gave."))
    return HttpResponseRedirect(reverse("takedown:notice", args=[notice_id]))


@never_cache
@verified_staff_required
def preview(request: HttpRequest, case_id: int, image_id: int) -> HttpResponse:
    """A captured image from the evidence store, small and without metadata, for the analysts
    of the case's portals only; not found when the store is off or the image expired."""
    image = get_object_or_404(
        CapturedImage.objects.filter(
            capture__case_id__in=_visible_case_ids(request),
            evidence__isnull=False,
            # Expired is gone, whether or not the hourly job has deleted it yet.
            evidence_expires_at__gt=timezone.now(),
        ),
        pk=image_id,
        capture__case_id=case_id,
    )
    try:
        png = preview_png(bytes(image.evidence or b""))
    except EvidenceUnavailable as error:
        raise Http404(str(error)) from None
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    return response
