"""What each change adds to the figures, and the one statement that adds it.

Every figure is a count of things as they stand (docs/figures.md): a report item attached, a
case's result that stands, a takedown removed. What one thing contributes is a function of its
stored fields (`item_keys`, `result_keys`, `removal_keys`), so a change subtracts what the
thing contributed before and adds what it contributes after, and `hotline stats rebuild`
recomputes the same sums from the rows: the two agree by construction, which
tests/stats/test_rollups_agree.py checks on random histories.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection

from hotline.assessment.models import Assessment, Purpose
from hotline.cases.signals import Standing
from hotline.core.classification import OutcomeKind
from hotline.intake.signals import AttachedItem
from hotline.outcomes.decide import Source
from hotline.stats.models import DailyFigure
from hotline.takedown.signals import Removal

# The metrics (DailyFigure.metric) and what their keys are.
REPORTS = "reports"  # reports received (counted once each, with their first item)
URLS = "urls"  # URLs reported: report items
KNOWN_URL = "known_url"  # report items whose URL was on the URL list: no analyst needed
RESULT = "result"  # URLs with a result that stands; key: the outcome kind
AUTOMATIC = "automatic"  # of those confirmed, by a hash-list match without an analyst
CATEGORY = "category"  # confirmed, by the scheme's category code
AGE = "age"  # confirmed, by the youngest apparent age group
SEX = "sex"  # confirmed, by the sex shown
SITE = "site"  # confirmed, by site type
COUNTRY = "country"  # confirmed, by hosting country (ISO 3166-1 alpha-2)
TIME_TO_ASSESSMENT = "t_assess"  # histogram; key: duration bucket
TIME_TO_REMOVAL = "t_remove"  # histogram; key: duration bucket

UNKNOWN = "unknown"  # a fact the analyst left blank (or no analyst: an automatic match)
FACT_METRICS = (AGE, SEX, SITE, COUNTRY)

Key = tuple[int, date, str, str]  # (portal id, day, metric, key)

# Durations are counted in buckets a quarter of an octave wide, in minutes: bucket 0 is under
# a minute, bucket i (1 <= i < LAST_BUCKET) holds [2^((i-1)/4), 2^(i/4)) minutes, and the last
# everything from 2^((LAST_BUCKET-1)/4) minutes (2^20 minutes, about two years) up. Each
# bucket's upper edge is 2^(1/4) = 1.189 times its lower, so a median or 90th percentile read
# as the bucket's geometric middle is within 2^(1/8) - 1 = 9.05 % of the true value (and under
# a minute, within 30 seconds).
BUCKETS_PER_OCTAVE = 4
LAST_BUCKET = 20 * BUCKETS_PER_OCTAVE + 1


def bucket_of(duration: timedelta) -> int:
    """The bucket of `duration` (negative durations, from clocks that disagree, count as 0)."""
    minutes = duration.total_seconds() / 60
    if minutes < 1:
        return 0
    return min(LAST_BUCKET, math.floor(BUCKETS_PER_OCTAVE * math.log2(minutes)) + 1)


def bucket_key(bucket: int) -> str:
    return f"{bucket:03d}"


def bucket_middle(bucket: int) -> timedelta:
    """The duration a bucket stands for: its geometric middle (half a minute for bucket 0)."""
    if bucket == 0:
        return timedelta(seconds=30)
    return timedelta(minutes=2 ** ((bucket - 0.5) / BUCKETS_PER_OCTAVE))


def day_of(moment: datetime) -> date:
    """The day (UTC) a figure of `moment` counts on."""
    return moment.astimezone(UTC).date()


# What one thing contributes.


def item_keys(item: AttachedItem) -> list[Key]:
    """A report item attached to its case: a URL reported, on the report's portal and filing
    day; the report itself with its first item; known content if its URL was on the list."""
    day = day_of(item.received_at)
    keys = [(item.portal_id, day, URLS, "")]
    if item.first:
        keys.append((item.portal_id, day, REPORTS, ""))
    if item.known:
        keys.append((item.portal_id, day, KNOWN_URL, ""))
    return keys


@dataclass(frozen=True)
class Facts:
    """The facts an analyst recorded with the result that stands ("unknown" where blank)."""

    age: str = UNKNOWN
    sex: str = UNKNOWN
    site: str = UNKNOWN
    country: str = UNKNOWN


NO_FACTS = Facts()
# What cases keep in `result_source` for a result no analyst gave.
AUTOMATIC_SOURCE = Source.AUTOMATIC_MATCH.value


def needs_facts(standing: Standing) -> bool:
    return standing.outcome == OutcomeKind.CRIMINAL and standing.source != AUTOMATIC_SOURCE


def facts_of(standings: Iterable[Standing]) -> dict[Standing, Facts]:
    """The facts of each confirmed standing result, with one query for them all.

    The facts of a result are those of the latest assessment of its case, other than a
    correction (which records none and keeps the earlier ones), made between the case's
    opening and the result's decision (`opened_at` to `resolved_at`): the assessment that
    settled it, or, for a corrected result, the one that settled it before. An automatic
    match has none. The same rule before and after a change, and in the rebuild.
    """
    wanted = [standing for standing in standings if needs_facts(standing)]
    if not wanted:
        return {}
    rows: dict[int, list[tuple[datetime, int, Facts]]] = {}
    case_ids = sorted({standing.case_id for standing in wanted})
    # Written out rather than through the ORM: this runs in the transaction of every result,
    # and building the query cost more than running it (docs/benchmarks.md).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT case_id, assessed_at, id, youngest_age, sex_shown, site_type, "  # noqa: S608
            f"hosting_country FROM {connection.ops.quote_name(Assessment._meta.db_table)} "
            f"WHERE case_id IN ({', '.join(['%s'] * len(case_ids))}) AND purpose <> %s",
            [*case_ids, Purpose.CORRECTION.value],
        )
        for case_id, assessed_at, pk, age, sex, site, country in cursor.fetchall():
            if isinstance(assessed_at, str):  # SQLite without Django's converters
                assessed_at = datetime.fromisoformat(assessed_at)
            if assessed_at.tzinfo is None:  # stored in UTC, read back naive on SQLite
                assessed_at = assessed_at.replace(tzinfo=UTC)
            facts = Facts(age or UNKNOWN, sex or UNKNOWN, site or UNKNOWN, country or UNKNOWN)
            rows.setdefault(case_id, []).append((assessed_at, pk, facts))
    found: dict[Standing, Facts] = {}
    for standing in wanted:
        within = [
            (assessed_at, pk, facts)
            for assessed_at, pk, facts in rows.get(standing.case_id, [])
            if standing.opened_at <= assessed_at <= standing.resolved_at
        ]
        found[standing] = max(within, key=lambda row: (row[0], row[1]))[2] if within else NO_FACTS
    return found


def result_keys(standing: Standing, facts: Facts) -> list[Key]:
    """A case's result that stands, on its portal (the one whose report opened it) and the day
    it was first assessed since it was opened: its kind; for confirmed content its category,
    its facts and whether a hash-list match confirmed it; the time from report to result,
    unless no analyst was needed."""
    portal, day = standing.portal_id, day_of(standing.assessed_at)
    keys = [(portal, day, RESULT, standing.outcome)]
    if standing.outcome == OutcomeKind.CRIMINAL:
        keys.append((portal, day, CATEGORY, standing.category))
        if standing.source == AUTOMATIC_SOURCE:
            keys.append((portal, day, AUTOMATIC, ""))
        keys += [
            (portal, day, AGE, facts.age),
            (portal, day, SEX, facts.sex),
            (portal, day, SITE, facts.site),
            (portal, day, COUNTRY, facts.country),
        ]
    if standing.source != AUTOMATIC_SOURCE:
        waited = bucket_of(standing.assessed_at - standing.opened_at)
        keys.append((portal, day, TIME_TO_ASSESSMENT, bucket_key(waited)))
    return keys


def removal_keys(removal: Removal) -> list[Key]:
    """A takedown removed: on its case's portal and the day of the removal, its time from
    confirmation to removal."""
    bucket = bucket_key(bucket_of(removal.time_to_removal))
    return [(removal.portal_id, day_of(removal.removed_at), TIME_TO_REMOVAL, bucket)]


def result_deltas(changes: Sequence[tuple[Standing | None, Standing | None]]) -> Counter[Key]:
    """What these changes of standing results (before, after) do to the figures."""
    facts = facts_of(standing for pair in changes for standing in pair if standing is not None)
    deltas: Counter[Key] = Counter()
    for before, after in changes:
        if before is not None:
            deltas.subtract(result_keys(before, facts.get(before, NO_FACTS)))
        if after is not None:
            deltas.update(result_keys(after, facts.get(after, NO_FACTS)))
    return deltas


# The one statement that changes the figures.

# Rows per statement: well under SQLite's 32,766 parameters (5 per row).
UPSERT_ROWS = 1000


def add(deltas: Counter[Key]) -> None:
    """Add each non-zero delta to its figure: one INSERT ... ON CONFLICT DO UPDATE for them all
    (PostgreSQL and SQLite alike), so concurrent changes to one figure add up without a read,
    and a change costs one statement however many figures it moves."""
    rows = sorted((key, delta) for key, delta in deltas.items() if delta)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(DailyFigure._meta.db_table)
    count, key = quote("count"), quote("key")
    columns = f"portal_id, {quote('day')}, metric, {key}, {count}"
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_ROWS):
            chunk = rows[start : start + UPSERT_ROWS]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608 (names above)
                f"ON CONFLICT (portal_id, {quote('day')}, metric, {key}) "
                f"DO UPDATE SET {count} = {table}.{count} + excluded.{count}"
            )
            params: list[int | str | date] = []
            for (portal, day, metric, name), delta in chunk:
                params += [portal, adapt(day) or day, metric, name, delta]
            cursor.execute(sql, params)
