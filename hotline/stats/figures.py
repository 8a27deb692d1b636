"""A portal's figures for a period, read from the rollups only (never from the cases).

`figures(portal=..., start=..., end=...)` sums the daily counts of the days from `start` up
to (not including) `end` with one query; `period_of` gives a day's, week's (Monday to Sunday)
or month's bounds, `since_launch` and `first_week` a portal's. What each figure means:
docs/figures.md.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncMonth, TruncWeek

from hotline.core.classification import OutcomeKind
from hotline.portals.models import Portal
from hotline.stats import rollup
from hotline.stats.models import DailyFigure


@dataclass(frozen=True)
class Durations:
    """A distribution of durations from a histogram: how many, the median and the 90th
    percentile (each the middle of its bucket: within 9.05 %, rollup.py says why)."""

    count: int
    median: timedelta | None
    p90: timedelta | None


def durations(histogram: dict[str, int]) -> Durations:
    """The count, median and 90th percentile of a histogram {bucket key: count}."""
    buckets = sorted((int(key), count) for key, count in histogram.items() if count > 0)
    total = sum(count for _, count in buckets)
    if not total:
        return Durations(0, None, None)

    def percentile(share: float) -> timedelta:
        # The nearest-rank percentile: the bucket holding the ceil(share * total)-th duration.
        rank = max(1, -(-int(share * total * 1000) // 1000))
        seen = 0
        for bucket, count in buckets:
            seen += count
            if seen >= rank:
                return rollup.bucket_middle(bucket)
        return rollup.bucket_middle(buckets[-1][0])

    return Durations(total, percentile(0.5), percentile(0.9))


@dataclass(frozen=True)
class Figures:
    """One portal's figures from `start` up to (not including) `end` (UTC days)."""

    portal: str
    start: date
    end: date
    reports: int = 0
    urls: int = 0
    # URLs whose result stands, by kind (criminal, not_criminal, unavailable, duplicate).
    results: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_age: dict[str, int] = field(default_factory=dict)
    by_sex: dict[str, int] = field(default_factory=dict)
    by_site_type: dict[str, int] = field(default_factory=dict)
    by_hosting_country: dict[str, int] = field(default_factory=dict)
    # Resolved without an analyst: reports of URLs on the URL list, hash-list matches.
    known_url_reports: int = 0
    automatic_matches: int = 0
    time_to_assessment: Durations = Durations(0, None, None)
    time_to_removal: Durations = Durations(0, None, None)

    @property
    def assessed(self) -> int:
        return sum(self.results.values())

    @property
    def confirmed(self) -> int:
        return self.results.get(OutcomeKind.CRIMINAL, 0)

    @property
    def not_confirmed(self) -> int:
        return self.results.get(OutcomeKind.NOT_CRIMINAL, 0)

    @property
    def known_resolved(self) -> int:
        return self.known_url_reports + self.automatic_matches

    @property
    def removed(self) -> int:
        return self.time_to_removal.count


def figures(*, portal: Portal, start: date, end: date) -> Figures:
    """`portal`'s figures for the days from `start` to `end` (exclusive): one query."""
    sums: dict[str, dict[str, int]] = defaultdict(dict)
    for metric, key, count in (
        DailyFigure.objects.filter(portal=portal, day__gte=start, day__lt=end)
        .values("metric", "key")
        .annotate(total=Sum("count"))
        .values_list("metric", "key", "total")
    ):
        sums[metric][key] = count
    return _figures_of(portal.code, start, end, sums)


def _figures_of(portal: str, start: date, end: date, sums: dict[str, dict[str, int]]) -> Figures:
    """The figures from summed counts {metric: {key: count}} (missing metrics count 0)."""

    def keyed(metric: str) -> dict[str, int]:
        return {key: count for key, count in sums.get(metric, {}).items() if count}

    return Figures(
        portal=portal,
        start=start,
        end=end,
        reports=keyed(rollup.REPORTS).get("", 0),
        urls=keyed(rollup.URLS).get("", 0),
        results=keyed(rollup.RESULT),
        by_category=keyed(rollup.CATEGORY),
        by_age=keyed(rollup.AGE),
        by_sex=keyed(rollup.SEX),
        by_site_type=keyed(rollup.SITE),
        by_hosting_country=keyed(rollup.COUNTRY),
        known_url_reports=keyed(rollup.KNOWN_URL).get("", 0),
        automatic_matches=keyed(rollup.AUTOMATIC).get("", 0),
        time_to_assessment=durations(keyed(rollup.TIME_TO_ASSESSMENT)),
        time_to_removal=durations(keyed(rollup.TIME_TO_REMOVAL)),
    )


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_of(period: Period, day: date) -> tuple[date, date]:
    """The bounds [start, end) of the day, ISO week (from Monday) or month holding `day`."""
    if period == Period.DAY:
        return day, day + timedelta(days=1)
    if period == Period.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def launch_day(portal: Portal, *, today: date | None = None) -> date:
    """The day (UTC) the portal went live (today, for one never launched)."""
    if portal.launched_at is None:
        return today or datetime.now(UTC).date()
    return rollup.day_of(portal.launched_at)


def since_launch(portal: Portal, *, today: date | None = None) -> Figures:
    """Everything since the portal went live, up to and including `today` (UTC)."""
    today = today or datetime.now(UTC).date()
    start = launch_day(portal, today=today)
    return figures(portal=portal, start=start, end=today + timedelta(days=1))


def first_week(portal: Portal) -> Figures:
    """The portal's first seven days from its launch day (reports and confirmed, mostly)."""
    start = launch_day(portal)
    return figures(portal=portal, start=start, end=start + timedelta(days=7))


def for_period(portal: Portal, period: Period, day: date) -> Figures:
    """`portal`'s figures for the day, week or month holding `day`."""
    start, end = period_of(period, day)
    return figures(portal=portal, start=start, end=end)


def periods_between(period: Period, start: date, end: date) -> list[tuple[date, date]]:
    """The days, weeks or months that hold any day from `start` to `end` (exclusive), in
    order, each as its bounds [start, end) (the first and last may reach outside the range)."""
    bounds: list[tuple[date, date]] = []
    day = start
    while day < end:
        first, following = period_of(period, day)
        bounds.append((first, following))
        day = following
    return bounds


@dataclass(frozen=True)
class Timeline:
    """A portal's figures per period over a range of days, and their sum over the range."""

    periods: list[Figures]
    total: Figures


def timeline(*, portal: Portal, period: Period, start: date, end: date) -> list[Figures]:
    """`portal`'s figures per day, week or month from `start` to `end` (exclusive): see
    `timeline_with_total`."""
    return timeline_with_total(portal=portal, period=period, start=start, end=end).periods


def timeline_with_total(*, portal: Portal, period: Period, start: date, end: date) -> Timeline:
    """`portal`'s figures per day, week or month, for every period holding a day from `start`
    to `end` (exclusive), in order, periods without a figure included (as zeros), and their
    total. Each period is named by its own bounds, but counts only the days of the range (a
    range from a launch on the 12th counts nothing of the 1st to the 11th), so that the
    periods add up to the range's total.

    One query, summed per period by the database: two years of a busy portal's daily rows
    (about 100,000) come back as a few thousand (docs/benchmarks.md, "Partner figures")."""
    bounds = periods_between(period, start, end)
    index = {first: i for i, (first, _following) in enumerate(bounds)}
    sums: list[dict[str, dict[str, int]]] = [defaultdict(dict) for _ in bounds]
    total: dict[str, dict[str, int]] = defaultdict(dict)
    rows = DailyFigure.objects.filter(portal=portal, day__gte=start, day__lt=end).exclude(count=0)
    if period == Period.DAY:
        # One row per day, metric and key already: nothing to add up.
        summed = rows.values_list("day", "metric", "key", "count")
    else:
        truncate = TruncWeek("day") if period == Period.WEEK else TruncMonth("day")
        summed = (
            rows.annotate(period_start=truncate)
            .values("period_start", "metric", "key")
            .annotate(total=Sum("count"))
            .values_list("period_start", "metric", "key", "total")
        )
    for first, metric, key, count in summed:
        if isinstance(first, datetime):  # TruncWeek of a date, on some backends
            first = first.date()
        period_sums = sums[index[first]][metric]
        period_sums[key] = period_sums.get(key, 0) + count
        total[metric][key] = total[metric].get(key, 0) + count
    return Timeline(
        periods=[
            _figures_of(portal.code, start_day, end_day, period_sums)
            for (start_day, end_day), period_sums in zip(bounds, sums, strict=True)
        ],
        total=_figures_of(portal.code, start, end, total),
    )
