"""The public portal pages: the report form and the receipt. They work with JavaScript off."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from hotline.intake.actions import file_report
from hotline.intake.forms import ReportForm
from hotline.portals.models import Portal
from hotline.portals.routing import portal_view

RECEIPT_SESSION_KEY = "intake_receipt"


def _portal_context(portal: Portal, lang: str) -> dict[str, object]:
    return {
        "portal": portal,
        "portal_name": portal.name_in(lang),
        "lang": lang,
        "languages": [
            (code, name) for code, name in settings.LANGUAGES if code in portal.languages
        ],
        "partners": [
            (link.partner.name_in(lang), link.role)
            for link in portal.partnerships.select_related("partner").order_by("position")
        ],
    }


@never_cache
@csrf_protect
@portal_view
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
            }
            return HttpResponseRedirect(f"/{portal.code}/{lang}/thanks/")
        context = {"form": form, **_portal_context(portal, lang)}
        return render(request, "intake/report_form.html", context, status=400)
    return render(
        request, "intake/report_form.html", {"form": form, **_portal_context(portal, lang)}
    )


@never_cache
@portal_view
def receipt(request: HttpRequest, portal: Portal, lang: str) -> HttpResponse:
    data = request.session.pop(RECEIPT_SESSION_KEY, None)
    if not data:
        return HttpResponseRedirect(f"/{portal.code}/{lang}/")
    return render(request, "intake/receipt.html", {**data, **_portal_context(portal, lang)})
