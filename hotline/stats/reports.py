"""A portal's figures as a PDF report: monthly, quarterly or annual, in one of its languages.

The report prints the dashboard's own tables and charts (hotline/stats/dashboard.py, through
templates/stats/_tables.html), so the page, its CSV and the PDF never disagree; its print rules
are in templates/stats/report.html. WeasyPrint prints it, with the DejaVu Sans files vendored
in hotline/portals/fonts and nothing else: its URL fetcher serves those two files and refuses
every other address (no network, no other file), so a report can never fetch anything.

The charts keep only numbers, ISO periods and codes inside the SVG (charts.py says why), which
is what lets an Arabic report print right to left with WeasyPrint.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import ImageFile
from weasyprint import HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse

from hotline.portals.flyer import FONTS_DIR
from hotline.portals.models import Portal
from hotline.stats import dashboard
from hotline.stats.figures import Period, launch_day

# Importing WeasyPrint tells Pillow, for the whole process, to accept truncated images
# (weasyprint/images.py). The reports print no raster image, and the rest of Hotline must
# refuse a cut-short image (hashlist.signals: a damaged upload is NotAnImage, not a hash of
# half a picture), so the setting is put back.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ReportKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


# How a report's period is written in its address: 2026-03, 2026-q1, 2026.
# ASCII digits only: one address per report (\d would take Arabic-Indic digits too).
_PERIOD = re.compile(r"(?P<year>[0-9]{4})(?:-(?:(?P<month>[0-9]{2})|[qQ](?P<quarter>[0-9])))?")
# Each kind's charts and "per period" table: a month per day, a quarter and a year per month
# (periods that never reach outside the report, so every table sums to its total).
CHART_PERIOD = {ReportKind.MONTH: Period.DAY, ReportKind.QUARTER: Period.MONTH}
FIRST_YEAR = 2000
# How many of each kind a year holds.
PER_YEAR = {ReportKind.MONTH: 12, ReportKind.QUARTER: 4, ReportKind.YEAR: 1}


class BadPeriod(ValueError):
    """Not a period a report can be asked for; the message says why, for the person asking."""


@dataclass(frozen=True, order=True)
class ReportPeriod:
    """A calendar month (`number` 1-12), quarter (1-4) or year (`number` 1) of UTC days."""

    kind: ReportKind
    year: int
    number: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.number <= PER_YEAR[self.kind] or not FIRST_YEAR <= self.year <= 9998:
            raise BadPeriod(f"no such {self.kind}: {self.year} {self.number}")

    @classmethod
    def parse(cls, text: str) -> ReportPeriod:
        """The period an address names: `2026-03` (a month), `2026-q1` (a quarter), `2026`."""
        found = _PERIOD.fullmatch(text)
        if found is None:
            raise BadPeriod(text)
        year = int(found["year"])
        if found["month"]:
            return cls(ReportKind.MONTH, year, int(found["month"]))
        if found["quarter"]:
            return cls(ReportKind.QUARTER, year, int(found["quarter"]))
        return cls(ReportKind.YEAR, year)

    @classmethod
    def holding(cls, kind: ReportKind, day: date) -> ReportPeriod:
        """The month, quarter or year that holds `day`."""
        if kind == ReportKind.MONTH:
            return cls(kind, day.year, day.month)
        if kind == ReportKind.QUARTER:
            return cls(kind, day.year, (day.month - 1) // 3 + 1)
        return cls(kind, day.year)

    @property
    def start(self) -> date:
        if self.kind == ReportKind.MONTH:
            return date(self.year, self.number, 1)
        if self.kind == ReportKind.QUARTER:
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        return self.following().start

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def following(self) -> ReportPeriod:
        if self.number == PER_YEAR[self.kind]:
            return ReportPeriod(self.kind, self.year + 1, 1)
        return ReportPeriod(self.kind, self.year, self.number + 1)

    def previous(self) -> ReportPeriod:
        if self.number > 1:
            return ReportPeriod(self.kind, self.year, self.number - 1)
        return ReportPeriod(self.kind, self.year - 1, PER_YEAR[self.kind])

    @property
    def slug(self) -> str:
        """As the report's address writes it: 2026-03, 2026-q1, 2026."""
        if self.kind == ReportKind.MONTH:
            return f"{self.year}-{self.number:02d}"
        if self.kind == ReportKind.QUARTER:
            return f"{self.year}-q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        """As the report prints it, the same in every language: 2026-03, 2026-Q1, 2026."""
        return self.slug.upper()

    @property
    def chart_period(self) -> Period:
        return CHART_PERIOD.get(self.kind, Period.MONTH)


def today() -> date:
    return datetime.now(UTC).date()


def has_report(portal: Portal, period: ReportPeriod, *, on: date | None = None) -> bool:
    """Whether `portal` has a report for `period`: launched by its last day, and the period
    begun (the one under way has a report of its days so far)."""
    on = on or today()
    return (
        portal.launched_at is not None
        and period.start <= on
        and launch_day(portal) <= period.last_day
    )


def report_periods(
    portal: Portal, kind: ReportKind, *, on: date | None = None
) -> list[ReportPeriod]:
    """The `kind` periods `portal` has a report for, newest first (the one under way first)."""
    on = on or today()
    if portal.launched_at is None:
        return []
    period = ReportPeriod.holding(kind, on)
    first = ReportPeriod.holding(kind, launch_day(portal))
    periods = []
    while period >= first:
        periods.append(period)
        period = period.previous()
    return periods


def title_of(kind: ReportKind) -> str:
    return {
        ReportKind.MONTH: _("Monthly report"),
        ReportKind.QUARTER: _("Quarterly report"),
        ReportKind.YEAR: _("Annual report"),
    }[kind]


# The fonts a report may load: the vendored DejaVu Sans, by a name of our own (no scheme a
# browser or urllib knows), so that nothing else can be reached by any address.
FONT_SCHEME = "hotline-font:"
FONTS = {
    f"{FONT_SCHEME}DejaVuSans.ttf": FONTS_DIR / "DejaVuSans.ttf",
    f"{FONT_SCHEME}DejaVuSans-Bold.ttf": FONTS_DIR / "DejaVuSans-Bold.ttf",
}


class FontsOnly(URLFetcher):
    """WeasyPrint's URL fetcher for the reports: the two vendored font files, and nothing
    else (every other address, http, https, file or data, is refused)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=[], allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> Any:
        path = FONTS.get(url)
        if path is None:
            raise ValueError(f"reports load nothing but their fonts, not {url[:80]}")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "font/ttf"})


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, anything but ASCII letters and digits escaped (so that
    no text can end the string or the style element); the space after each escape ends it."""
    return (
        '"' + "".join(c if c.isalnum() and c.isascii() else f"\\{ord(c):06x} " for c in text) + '"'
    )


def render_report_html(
    *, portal: Portal, period: ReportPeriod, language: str, on: date | None = None
) -> str:
    """The report's HTML, in `language` (the PDF is printed from it)."""
    on = on or today()
    # The period under way is reported up to today.
    end = min(period.end, on + timedelta(days=1))
    with translation.override(language):
        board = dashboard.build(
            portal=portal,
            range=dashboard.Range(period.chart_period, period.start, max(end, period.start)),
            language=language,
            nonce=None,
        )
        return render_to_string(
            "stats/report.html",
            {
                "board": board,
                "portal_name": portal.name_in(language),
                "title": title_of(period.kind),
                "period": period,
                "complete": end == period.end,
                "first_day": period.start.isoformat(),
                "last_day": (end - timedelta(days=1)).isoformat(),
                "language": language,
                "bidi": translation.get_language_bidi(),
                "font_regular": f"{FONT_SCHEME}DejaVuSans.ttf",
                "font_bold": f"{FONT_SCHEME}DejaVuSans-Bold.ttf",
                # The margins' texts: CSS strings, every character escaped.
                "running_css": css_string(
                    f"{portal.name_in(language)} \N{MIDDLE DOT} {title_of(period.kind)} "
                    f"\N{MIDDLE DOT} {period.label}"
                ),
                "generated_css": css_string(_("Generated on %(day)s") % {"day": on.isoformat()}),
            },
        )


# pygal names each chart by a random UUID (its style rules are scoped to it).
_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _numbered_charts(html: str) -> str:
    """`html` with pygal's random chart ids numbered in order instead, so that the same
    figures print the same bytes."""
    numbers: dict[str, str] = {}
    return _CHART_ID.sub(
        lambda found: numbers.setdefault(found[0], f"chart-{len(numbers) + 1}"), html
    )


def render_report_pdf(
    *, portal: Portal, period: ReportPeriod, language: str, on: date | None = None
) -> bytes:
    """`portal`'s report of `period` in `language`, as PDF bytes: the same bytes for the same
    figures on the same day (no creation time is written; `on` is the day printed on it)."""
    html = _numbered_charts(
        render_report_html(portal=portal, period=period, language=language, on=on)
    )
    pdf = HTML(string=html, url_fetcher=FontsOnly()).write_pdf()
    assert pdf is not None
    return bytes(pdf)
