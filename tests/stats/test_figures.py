"""A portal's figures as partners read them: counted as the actions happen, moved (never
counted twice) by corrections and appeals, and rebuilt by `hotline stats rebuild`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hotline.assessment import actions
from hotline.assessment.actions import Facts
from hotline.assessment.models import Appellant
from hotline.portals.models import Portal
from hotline.stats import rollup
from hotline.stats.figures import (
    Period,
    durations,
    first_week,
    for_period,
    since_launch,
    timeline,
    timeline_with_total,
)
from hotline.stats.models import DailyFigure
from hotline.takedown.actions import record_recheck
from hotline.takedown.models import Takedown
from hotline.takedown.recheck import Verdict
from tests.assessment.qa_world import assess, outcome, refreshed, report, senior
from tests.conftest import Analyst

pytestmark = pytest.mark.django_db


def today() -> datetime:
    return datetime.now(UTC)


def test_reports_urls_and_results_count_on_the_day_they_happen(tn: Portal, alice: Analyst) -> None:
    case = report(tn, "http://one.example/a")
    report(tn, "http://two.example/b")
    assess(case, alice, "B", facts=Facts(youngest_age="7-10", sex_shown="girls"))

    figures = for_period(tn, Period.DAY, today().date())
    assert (figures.reports, figures.urls, figures.assessed, figures.confirmed) == (2, 2, 1, 1)
    assert figures.by_category == {"B": 1}
    assert figures.by_age == {"7-10": 1} and figures.by_sex == {"girls": 1}
    assert figures.by_site_type == {"unknown": 1}
    assert figures.time_to_assessment.count == 1
    # Counts only: nothing in the figures names a case, a URL or a reference.
    keys = set(DailyFigure.objects.values_list("key", flat=True))
    assert not any("example" in key or str(case.pk) == key for key in keys)


def test_a_correction_and_an_appeal_move_the_case_between_buckets(
    tn: Portal, alice: Analyst
) -> None:
    case = report(tn, "http://corrected.example/")
    assess(case, alice, "B", facts=Facts(hosting_country="NL"))
    dora, erin = senior("dora", ["tn"]), senior("erin", ["tn"])
    actions.correct_result(case=case, senior=dora.user, outcome=outcome("A"), reason="worse")
    figures = for_period(tn, Period.WEEK, today().date())
    assert figures.by_category == {"A": 1} and figures.confirmed == 1
    # The facts stay those the analyst recorded: a correction records none.
    assert figures.by_hosting_country == {"NL": 1}

    actions.record_appeal(case=refreshed(case), senior=dora.user, appellant=Appellant.HOST)
    assert for_period(tn, Period.MONTH, today().date()).confirmed == 1  # until decided
    actions.decide_appeal(case=refreshed(case), senior=erin.user, outcome=outcome("not_criminal"))

    figures = for_period(tn, Period.MONTH, today().date())
    assert (figures.assessed, figures.confirmed, figures.not_confirmed) == (1, 0, 1)
    assert figures.by_category == {} and figures.by_hosting_country == {}


def test_known_content_and_removals(tn: Portal, ma: Portal, alice: Analyst) -> None:
    case = report(tn, "http://known.example/")
    assess(case, alice, "A")
    report(ma, "http://known.example/")  # on the URL list: no analyst needed

    assert for_period(ma, Period.DAY, today().date()).known_url_reports == 1
    assert for_period(tn, Period.DAY, today().date()).known_url_reports == 0

    takedown = Takedown.objects.get(case=case)
    record_recheck(takedown=takedown, verdict=Verdict.GONE, reason="404", actor="system")
    removed = since_launch(tn).time_to_removal
    assert removed.count == 1 and removed.median == timedelta(seconds=30)
    record_recheck(takedown=takedown, verdict=Verdict.PRESENT, reason="200", actor="system")
    assert since_launch(tn).removed == 0  # back again: not removed until it is gone again


def test_the_first_week_counts_from_the_launch_day(tn: Portal) -> None:
    report(tn, "http://early.example/")
    launched = tn.launched_at
    assert launched is not None
    week = first_week(tn)
    assert week.start == launched.astimezone(UTC).date()
    assert week.reports == (1 if week.end > today().date() else 0)


def test_percentiles_come_from_the_buckets_within_nine_per_cent() -> None:
    minutes = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 1440, 10_000]
    histogram: dict[str, int] = {}
    for value in minutes:
        key = rollup.bucket_key(rollup.bucket_of(timedelta(minutes=value)))
        histogram[key] = histogram.get(key, 0) + 1
    found = durations(histogram)
    assert found.count == len(minutes)
    assert found.median is not None and found.p90 is not None
    assert abs(found.median / timedelta(minutes=21) - 1) <= 0.0905
    assert abs(found.p90 / timedelta(minutes=1440) - 1) <= 0.0905
    assert durations({}).median is None


def test_rebuild_puts_back_what_was_lost(tn: Portal, alice: Analyst) -> None:
    case = report(tn, "http://rebuilt.example/")
    assess(case, alice, "C")
    kept = sorted(DailyFigure.objects.values_list("metric", "key", "count"))
    DailyFigure.objects.all().delete()

    out = StringIO()
    call_command("stats", "rebuild", "--portal", "tn", stdout=out)

    assert sorted(DailyFigure.objects.values_list("metric", "key", "count")) == kept
    assert "cases with a result: 1 / 1" in out.getvalue()
    with pytest.raises(CommandError, match="No portal 'zz'"):
        call_command("stats", "rebuild", "--portal", "zz")


def test_a_timeline_sums_each_period_within_the_range_and_shows_empty_ones_as_zeros(
    tn: Portal,
) -> None:
    for day, metric, key, count in [
        (date(2026, 1, 5), rollup.REPORTS, "", 2),
        (date(2026, 1, 31), rollup.REPORTS, "", 3),
        (date(2026, 1, 31), rollup.RESULT, "criminal", 1),
        (date(2026, 3, 1), rollup.REPORTS, "", 4),
        (date(2026, 3, 1), rollup.RESULT, "criminal", 0),  # moved away again: no figure
    ]:
        DailyFigure.objects.create(portal=tn, day=day, metric=metric, key=key, count=count)

    line = timeline_with_total(
        portal=tn, period=Period.MONTH, start=date(2026, 1, 20), end=date(2026, 3, 2)
    )
    months = line.periods

    assert [(f.start, f.end) for f in months] == [
        (date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 4, 1)),
    ]
    # January counts from the 20th only (the 5th is outside the range): the periods add up to
    # the range's total.
    assert [(f.reports, f.confirmed) for f in months] == [(3, 1), (0, 0), (4, 0)]
    assert (line.total.reports, line.total.confirmed) == (7, 1)
    assert months[2].results == {}
    weeks = timeline(portal=tn, period=Period.WEEK, start=date(2026, 1, 5), end=date(2026, 1, 12))
    assert [(f.start, f.reports) for f in weeks] == [(date(2026, 1, 5), 2)]
