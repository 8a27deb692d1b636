"""The public report form, its receipt and the status page. They work with JavaScript off."""

from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from hotline.intake.actions import file_report
from hotline.intake.forms import ReportForm
from hotline.portals.models import Portal
from hotline.portals.pages import portal_page
from hotline.portals.resolver import portal_kwargs

RECEIPT_SESSION_KEY = "intake_receipt"


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@portal_page
def report_form(request: HttpRequest, portal: Portal, lang: str) -> HttpResponse:
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            report = file_report(
                portal=portal,
                language=lang,
                urls=form.cleaned_data["urls"],
                description=form.cleaned_data["description"],
            )
            # The receipt travels in the session, not the URL: it stays out of browser history
            # and a reload cannot file the report twice.
            request.session[RECEIPT_SESSION_KEY] = {
                "reference": report.reference,
                "count": len(form.cleaned_data["urls"]),
                "received": report.received_at.date().isoformat(),
            }
            return HttpResponseRedirect(
                reverse("intake:receipt", kwargs=portal_kwargs(portal, lang))
            )
        return render(request, "intake/report_form.html", {"form": form}, status=400)
    return render(request, "intake/report_form.html", {"form": form})


@never_cache
@require_safe
@portal_page
def receipt(request: HttpRequest, portal: Portal, lang: str) -> HttpResponse:
    data = request.session.pop(RECEIPT_SESSION_KEY, None)
    if not data:
        return HttpResponseRedirect(reverse("intake:report", kwargs=portal_kwargs(portal, lang)))
    received = data.get("received")
    return render(
        request,
        "intake/receipt.html",
        {**data, "received": datetime.date.fromisoformat(received) if received else None},
    )


@require_safe
@portal_page
def status(request: HttpRequest, portal: Portal, lang: str) -> HttpResponse:
    """Where a reporter will check a report with its reference (the follow-up comes next)."""
    return render(request, "intake/status.html")
