"""A portal's dashboard, as data: what the page at /staff/figures/, its CSV exports, the PDF
reports and the monthly e-mail show. Built from the rollups only (hotline/stats/figures.py):
four queries whatever the number of cases.

Every table has a slug, which names its CSV export (`?csv=<slug>`), so the page, the CSV and
the PDF can never disagree about what a table holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from babel import Locale
from babel.dates import format_timedelta
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hotline.assessment.models import SexShown, SiteType
from hotline.core.classification import Category, OutcomeKind
from hotline.portals.models import Portal
from hotline.stats import charts, rollup
from hotline.stats.figures import (
    Durations,
    Figures,
    Period,
    first_week,
    launch_day,
    since_launch,
    timeline_with_total,
)

# How far back a dashboard looks when no range is asked for: per day, the last 31 days; per
# week, the last 26 weeks; per month, everything since the launch.
DEFAULT_SPAN = {Period.DAY: timedelta(days=31), Period.WEEK: timedelta(weeks=26)}
# The longest range one page draws, so that a hand-written address cannot ask for a chart of
# 100,000 days: about three years of days, ten years of weeks, any number of months.
MAX_PERIODS = {Period.DAY: 1100, Period.WEEK: 530, Period.MONTH: 1200}


@dataclass(frozen=True)
class Range:
    """The days from `start` up to (not including) `end`, shown per `period`."""

    period: Period
    start: date
    end: date

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def today() -> date:
    return datetime.now(UTC).date()


def default_range(portal: Portal, period: Period) -> Range:
    """The range a dashboard shows when none is asked for (see DEFAULT_SPAN)."""
    end = today() + timedelta(days=1)
    if period == Period.MONTH:
        start = launch_day(portal)
    else:
        start = max(launch_day(portal), end - DEFAULT_SPAN[period])
    return Range(period, min(start, today()), end)


def period_label(period: Period, start: date) -> str:
    """A period as ISO writes it, the same in every language: 2026-03-05, 2026-W10, 2026-03."""
    if period == Period.DAY:
        return start.isoformat()
    if period == Period.WEEK:
        year, week, _weekday = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start:%Y-%m}"


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    header: list[str]
    rows: list[list[str]]
    chart: charts.Chart | None = None
    note: str = ""


@dataclass(frozen=True)
class Dashboard:
    portal: Portal
    range: Range
    language: str
    since_launch: Figures
    first_week: Figures
    selected: Figures
    periods: list[Figures]
    tables: list[Table] = field(default_factory=list)

    @property
    def launched(self) -> bool:
        return self.portal.launched_at is not None

    def table(self, slug: str) -> Table | None:
        return next((t for t in self.tables if t.slug == slug), None)


def duration_text(duration: timedelta | None, language: str) -> str:
    """A duration as people say it, in `language` ("3 hours", "« 2 jours »")."""
    if duration is None:
        return charts.NO_VALUE
    return format_timedelta(duration, locale=_locale(language), threshold=1.5)


def hours(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 3600, 1)


def _locale(language: str) -> Locale:
    return Locale.parse(language.replace("-", "_"))


def summary_rows(figures: Figures, language: str) -> list[list[str]]:
    """The headline figures of a period, as (label, value) rows."""

    def timing(durations: Durations) -> str:
        if not durations.count:
            return charts.NO_VALUE
        return _("median %(median)s, 90%% within %(p90)s (%(count)d)") % {
            "median": duration_text(durations.median, language),
            "p90": duration_text(durations.p90, language),
            "count": durations.count,
        }

    return [
        [_("Reports received"), str(figures.reports)],
        [_("URLs reported"), str(figures.urls)],
        [_("URLs assessed"), str(figures.assessed)],
        [_("Confirmed as child sexual abuse material"), str(figures.confirmed)],
        [_("Not confirmed"), str(figures.not_confirmed)],
        [_("Known content resolved without an analyst"), str(figures.known_resolved)],
        [_("Removed from the internet"), str(figures.removed)],
        [_("Time from report to assessment"), timing(figures.time_to_assessment)],
        [_("Time from confirmation to removal"), timing(figures.time_to_removal)],
    ]


def build(*, portal: Portal, range: Range, language: str, nonce: object = None) -> Dashboard:
    """The dashboard of `portal` over `range`, with its labels in `language`; `nonce` is the
    page's CSP nonce (for the charts' style elements; none in print)."""
    line = timeline_with_total(portal=portal, period=range.period, start=range.start, end=range.end)
    periods, selected = line.periods, line.total
    labels = [period_label(range.period, f.start) for f in periods]
    period_header = {
        Period.DAY: _("Day"),
        Period.WEEK: _("Week"),
        Period.MONTH: _("Month"),
    }[range.period]

    activity = charts.bars(
        title=_("Reports, confirmed and removed"),
        labels=labels,
        series=[
            charts.Series(_("Reports received"), [f.reports for f in periods]),
            charts.Series(_("Confirmed"), [f.confirmed for f in periods]),
            charts.Series(_("Removed"), [f.removed for f in periods]),
        ],
        label_header=period_header,
        nonce=nonce,
    )
    outcomes = Table(
        slug="periods",
        title=_("Per period"),
        header=[
            period_header,
            _("Reports received"),
            _("URLs reported"),
            _("URLs assessed"),
            _("Confirmed"),
            _("Not confirmed"),
            _("Known content resolved"),
            _("Removed"),
        ],
        rows=[
            [
                label,
                *map(
                    str,
                    (
                        f.reports,
                        f.urls,
                        f.assessed,
                        f.confirmed,
                        f.not_confirmed,
                        f.known_resolved,
                        f.removed,
                    ),
                ),
            ]
            for label, f in zip(labels, periods, strict=True)
        ],
        chart=activity,
    )
    timing = charts.lines(
        title=_("Median time, in hours"),
        labels=labels,
        series=[
            charts.Series(
                _("Report to assessment"), [hours(f.time_to_assessment.median) for f in periods]
            ),
            charts.Series(
                _("Confirmation to removal"), [hours(f.time_to_removal.median) for f in periods]
            ),
        ],
        label_header=period_header,
        nonce=nonce,
    )
    timing_table = Table(
        slug="timing",
        title=_("Time taken (median and 90th percentile, in hours)"),
        header=[
            period_header,
            _("Report to assessment: median"),
            _("90th percentile"),
            _("Confirmation to removal: median"),
            _("90th percentile"),
        ],
        rows=[
            [label, *(charts.cell(hours(d)) for d in _timing_of(f))]
            for label, f in zip(labels, periods, strict=True)
        ],
        chart=timing,
        note=_(
            "Each time is read from bands of durations a fifth wide: it is within a tenth of "
            "the exact value."
        ),
    )
    categories = _categories(selected)
    category_chart = charts.bars(
        title=_("Confirmed, by category"),
        labels=[code for code, _name, _count in categories],
        series=[charts.Series(_("Confirmed"), [count for _c, _n, count in categories])],
        label_header=_("Category"),
        nonce=nonce,
        horizontal=True,
    )
    tables = [
        Table(
            slug="summary",
            title=_("In this range"),
            header=[_("Figure"), _("Count")],
            rows=summary_rows(selected, language),
        ),
        outcomes,
        timing_table,
        Table(
            slug="category",
            title=_("Confirmed, by category"),
            header=[_("Category"), _("Name"), _("Confirmed")],
            rows=[[code, name, str(count)] for code, name, count in categories],
            chart=category_chart,
        ),
        _breakdown("results", _("URLs assessed, by result"), selected.results, _result_name),
        _breakdown("age", _("Confirmed, by age group"), selected.by_age, _age_name),
        _breakdown("sex", _("Confirmed, by sex"), selected.by_sex, _sex_name),
        _breakdown("site", _("Confirmed, by site type"), selected.by_site_type, _site_name),
        _breakdown(
            "country",
            _("Confirmed, by hosting country"),
            selected.by_hosting_country,
            lambda code: _country_name(code, language),
        ),
    ]
    return Dashboard(
        portal=portal,
        range=range,
        language=language,
        # The default month view is the range since launch: no second read of the same days.
        since_launch=(
            selected
            if (range.start, range.end) == (launch_day(portal), today() + timedelta(days=1))
            else since_launch(portal)
        ),
        first_week=first_week(portal),
        selected=selected,
        periods=periods,
        tables=tables,
    )


def _timing_of(f: Figures) -> tuple[timedelta | None, ...]:
    return (
        f.time_to_assessment.median,
        f.time_to_assessment.p90,
        f.time_to_removal.median,
        f.time_to_removal.p90,
    )


def _categories(selected: Figures) -> list[tuple[str, str, int]]:
    """Confirmed by category: the default scheme's in its order, then a portal's own codes."""
    known = {c.value: str(c.label) for c in Category}
    codes = [c for c in known if c in selected.by_category] + sorted(
        c for c in selected.by_category if c not in known
    )
    return [(code, known.get(code, code), selected.by_category[code]) for code in codes]


def _breakdown(slug: str, title: str, counts: dict[str, int], name: Callable[[str], str]) -> Table:
    """A table of counts by key, largest first, with each key's share."""
    # Counts never cancel out to 0 in the rollups; were they to, no division by zero either.
    total = sum(counts.values()) or 1
    rows = [
        [name(key), str(count), f"{100 * count / total:.0f}%"]
        for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return Table(slug=slug, title=title, header=[title, _("Count"), _("Share")], rows=rows)


def _result_name(key: str) -> str:
    return _choice_name(OutcomeKind, key)


def _age_name(key: str) -> str:
    # The youngest child who appears to be shown, in years.
    return _unknown() if key == rollup.UNKNOWN else _("%(group)s years") % {"group": key}


def _sex_name(key: str) -> str:
    return _unknown() if key == rollup.UNKNOWN else _choice_name(SexShown, key)


def _site_name(key: str) -> str:
    return _unknown() if key == rollup.UNKNOWN else _choice_name(SiteType, key)


def _country_name(code: str, language: str) -> str:
    if code == rollup.UNKNOWN:
        return _unknown()
    name = _locale(language).territories.get(code.upper())
    return f"{name} ({code.upper()})" if name else code.upper()


def _choice_name(choices: type[TextChoices], key: str) -> str:
    try:
        return str(choices(key).label)
    except ValueError:
        return key


def _unknown() -> str:
    return pgettext("figures", "Not recorded")


def first_week_sentence(dashboard: Dashboard) -> str:
    """ "First week: N reports, M confirmed", as partners quote it at a launch."""
    week = dashboard.first_week
    return _("First week: reports received %(reports)d, confirmed %(confirmed)d") % {
        "reports": week.reports,
        "confirmed": week.confirmed,
    }
