"""The partner figures under /staff/figures/: a portal's dashboard (partner viewers their
portals', administrators every portal's), its tables as CSV, and the network view for
administrators. Thin: hotline/stats/dashboard.py and network.py build what they show, from the
rollups only. Nothing here can show a URL, hash, description, reference or case id: the
rollups hold none."""

from __future__ import annotations

import csv
from io import StringIO

from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hotline.accounts.access import signed_in_staff, verified_staff_required
from hotline.portals.models import Portal
from hotline.stats import dashboard, network, reports
from hotline.stats.access import figures_portals, sees_every_portal
from hotline.stats.forms import DashboardForm, NetworkForm

# A spreadsheet reads a cell that starts with one of these as a formula (after any spaces; the
# full-width forms too, which some spreadsheets fold to the ASCII ones).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@verified_staff_required
@require_safe
@never_cache
def figures(request: HttpRequest) -> HttpResponse:
    """A portal's dashboard, or one of its tables as CSV (`?csv=<table>`)."""
    user = signed_in_staff(request)
    portals = figures_portals(user)
    first = portals.first()
    if first is None:
        return render(request, "stats/dashboard.html", {"forbidden": True}, status=403)
    query = request.GET.copy()
    query.setdefault("portal", first.code)
    form = DashboardForm(query, portals=portals)
    context = {
        "form": form,
        "network": sees_every_portal(user),
        "period_choices": form.fields["period"].widget.choices,
    }
    if not form.is_valid():
        return render(request, "stats/dashboard.html", context, status=400)
    board = dashboard.build(
        portal=form.chosen_portal(),
        range=form.range,
        language=get_language(),
        nonce=get_nonce(request),
    )
    if "csv" in request.GET:
        table = board.table(request.GET["csv"])
        if table is None:
            names = ", ".join(t.slug for t in board.tables)
            return HttpResponse(
                _("There is no table %(name)s to download; the tables are: %(names)s.")
                % {"name": repr(request.GET["csv"][:40]), "names": names},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return csv_response(
            f"figures-{board.portal.code}-{board.range.period}-{board.range.start}-"
            f"{board.range.last_day}-{table.slug}.csv",
            table.header,
            table.rows,
        )
    query.pop("csv", None)
    context.update(
        board=board,
        reports=report_links(board.portal),
        query=query.urlencode(),
        first_week=dashboard.first_week_sentence(board),
        since_launch=dashboard.summary_rows(board.since_launch, board.language),
    )
    return render(request, "stats/dashboard.html", context)


def report_links(portal: Portal) -> list[tuple[str, list[tuple[str, str]]]]:
    """The reports the dashboard offers: every quarter and year since the launch, newest
    first, each with a link per language of the portal: [(period, [(language, address)])]."""
    links = []
    for kind in (reports.ReportKind.QUARTER, reports.ReportKind.YEAR):
        for period in reports.report_periods(portal, kind):
            address = reverse("figures:report", args=[portal.code, period.slug])
            links.append(
                (period.label, [(lang, f"{address}?lang={lang}") for lang in portal.languages])
            )
    return links


@verified_staff_required
@require_safe
@never_cache
def report_pdf(request: HttpRequest, portal_code: str, period: str) -> HttpResponse:
    """A portal's monthly, quarterly or annual report as PDF, in one of its languages
    (`?lang=`, else its default one): for whoever may see its dashboard."""
    portals = figures_portals(signed_in_staff(request))
    if not portals.exists():
        return render(request, "stats/dashboard.html", {"forbidden": True}, status=403)
    portal = portals.filter(code=portal_code).first()
    if portal is None:
        raise Http404("No such portal")
    language = request.GET.get("lang") or portal.default_language
    try:
        report_period = reports.ReportPeriod.parse(period)
    except reports.BadPeriod:
        return _refused(
            request,
            _(
                "That is not a period: write a month as 2026-03, a quarter as 2026-q1, a year "
                "as 2026."
            ),
        )
    if language not in portal.languages:
        return _refused(
            request,
            _("This portal's reports are in %(languages)s.")
            % {"languages": ", ".join(portal.languages)},
        )
    if not reports.has_report(portal, report_period):
        return _refused(
            request,
            _(
                "There is no report for that period: it is before the portal's launch, or "
                "still to come."
            ),
        )
    pdf = reports.render_report_pdf(portal=portal, period=report_period, language=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="report-{portal.code}-{report_period.slug}-{language}.pdf"'
    )
    return response


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "stats/report_refused.html", {"message": message}, status=400)


@verified_staff_required
@require_safe
@never_cache
def network_view(request: HttpRequest) -> HttpResponse:
    """Every portal side by side, for administrators; filterable by funder."""
    if not sees_every_portal(signed_in_staff(request)):
        return render(request, "stats/network.html", {"forbidden": True}, status=403)
    language = get_language()
    form = NetworkForm(request.GET, funders=network.funders(language))
    if not form.is_valid():
        return render(request, "stats/network.html", {"form": form}, status=400)
    funder = form.cleaned_data.get("funder")
    lines = network.network(language=language, funder_id=int(funder) if funder else None)
    header, rows = network.table(lines, language)
    if "csv" in request.GET:
        return csv_response("figures-network.csv", header, rows)
    query = request.GET.copy()
    query.pop("csv", None)
    return render(
        request,
        "stats/network.html",
        {"form": form, "header": header, "rows": rows, "query": query.urlencode()},
    )


def csv_response(filename: str, header: list[str], rows: list[list[str]]) -> HttpResponse:
    """A table as a CSV download: UTF-8 with a byte order mark (so that spreadsheets read
    Arabic right), and no cell that a spreadsheet would run as a formula."""
    out = StringIO()
    writer = csv.writer(out)
    for line in [header, *rows]:
        writer.writerow(
            ["'" + cell if cell.lstrip(" ").startswith(FORMULA_STARTS) else cell for cell in line]
        )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
