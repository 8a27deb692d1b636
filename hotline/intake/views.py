"""The public report form, its receipt and the status page. They work with JavaScript off."""

from __future__ import annotations

import datetime
import json

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from hotline.core.views import csrf_failure as plain_csrf_failure
from hotline.intake.actions import file_report
from hotline.intake.forms import RECEIPT, ReportForm
from hotline.intake.limits import report_wait
from hotline.intake.models import Report
from hotline.intake.pow import FIELD, Verdict, check_solution, count_submission, new_challenge
from hotline.intake.receipts import receipt_matches
from hotline.intake.status import report_status
from hotline.portals.models import Portal
from hotline.portals.pages import portal_page
from hotline.portals.resolver import language_of, portal_kwargs, portal_of

# The reference (and receipt code) go from the form to the thanks page in a short-lived signed
# cookie, scoped to that page: not in the address (browser history), not in a server-side
# session (the server keeps no copy of the receipt code, and filing costs no session write).
RECEIPT_COOKIE = "hotline_receipt"
RECEIPT_COOKIE_SALT = "hotline.intake.receipt"
RECEIPT_COOKIE_SECONDS = 600


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@portal_page
def report_form(request: HttpRequest, portal: Portal, lang: str) -> HttpResponse:
    if request.method == "POST":
        count_submission(portal)
        # With a proof of work or without (JavaScript off), the report goes ahead; only where
        # it is queued, and which limits hold it back, depend on it.
        verified = check_solution(request.POST.get(FIELD, ""), portal=portal) == Verdict.VERIFIED
        wait, why = report_wait(request, portal, verified=verified)
        if wait:
            response = render_wait(request, portal, lang, why)
            response["Retry-After"] = str(wait)
            return response
    form = ReportForm(request.POST or None)  # after the limits: a flood's refusals skip it
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            filed = file_report(
                portal=portal,
                language=lang,
                urls=data["urls"],
                description=data["description"],
                content_seen=data["content_seen"],
                found_on=data["found_on"],
                with_receipt=data["follow_up"] == RECEIPT,
                status_email=form.status_email_address(),
                verified=verified,
            )
            # Redirected, so a reload cannot file the report twice.
            thanks = reverse("intake:receipt", kwargs=portal_kwargs(portal, lang))
            response = HttpResponseRedirect(thanks)
            response.set_signed_cookie(
                RECEIPT_COOKIE,
                json.dumps(
                    {
                        "reference": filed.report.reference,
                        "receipt": filed.receipt,
                        "count": len(data["urls"]),
                        "received": filed.report.received_at.date().isoformat(),
                        # Only that an address was given: never the address itself.
                        "status_email": bool(form.status_email_address()),
                    }
                ),
                salt=RECEIPT_COOKIE_SALT,
                max_age=RECEIPT_COOKIE_SECONDS,
                path=thanks,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Strict",
            )
            return response
        return render_form(request, {"form": form}, status=400)
    return render_form(request, {"form": form})


def render_form(
    request: HttpRequest, context: dict[str, object], status: int = 200
) -> HttpResponse:
    """The report form page, with what its proof-of-work script needs."""
    return render(
        request, "intake/report_form.html", {**context, "pow_field": FIELD}, status=status
    )


def render_wait(request: HttpRequest, portal: Portal, lang: str, why: str) -> HttpResponse:
    """The page of a report a rate limit held back: why, how long, and what was typed, ready
    to send again, so nothing is lost (intake/report_wait.html).

    Under a flood this answers most requests, so it is cheap: no form is built and the page
    is rendered without the portal's context processors (menus, help list): no database query.
    """
    kwargs = portal_kwargs(portal, lang)
    fields = ReportForm.base_fields
    context = {
        "wait": why,
        "typed": [
            (name, fields[name].label, request.POST.get(name, ""))
            for name in ("urls", "description")
        ],
        "portal_name": portal.name_in(lang),
        "brand_colour": portal.option("primary_colour"),
        "csp_nonce": get_nonce(request),
        "favicon_url": reverse("portals:favicon", kwargs={"portal_code": portal.code}),
        "home": reverse("portals:home", kwargs=kwargs),
        "action": reverse("intake:report", kwargs=kwargs),
        "challenge": reverse("intake:challenge", kwargs=kwargs),
        "pow_field": FIELD,
        "csrf_token": get_token(request),
        # The answers that are not typed travel on as they came; the form checks them again.
        "kept": [
            (name, value)
            for name in (
                "content_seen",
                "found_on",
                "follow_up",
                "status_email",
                "status_email_consent",
            )
            for value in request.POST.getlist(name)
        ],
    }
    return HttpResponse(render_to_string("intake/report_wait.html", context), status=429)


@never_cache
@require_safe
@portal_page
def challenge(request: HttpRequest, portal: Portal, lang: str) -> JsonResponse:
    """A proof-of-work challenge for the report form (intake.pow), fetched by its script.

    Never cached (each is drawn afresh, at the portal's current difficulty); sets no cookie
    and stores nothing about who asked.
    """
    return JsonResponse(new_challenge(portal=portal))


@never_cache
@require_safe
@portal_page
def receipt(request: HttpRequest, portal: Portal, lang: str) -> HttpResponse:
    """The reference (and receipt code) once: the cookie that brought them is deleted."""
    signed = request.get_signed_cookie(
        RECEIPT_COOKIE, default=None, salt=RECEIPT_COOKIE_SALT, max_age=RECEIPT_COOKIE_SECONDS
    )
    if not signed:
        return HttpResponseRedirect(reverse("intake:report", kwargs=portal_kwargs(portal, lang)))
    data = json.loads(signed)
    received = data.get("received")
    response = render(
        request,
        "intake/receipt.html",
        {**data, "received": datetime.date.fromisoformat(received) if received else None},
    )
    response.delete_cookie(RECEIPT_COOKIE, path=request.path, samesite="Strict")
    return response


class StatusForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=32,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}),
    )
    receipt = forms.CharField(
        label=_("Receipt code"),
        max_length=40,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}),
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@portal_page
def status(request: HttpRequest, portal: Portal, lang: str) -> HttpResponse:
    """The status of a report, for whoever holds its reference and receipt code.

    One answer for an unknown reference, a wrong code and a report filed without a code, in
    the same time (the code is checked against a hash either way): the page cannot be used to
    find out which references exist.
    """
    form = StatusForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"].strip().upper()
        report = Report.objects.filter(reference=reference, portal=portal).first()
        if receipt_matches(form.cleaned_data["receipt"], report.receipt_hash if report else None):
            assert report is not None
            context["status"] = report_status(report).label
        else:
            form.add_error(
                None,
                _(
                    "No report matches this reference number and receipt code. Check both "
                    "and try again; a report sent without a receipt code cannot be checked."
                ),
            )
    status_code = 400 if request.method == "POST" and "status" not in context else 200
    return render(request, "intake/status.html", context, status=status_code)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A report form that expired shows again with what the person typed, ready to send.

    Nothing was saved; a fresh token comes with the page. Other forms get the plain page.
    """
    portal = portal_of(request)
    match = request.resolver_match
    if (
        request.method == "POST"
        and portal is not None
        and match is not None
        and match.view_name == "intake:report"
    ):
        form = ReportForm(request.POST)
        form.is_valid()  # show its own errors too, if there are any
        return render_form(
            request, {"form": form, "expired": True, "lang": language_of(request)}, status=403
        )
    return plain_csrf_failure(request, reason)
