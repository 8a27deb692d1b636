"""The analyst UI under /staff/: the queue, a case, the assessment form. Thin: actions decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.accounts.access import (
    assessable_portal_ids,
    landing_url,
    signed_in_staff,
    verified_staff_required,
)
from hotline.accounts.models import Role, StaffUser
from hotline.assessment import actions, qa, welfare
from hotline.assessment.forms import (
    AppealForm,
    AppealReassessmentForm,
    AssessmentForm,
    CorrectionForm,
    QueueFilterForm,
    WholeDomainForm,
)
from hotline.assessment.models import (
    LEASE_HEARTBEAT,
    AppealDecision,
    Appellant,
    Claim,
    QaReview,
    SchemeOutcome,
)
from hotline.assessment.queries import (
    COUNT_CAP,
    QueueFilter,
    QueueKey,
    Search,
    SearchNotUnderstood,
    assessable_cases,
    cases_in_assessment,
    count_waiting,
    search_cases,
    waiting_cases,
)
from hotline.assessment.schemes import outcomes_of, scheme_for
from hotline.cases import priority
from hotline.cases.models import Case, CaseStatus
from hotline.outcomes.models import KnownImageryMatch
from hotline.portals.models import Portal
from hotline.takedown.models import Capture, Takedown
from hotline.takedown.queries import latest_trace

QUEUE_PAGE_SIZE = 50
# Reports listed on a case page, newest first; the rest are counted.
REPORTS_SHOWN = 50
# Captured images listed (by their hashes) on a case page; the rest are counted.
CAPTURED_IMAGES_SHOWN = 20


def _visible_case(request: HttpRequest, case_id: int) -> Case:
    # A case on a portal the analyst has no role on is "not found", not "forbidden".
    return get_object_or_404(
        assessable_cases(signed_in_staff(request)).select_related("portal"), pk=case_id
    )


def _my_portals(analyst: StaffUser) -> dict[str, int]:
    """The analyst's portals, code to id, in code order."""
    return dict(
        Portal.objects.filter(pk__in=assessable_portal_ids(analyst))
        .order_by("code")
        .values_list("code", "pk")
    )


@never_cache
@verified_staff_required
def queue(request: HttpRequest) -> HttpResponse:
    analyst = signed_in_staff(request)
    portals = _my_portals(analyst)
    if not portals and (landing := landing_url(analyst)) != request.path:
        return HttpResponseRedirect(landing)  # a partner's page is the figures
    form = QueueFilterForm(request.GET, portals=portals)
    context: dict[str, Any] = {
        "analyst": analyst,
        "form": form,
        "has_portals": bool(portals),
        "held": Claim.objects.filter(analyst=analyst).select_related("case"),
        "cases": [],
    }
    if not form.is_valid():
        return render(request, "assessment/queue.html", context, status=400)
    data = form.cleaned_data
    min_age, max_age = form.chosen_ages()
    filters = QueueFilter(
        portal_ids=form.chosen_portal_ids(),
        verified=form.chosen_verified(),
        min_age=min_age,
        max_age=max_age,
    )
    after: QueueKey | None = data["after"]
    now = timezone.now()
    if data["q"]:
        try:
            search = Search.of(data["q"])
        except SearchNotUnderstood:
            form.add_error(
                "q",
                _(
                    "Search by report reference (such as TN-7K2Q-9XRP), web address or host "
                    "name; this is none of them."
                ),
            )
            return render(request, "assessment/queue.html", context, status=400)
        cases = search_cases(
            search, filters, before=data["before"], limit=QUEUE_PAGE_SIZE + 1, now=now
        )
        mode = "search"
    elif data["status"] == CaseStatus.IN_ASSESSMENT:
        cases = cases_in_assessment(filters, after=after, limit=QUEUE_PAGE_SIZE + 1, now=now)
        mode = "in_assessment"
    else:
        cases = waiting_cases(filters, after=after, limit=QUEUE_PAGE_SIZE + 1, now=now)
        context["waiting"] = count_waiting(filters, now=now)
        context["count_cap"] = COUNT_CAP
        mode = "waiting"
    more = len(cases) > QUEUE_PAGE_SIZE
    cases = cases[:QUEUE_PAGE_SIZE]
    if more:
        if mode == "search":
            context["next_page"] = _page_address(request, before=str(cases[-1].pk))
        else:
            context["next_page"] = _page_address(request, after=QueueKey.of(cases[-1]).token())
    if data["after"] or data["before"]:
        context["first_page"] = _page_address(request)
    context.update(
        cases=cases,
        mode=mode,
        filtered=any(data[f] for f in ("portal", "age", "verified")),
        portal_code=data["portal"],
    )
    return render(request, "assessment/queue.html", context)


def _page_address(request: HttpRequest, **start: str) -> str:
    """The queue page with the same filters, starting at `start` (at the first page without)."""
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    query.update(start)
    return (
        f"{reverse('assessment:queue')}?{query.urlencode()}"
        if query
        else (reverse("assessment:queue"))
    )


@require_POST
@verified_staff_required
def next_case(request: HttpRequest) -> HttpResponse:
    """Claim the first case of the analyst's queue (of one portal, when the form names it)."""
    analyst = signed_in_staff(request)
    portals = _my_portals(analyst)
    code = request.POST.get("portal", "")
    if code and code not in portals:
        message = _("You do not assess reports for the portal “%(code)s”; choose one of yours.")
        return render(
            request, "assessment/refused.html", {"message": message % {"code": code}}, status=400
        )
    try:
        claim = actions.claim_next_case(
            analyst=analyst, portal_ids=[portals[code]] if code else None
        )
    except actions.AssessmentRefused as exc:  # e.g. today's exposure limit reached
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("assessment:queue"))
    return _open_claim(request, claim, portal_code=code)


def _open_claim(
    request: HttpRequest, claim: Claim | None, *, portal_code: str = "", say_empty: bool = True
) -> HttpResponse:
    if claim is None:
        if say_empty:
            messages.info(
                request, _("No case is waiting for you now. New reports appear as they arrive.")
            )
        query = f"?{urlencode({'portal': portal_code})}" if portal_code else ""
        return HttpResponseRedirect(reverse("assessment:queue") + query)
    return HttpResponseRedirect(reverse("assessment:case", args=[claim.case_id]))


@require_POST
@verified_staff_required
def renew_lease(request: HttpRequest, case_id: int) -> JsonResponse:
    """The case page's heartbeat: keeps the analyst's claim while the page is open."""
    case = _visible_case(request, case_id)
    until = actions.renew_lease(case=case, analyst=signed_in_staff(request))
    if until is None:
        return JsonResponse({"held": False, "text": _lease_lost_text()}, status=409)
    return JsonResponse({"held": True, "text": _lease_text(until)})


def _lease_text(until: datetime) -> str:
    return _("Yours until %(time)s (kept while this page is open).") % {
        "time": date_format(timezone.localtime(until), "H:i T")
    }


def _lease_lost_text() -> str:
    return _(
        "Your claim on this case has ended and it went back to the queue. Claim it again "
        "before recording an assessment."
    )


@require_POST
@verified_staff_required
def claim(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible_case(request, case_id)
    try:
        actions.claim_case(case=case, analyst=signed_in_staff(request))
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("assessment:queue"))
    return HttpResponseRedirect(reverse("assessment:case", args=[case.pk]))


@never_cache
@verified_staff_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    analyst = signed_in_staff(request)
    case = _visible_case(request, case_id)
    # Opening the page renews the analyst's claim (bookkeeping; see actions.renew_lease).
    lease_until = actions.renew_lease(case=case, analyst=analyst)
    form = AssessmentForm(
        request.POST or None,
        outcomes=outcomes_of(scheme_for(case.portal)),
        initial=_traced_facts(case),
    )
    if request.method == "POST" and form.is_valid():
        duplicate_of = None
        if number := form.cleaned_data["duplicate_of"]:
            duplicate_of = assessable_cases(analyst).filter(pk=number).first()
            if duplicate_of is None:
                form.add_error(
                    "duplicate_of", _("There is no case %(n)d you can see.") % {"n": number}
                )
        if not form.errors:
            outcome = form.chosen_outcome()
            actions.record_exposure(analyst=analyst, beat=welfare.CASE_LEFT)
            try:
                actions.record_assessment(
                    case=case,
                    analyst=analyst,
                    outcome=outcome,
                    facts=form.facts(),
                    duplicate_of=duplicate_of,
                    notes=form.cleaned_data["notes"],
                )
            except actions.AssessmentRefused as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(reverse("assessment:queue"))
            messages.success(
                request,
                _("Case %(case)d assessed: %(outcome)s.")
                % {"case": case.pk, "outcome": _(outcome.label)},
            )
            if QaReview.objects.filter(case=case, settled_at__isnull=True).exists():
                messages.info(
                    request,
                    _("It waits for a second assessment by another analyst before it is acted on."),
                )
            # On to the next case, without a trip through the queue (unless the analyst has
            # reached today's exposure limit: then the queue, which says so).
            try:
                following = actions.claim_next_case(analyst=analyst)
            except actions.AssessmentRefused as exc:
                messages.info(request, str(exc))
                return HttpResponseRedirect(reverse("assessment:queue"))
            # None waiting: the queue's own empty state says so, under the "assessed" message.
            return _open_claim(request, following, say_empty=False)
    return _case_page(
        request,
        case,
        analyst,
        form=form,
        lease_until=lease_until,
        status=400 if request.method == "POST" else 200,
    )


_UNKNOWN: Any = object()


def _case_page(
    request: HttpRequest,
    case: Case,
    analyst: StaffUser,
    *,
    form: AssessmentForm | None = None,
    lease_until: datetime | None = _UNKNOWN,
    qa_forms: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page; `lease_until` is the analyst's claim's end (None: no claim), looked up
    when the caller did not just renew it."""
    # Every rendering of a case page shows reported content to someone: audited.
    actions.record_case_view(case=case, viewer=analyst)
    outcomes = outcomes_of(scheme_for(case.portal))
    if form is None:
        form = AssessmentForm(outcomes=outcomes, initial=_traced_facts(case))
    if lease_until is _UNKNOWN:
        lease_until = (
            Claim.objects.filter(case=case, analyst=analyst)
            .values_list("lease_until", flat=True)
            .first()
        )
    case_qa = qa.case_qa(case, analyst)
    items = case.report_items.select_related("report", "report__portal").order_by("-pk")
    exposure = actions.record_exposure(
        analyst=analyst,
        beat=welfare.CASE_FORM_SENT if request.method == "POST" else welfare.CASE_OPENED,
    )
    return render(
        request,
        "assessment/case.html",
        {
            "case": case,
            "form": form,
            "holds_claim": lease_until is not None,
            "lease_text": _lease_text(lease_until) if lease_until else "",
            "lease_heartbeat": int(LEASE_HEARTBEAT.total_seconds()),
            "qa": case_qa,
            **_qa_forms(case_qa, outcomes, qa_forms or {}),
            "assessable": case.status in actions.ASSESSABLE,
            "items": items[:REPORTS_SHOWN],
            "more_items": max(case.report_count - REPORTS_SHOWN, 0),
            "portals": sorted({item.report.portal.code for item in items[:1000]}),
            "why_here": priority.why_here(
                report_count=case.open_reports,
                host_confirmed=case.host_confirmed,
                verified=case.has_verified_report,
                opened_at=case.opened_at,
                now=timezone.now(),
            ),
            "assessments": case.assessments.select_related("analyst"),
            "welfare_exposure": exposure,
            "heartbeat_seconds": int(welfare.HEARTBEAT_INTERVAL.total_seconds()),
            **_captured(case),
            # Why a case was confirmed without an analyst: for seniors, who answer for it.
            "known_imagery": (
                list(KnownImageryMatch.objects.filter(case=case).select_related("entry")[:20])
                if qa.is_senior_for(analyst, case)
                else []
            ),
        },
        status=status,
    )


def _traced_facts(case: Case) -> dict[str, str]:
    """What the hosting trace already knows, to pre-fill the assessment (the analyst may
    change it): the hosting country."""
    trace = latest_trace(case)
    return {"hosting_country": trace.country} if trace and trace.country else {}


def _captured(case: Case) -> dict[str, Any]:
    """What the safe fetcher and the hosting trace found, shown beside the case: metadata
    and hashes only, never the images."""
    capture = Capture.objects.filter(case=case).order_by("-captured_at").first()
    stored: list[int] = (
        list(
            capture.images.filter(evidence__isnull=False).values_list("pk", flat=True)[
                :CAPTURED_IMAGES_SHOWN
            ]
        )
        if capture
        else []
    )
    return {
        # Only from the evidence store, when it is on: the hotline's own copies, blurred.
        "previews": [
            welfare.Preview(
                src=reverse("takedown:preview", args=[case.pk, pk]),
                label=_("Captured image %(n)d") % {"n": n},
            )
            for n, pk in enumerate(stored, start=1)
        ],
        "capture": capture,
        "captured_images": capture.images.all()[:CAPTURED_IMAGES_SHOWN] if capture else [],
        "trace": latest_trace(case),
        "takedown": Takedown.objects.filter(case=case).first(),
    }


@require_POST
@verified_staff_required
def release(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible_case(request, case_id)
    actions.record_exposure(analyst=signed_in_staff(request), beat=welfare.CASE_LEFT)
    actions.release_case(case=case, analyst=signed_in_staff(request))
    messages.success(request, _("Case %(case)d returned to the queue.") % {"case": case.pk})
    return HttpResponseRedirect(reverse("assessment:queue"))


# Quality assurance, appeals and corrections: the queues, the case page's QA forms, the QA
# figures. Who may do what is decided in the actions (and assessment/qa.py); a refusal comes
# back as a message on the case page.


def _qa_forms(
    case_qa: qa.CaseQa, outcomes: list[SchemeOutcome], bound: dict[str, forms.Form]
) -> dict[str, forms.Form | None]:
    # The case page's QA forms for this user, unbound unless a POST just failed validation.
    qa_form: forms.Form | None = None
    if case_qa.stage in ("second", "senior"):
        qa_form = AssessmentForm(outcomes=outcomes, prefix="qa")
    elif case_qa.stage == "appeal":
        qa_form = AppealReassessmentForm(outcomes=outcomes, prefix="qa")
    unbound: dict[str, forms.Form | None] = {
        "qa_form": qa_form,
        "appeal_form": AppealForm(prefix="appeal") if case_qa.may_record_appeal else None,
        "correction_form": (
            CorrectionForm(outcomes=outcomes, prefix="correction") if case_qa.may_correct else None
        ),
        "domain_form": (
            WholeDomainForm(domains=case_qa.listable_domains, prefix="domain")
            if case_qa.listable_domains
            else None
        ),
    }
    return {**unbound, **bound}


def _duplicate_named(form: AssessmentForm, analyst: StaffUser) -> Case | None:
    number = form.cleaned_data.get("duplicate_of")
    if not number:
        return None
    duplicate_of = assessable_cases(analyst).filter(pk=number).first()
    if duplicate_of is None:
        form.add_error("duplicate_of", _("There is no case %(n)d you can see.") % {"n": number})
    return duplicate_of


def _back_to_case(case: Case) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("assessment:case", args=[case.pk]))


@require_POST
@verified_staff_required
def second_assessment(request: HttpRequest, case_id: int) -> HttpResponse:
    analyst = signed_in_staff(request)
    case = _visible_case(request, case_id)
    form = AssessmentForm(request.POST, outcomes=outcomes_of(scheme_for(case.portal)), prefix="qa")
    duplicate_of = _duplicate_named(form, analyst) if form.is_valid() else None
    if form.errors:
        return _case_page(request, case, analyst, qa_forms={"qa_form": form}, status=400)
    try:
        review = actions.record_second_assessment(
            case=case,
            analyst=analyst,
            outcome=form.chosen_outcome(),
            facts=form.facts(),
            duplicate_of=duplicate_of,
            notes=form.cleaned_data["notes"],
        )
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return _back_to_case(case)
    if review.agreed:
        text = _("Case %(case)d: the second assessment agrees; the result is acted on.")
    else:
        text = _("Case %(case)d: the second assessment differs; a senior analyst decides.")
    messages.success(request, text % {"case": case.pk})
    return HttpResponseRedirect(reverse("assessment:qa_queue"))


@require_POST
@verified_staff_required
def decide_disagreement(request: HttpRequest, case_id: int) -> HttpResponse:
    senior = signed_in_staff(request)
    case = _visible_case(request, case_id)
    form = AssessmentForm(request.POST, outcomes=outcomes_of(scheme_for(case.portal)), prefix="qa")
    duplicate_of = _duplicate_named(form, senior) if form.is_valid() else None
    if form.errors:
        return _case_page(request, case, senior, qa_forms={"qa_form": form}, status=400)
    try:
        actions.decide_disagreement(
            case=case,
            senior=senior,
            outcome=form.chosen_outcome(),
            facts=form.facts(),
            duplicate_of=duplicate_of,
            notes=form.cleaned_data["notes"],
        )
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return _back_to_case(case)
    messages.success(request, _("Case %(case)d: decided.") % {"case": case.pk})
    return HttpResponseRedirect(reverse("assessment:senior_queue"))


@require_POST
@verified_staff_required
def record_appeal(request: HttpRequest, case_id: int) -> HttpResponse:
    senior = signed_in_staff(request)
    case = _visible_case(request, case_id)
    form = AppealForm(request.POST, prefix="appeal")
    if not form.is_valid():
        return _case_page(request, case, senior, qa_forms={"appeal_form": form}, status=400)
    try:
        actions.record_appeal(
            case=case,
            senior=senior,
            appellant=Appellant(form.cleaned_data["appellant"]),
            organisation=form.cleaned_data["organisation"],
            reference=form.cleaned_data["reference"],
        )
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return _back_to_case(case)
    messages.success(
        request,
        _(
            "Appeal of case %(case)d recorded. A senior analyst who did not assess the case "
            "re-assesses it."
        )
        % {"case": case.pk},
    )
    return _back_to_case(case)


@require_POST
@verified_staff_required
def decide_appeal(request: HttpRequest, case_id: int) -> HttpResponse:
    senior = signed_in_staff(request)
    case = _visible_case(request, case_id)
    form = AppealReassessmentForm(
        request.POST, outcomes=outcomes_of(scheme_for(case.portal)), prefix="qa"
    )
    if not form.is_valid():
        return _case_page(request, case, senior, qa_forms={"qa_form": form}, status=400)
    try:
        appeal = actions.decide_appeal(
            case=case,
            senior=senior,
            outcome=form.chosen_outcome(),
            facts=form.facts(),
            notes=form.cleaned_data["notes"],
        )
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return _back_to_case(case)
    if appeal.decision == AppealDecision.UPHELD:
        text = _("Appeal of case %(case)d upheld: its address has left the URL list.")
    else:
        text = _("Appeal of case %(case)d refused: the case stays confirmed.")
    messages.success(request, text % {"case": case.pk})
    return HttpResponseRedirect(reverse("assessment:senior_queue"))


@require_POST
@verified_staff_required
def correct_result(request: HttpRequest, case_id: int) -> HttpResponse:
    senior = signed_in_staff(request)
    case = _visible_case(request, case_id)
    form = CorrectionForm(
        request.POST, outcomes=outcomes_of(scheme_for(case.portal)), prefix="correction"
    )
    if not form.is_valid():
        return _case_page(request, case, senior, qa_forms={"correction_form": form}, status=400)
    try:
        actions.correct_result(
            case=case,
            senior=senior,
            outcome=form.chosen_outcome(),
            reason=form.cleaned_data["reason"],
        )
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return _back_to_case(case)
    messages.success(request, _("Case %(case)d corrected.") % {"case": case.pk})
    return _back_to_case(case)


@require_POST
@verified_staff_required
def list_whole_domain(request: HttpRequest, case_id: int) -> HttpResponse:
    senior = signed_in_staff(request)
    case = _visible_case(request, case_id)
    form = WholeDomainForm(
        request.POST, domains=qa.case_qa(case, senior).listable_domains, prefix="domain"
    )
    if not form.is_valid():
        return _case_page(request, case, senior, qa_forms={"domain_form": form}, status=400)
    domain = form.cleaned_data["domain"]
    try:
        actions.decide_whole_domain(case=case, senior=senior, domain=domain)
    except actions.AssessmentRefused as exc:
        messages.error(request, str(exc))
        return _back_to_case(case)
    messages.success(
        request,
        _("%(domain)s and every address under it are on the URL list.") % {"domain": domain},
    )
    return _back_to_case(case)


@never_cache
@verified_staff_required
def qa_queue(request: HttpRequest) -> HttpResponse:
    analyst = signed_in_staff(request)
    page = Paginator(qa.second_assessment_queue(analyst), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessment/qa_queue.html",
        {"page": page, "is_senior": bool(qa.portal_ids_with_role(analyst, Role.SENIOR_ANALYST))},
    )


@never_cache
@verified_staff_required
def senior_queue(request: HttpRequest) -> HttpResponse:
    senior = signed_in_staff(request)
    if not qa.portal_ids_with_role(senior, Role.SENIOR_ANALYST):
        return render(request, "assessment/senior_queue.html", {"forbidden": True}, status=403)
    return render(
        request,
        "assessment/senior_queue.html",
        {
            "disagreements": qa.disagreement_queue(senior)[:QUEUE_PAGE_SIZE],
            "appeals": qa.appeal_queue(senior)[:QUEUE_PAGE_SIZE],
        },
    )


@never_cache
@verified_staff_required
def qa_figures(request: HttpRequest) -> HttpResponse:
    user = signed_in_staff(request)
    allowed = qa.qa_portal_ids(user)
    if not allowed:
        return render(request, "assessment/qa_figures.html", {"forbidden": True}, status=403)
    portals = list(Portal.objects.filter(pk__in=allowed).order_by("code"))
    chosen = [p for p in portals if p.code == request.GET.get("portal")] or portals
    period: qa.Period = "week" if request.GET.get("period") == "week" else "month"
    return render(
        request,
        "assessment/qa_figures.html",
        {
            "portals": portals,
            "portal": chosen[0].code if len(chosen) == 1 else "",
            "figures": qa.agreement({p.pk for p in chosen}, period),
        },
    )
