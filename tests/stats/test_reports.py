"""The partner reports as PDF: monthly, quarterly and annual, in the portal's languages, with
the dashboard's tables and charts, printed by WeasyPrint with nothing fetched but the vendored
fonts; counts only, never a URL, hash, description, reference or case id."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from django.test import Client
from weasyprint import HTML

from hotline.accounts.models import Role
from hotline.portals.models import Portal
from hotline.stats import reports
from hotline.stats.reports import BadPeriod, FontsOnly, ReportKind, ReportPeriod
from tests.assessment.qa_world import signed_in, staff
from tests.conftest import Analyst
from tests.stats.reports_world import History, make_history, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tn: Portal, alice: Analyst) -> History:
    return make_history(tn, alice)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# Periods


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-03", ReportKind.MONTH, date(2026, 3, 1), date(2026, 4, 1)),
        ("2026-12", ReportKind.MONTH, date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-q1", ReportKind.QUARTER, date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-Q4", ReportKind.QUARTER, date(2026, 10, 1), date(2027, 1, 1)),
        ("2026", ReportKind.YEAR, date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_a_period_is_read_from_its_address_with_its_bounds(
    text: str, kind: ReportKind, start: date, end: date
) -> None:
    period = ReportPeriod.parse(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert ReportPeriod.parse(period.slug) == period
    assert period.following().start == end
    assert period.following().previous() == period


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-q5", "2026-q0", "26", "2026-1", "x"])
def test_a_malformed_period_is_refused(text: str) -> None:
    with pytest.raises(BadPeriod):
        ReportPeriod.parse(text)


def test_a_portal_has_reports_from_its_launch_to_the_period_under_way(history: History) -> None:
    portal = history.portal
    on = reports.today()
    quarters = reports.report_periods(portal, ReportKind.QUARTER, on=on)
    assert quarters[0] == ReportPeriod.holding(ReportKind.QUARTER, on)
    assert quarters == sorted(quarters, reverse=True)
    assert quarters[-1].start <= reports.launch_day(portal) <= quarters[-1].last_day
    assert reports.has_report(portal, quarters[-1])
    assert not reports.has_report(portal, quarters[-1].previous())
    assert not reports.has_report(portal, quarters[0].following())


# The PDFs


@pytest.mark.parametrize("kind", list(ReportKind))
def test_each_kind_of_report_prints_the_counts_and_the_period(
    history: History, kind: ReportKind
) -> None:
    period = ReportPeriod.holding(kind, reports.today())

    pdf = reports.render_report_pdf(portal=history.portal, period=period, language="en")

    assert pdf.startswith(b"%PDF-")
    pages = pdf_text(pdf)
    text = one_line(" ".join(pages))
    assert "Tunisia Reporting Portal" in text
    assert period.label in text
    assert {ReportKind.MONTH: "Monthly report", ReportKind.QUARTER: "Quarterly report",
            ReportKind.YEAR: "Annual report"}[kind] in text  # fmt: skip
    assert "Reports received 2" in text
    assert "URLs reported 3" in text
    assert "URLs assessed 2" in text
    assert "Confirmed as child sexual abuse material 1" in text
    assert "Counts only" in text
    assert f"Generated on {reports.today().isoformat()}" in text
    assert f"1 / {len(pages)}" in one_line(pages[0])
    for secret in history.secrets:
        assert secret not in text


def test_the_same_figures_on_the_same_day_print_the_same_bytes(history: History) -> None:
    period = ReportPeriod.holding(ReportKind.QUARTER, reports.today())
    first = reports.render_report_pdf(portal=history.portal, period=period, language="fr")
    again = reports.render_report_pdf(portal=history.portal, period=period, language="fr")
    assert first == again


def test_the_arabic_report_is_right_to_left_with_its_charts(history: History) -> None:
    period = ReportPeriod.holding(ReportKind.YEAR, reports.today())

    html = reports.render_report_html(portal=history.portal, period=period, language="ar")
    pdf = reports.render_report_pdf(portal=history.portal, period=period, language="ar")

    assert '<html lang="ar" dir="rtl">' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    text = " ".join(pdf_text(pdf))
    assert "تونس" in text  # the portal's name, in Arabic
    assert re.search("[\u0600-\u06ff]{4}", text)
    for secret in history.secrets:
        assert secret not in text


def test_the_report_prints_with_the_vendored_fonts(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []

    class Recording(FontsOnly):
        def fetch(self, url: str, headers: object = None) -> object:
            fetched.append(url)
            return super().fetch(url, headers)

    monkeypatch.setattr(reports, "FontsOnly", Recording)
    period = ReportPeriod.holding(ReportKind.MONTH, reports.today())
    reports.render_report_pdf(portal=history.portal, period=period, language="fr")
    assert sorted(set(fetched)) == [
        "hotline-font:DejaVuSans-Bold.ttf",
        "hotline-font:DejaVuSans.ttf",
    ]


SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Recorder.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_report_fetches_nothing_but_its_fonts(web: str, tmp_path: object) -> None:
    page = f"""<html><head><style>
    @import url("{web}/style.css");
    @font-face {{ font-family: Other; src: url("file://{SERIF}"); }}
    body {{ background: url("{web}/background.png"); font-family: Other; }}
    </style></head><body>
    <img src="{web}/image.png" alt="">
    <img src="file:///etc/hostname" alt="">
    <img src="data:image/png;base64,iVBORw0KGgo=" alt="">
    <p>text</p></body></html>"""

    pdf = HTML(string=page, url_fetcher=FontsOnly()).write_pdf()

    assert pdf is not None and pdf.startswith(b"%PDF")
    assert Recorder.requests == []
    assert b"DejaVuSerif" not in pdf and b"/Subtype /Image" not in pdf
    fetcher = FontsOnly()
    for url in (f"{web}/image.png", "file:///etc/hostname", "hotline-font:../../settings.py",
                "hotline-font:/etc/passwd", "https://example.test/DejaVuSans.ttf"):  # fmt: skip
        with pytest.raises(ValueError, match="reports load nothing but their fonts"):
            fetcher.fetch(url)
    assert fetcher.fetch("hotline-font:DejaVuSans.ttf").read()[:4] == b"\x00\x01\x00\x00"


# The page


def viewer(portals: list[str]) -> Analyst:
    return staff("vera", portals, Role.PARTNER_VIEWER)


def report_url(period: ReportPeriod, lang: str = "", portal: str = "tn") -> str:
    query = f"?lang={lang}" if lang else ""
    return f"/staff/figures/reports/{portal}/{period.slug}.pdf{query}"


def test_a_partner_viewer_downloads_their_portals_report_in_each_language(
    history: History,
) -> None:
    client = signed_in(viewer(["tn"]))
    quarter = ReportPeriod.holding(ReportKind.QUARTER, reports.today())

    page = client.get("/staff/figures/").content.decode()
    assert 'data-testid="reports"' in page
    for lang in ("ar", "fr", "en"):
        assert f'href="{report_url(quarter, lang)}"' in page
    assert f'href="{report_url(quarter.previous(), "fr")}"' in page
    year = ReportPeriod.holding(ReportKind.YEAR, reports.today())
    assert f'href="{report_url(year, "en")}"' in page

    response = client.get(report_url(quarter, "fr"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'report-tn-{quarter.slug}-fr.pdf"' in response["Content-Disposition"]
    text = " ".join(pdf_text(response.content))
    assert "Portail de signalement de la Tunisie" in text
    # Without ?lang=, the portal's default language (Arabic).
    default = client.get(report_url(quarter))
    assert default.status_code == 200 and "تونس" in " ".join(pdf_text(default.content))


def test_administrators_download_any_portals_report(history: History, ma: Portal) -> None:
    Portal.objects.filter(pk=ma.pk).update(launched_at=history.portal.launched_at)
    client = signed_in(staff("ada", ["tn"], Role.ADMINISTRATOR))
    year = ReportPeriod.holding(ReportKind.YEAR, reports.today())
    assert client.get(report_url(year, "en", "ma")).status_code == 200


def test_a_portal_the_user_may_not_see_is_not_found(history: History, ma: Portal) -> None:
    client = signed_in(viewer(["ma"]))
    year = ReportPeriod.holding(ReportKind.YEAR, reports.today())
    assert client.get(report_url(year, "en", "tn")).status_code == 404
    assert client.get(report_url(year, "en", "zz")).status_code == 404


def test_staff_without_a_figures_role_are_refused(history: History, alice: Analyst) -> None:
    year = ReportPeriod.holding(ReportKind.YEAR, reports.today())
    assert signed_in(alice).get(report_url(year, "en")).status_code == 403
    assert Client().get(report_url(year, "en")).status_code == 302  # to sign in


@pytest.mark.parametrize(
    ("period", "lang", "message"),
    [
        ("2026-13", "en", "That is not a period"),
        ("last-quarter", "en", "That is not a period"),
        ("2026-q1", "es", "in ar, fr, en"),
        ("2000", "en", "There is no report for that period"),
        ("future", "en", "There is no report for that period"),
    ],
)
def test_a_report_that_cannot_be_printed_is_refused_with_why(
    history: History, period: str, lang: str, message: str
) -> None:
    if period == "future":
        period = ReportPeriod.holding(ReportKind.MONTH, reports.today()).following().slug
    elif period == "2026-q1":
        period = ReportPeriod.holding(ReportKind.QUARTER, reports.today()).slug
    response = signed_in(viewer(["tn"])).get(f"/staff/figures/reports/tn/{period}.pdf?lang={lang}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_quarterly_report_prints_in_seconds(history: History) -> None:
    # The dashboard links render on request: it must stay a matter of a second or two.
    import time

    period = ReportPeriod.holding(ReportKind.QUARTER, reports.today())
    started = time.perf_counter()
    reports.render_report_pdf(portal=history.portal, period=period, language="ar")
    assert time.perf_counter() - started < 10
