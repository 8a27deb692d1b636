"""Reading the queue: which cases an analyst may see, and which wait for them, best first.

Who sees what: an analyst sees the cases reported on the portals they assess, and no others.
A case's portals are its `cases.CasePortal` rows (the portal that opened it, and every portal
it was reported on since), so a URL reported on Morocco's portal after Tunisia's is in both
portals' queues.

How it stays fast with a million cases: each CasePortal row carries a copy of its case's place
in the queue, and `caseportal_queue_idx` keeps each portal's waiting cases in queue order, the
verified ones and the rest apart. An analyst's queue is the merge of those ranges: one ordered,
limited read per portal and verified-or-not, combined with UNION ALL, so the database reads
about `limit` index entries per range whatever the size of the queue; nothing counts or sorts
the whole queue. Pages follow each other by position in the queue (a keyset), not by offset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hotline.accounts.access import assessable_portal_ids
from hotline.accounts.models import StaffUser
from hotline.cases import priority
from hotline.cases.actions import host_of
from hotline.cases.models import Case, CasePortal, CaseStatus
from hotline.core.canonical import NotAWebAddress, canonicalise_url
from hotline.core.hashing import url_digest

QUEUE_ORDER = ("-has_verified_report", "queue_at", "pk")
# Above this many waiting cases the queue says "more than" instead of counting on.
COUNT_CAP = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class QueueKey:
    """A case's place in the queue: verified first, then by queue time, then by number."""

    verified: bool
    queue_at: datetime
    case_id: int

    @classmethod
    def of(cls, case: Case) -> QueueKey:
        return cls(case.has_verified_report, case.queue_at or case.opened_at, case.pk)

    def token(self) -> str:
        """The key as text for a page address: "1.1764149400123456.42"."""
        return f"{int(self.verified)}.{(self.queue_at - _EPOCH) // _MICROSECOND}.{self.case_id}"

    @classmethod
    def parse(cls, token: str) -> QueueKey:
        """The key of `token()`; ValueError when the text is not one."""
        verified, micros, case_id = token.split(".")
        if verified not in ("0", "1") or not micros.isdigit() or not case_id.isdigit():
            raise ValueError(token)
        return cls(verified == "1", _EPOCH + int(micros) * _MICROSECOND, int(case_id))


@dataclass(frozen=True)
class QueueFilter:
    """Which part of the queue to read: the portals (all within the analyst's), verified or
    not (None: both), and the age of the cases (time since opened) between two bounds."""

    portal_ids: Sequence[int]
    verified: bool | None = None
    min_age: timedelta | None = None
    max_age: timedelta | None = None


def assessable_cases(analyst: StaffUser) -> QuerySet[Case]:
    """Cases the analyst may see and assess: reported on at least one of their portals.

    A case belongs to the portal that opened it, but a URL reported on Morocco's portal after
    Tunisia's is Morocco's business too: its analysts see and may assess it.
    """
    return in_portals(Case.objects.all(), assessable_portal_ids(analyst))


def in_portals(cases: QuerySet[Case], portal_ids: Sequence[int]) -> QuerySet[Case]:
    """The `cases` reported on one of `portal_ids` (an index lookup per case)."""
    links = CasePortal.objects.filter(case=OuterRef("pk"), portal_id__in=list(portal_ids))
    return cases.filter(Exists(links))


def queue_for(analyst: StaffUser) -> QuerySet[Case]:
    """The cases waiting on the analyst's portals, in queue order (cases/priority.py: verified
    reports first, then by queue time). A plain query for small sets and tests; the queue page
    and "next case" read `waiting_case_ids`, which stays fast at any size."""
    return assessable_cases(analyst).filter(status=CaseStatus.NEW).order_by(*QUEUE_ORDER)


def _age_bounds(
    links: QuerySet[CasePortal], filters: QueueFilter, now: datetime
) -> QuerySet[CasePortal]:
    # A case's queue time is at most MAX_POINTS hours before it opened and never after, so an
    # age band is also a range of queue times: the index reads that range, not the whole queue.
    lead = priority.MAX_POINTS * priority.POINT
    if filters.min_age is not None:
        newest = now - filters.min_age
        links = links.filter(opened_at__lte=newest, queue_at__lte=newest)
    if filters.max_age is not None:
        oldest = now - filters.max_age
        links = links.filter(opened_at__gt=oldest, queue_at__gt=oldest - lead)
    return links


# A portal id no portal has. Each branch's SQL is compiled once with it and copied for every
# portal with the real id in its place: compiling one query per portal cost an analyst on 13
# portals several milliseconds of CPU at every "next case" and queue page.
_ANY_PORTAL = -1_000_003


def _branch_sql(
    filters: QueueFilter,
    *,
    after: QueueKey | None,
    now: datetime,
    select: Callable[[QuerySet[CasePortal]], QuerySet[Any]],
) -> list[tuple[str, tuple[Any, ...]]]:
    """The SQL of one read per portal and verified-or-not, each one range of
    caseportal_queue_idx; `select` says what each read returns (values and a LIMIT)."""
    parts = []
    for verified in (True, False):
        if filters.verified is not None and filters.verified != verified:
            continue
        if after is not None and verified and not after.verified:
            continue  # every verified case comes before the page's start
        if not filters.portal_ids:
            continue
        links = CasePortal.objects.filter(
            portal_id=_ANY_PORTAL, has_verified_report=verified, status=CaseStatus.NEW
        )
        links = _age_bounds(links, filters, now)
        if after is not None and after.verified == verified:
            # The first condition bounds the index range; the second is exact.
            links = links.filter(queue_at__gte=after.queue_at).filter(
                Q(queue_at__gt=after.queue_at)
                | Q(queue_at=after.queue_at, case_id__gt=after.case_id)
            )
        sql, params = select(links.order_by("queue_at", "case_id")).query.sql_with_params()
        (at,) = [n for n, param in enumerate(params) if param == _ANY_PORTAL]
        for portal_id in filters.portal_ids:
            parts.append((sql, (*params[:at], portal_id, *params[at + 1 :])))
    return parts


def _union_sql(parts: list[tuple[str, tuple[Any, ...]]]) -> tuple[str, list[Any]]:
    # Each part keeps its ORDER BY and LIMIT inside its own subquery (a form both PostgreSQL
    # and SQLite accept in a compound SELECT).
    # The SQL is the ORM's, with its values as parameters: no text from a request is in it.
    sql = " UNION ALL ".join(
        f"SELECT * FROM ({part}) AS b{n}"  # noqa: S608
        for n, (part, _) in enumerate(parts)
    )
    return sql, [param for _, params in parts for param in params]


def waiting_queue_keys(
    filters: QueueFilter, *, after: QueueKey | None = None, limit: int, now: datetime | None = None
) -> list[QueueKey]:
    """The places of up to `limit` waiting cases, in queue order, after `after` (from the
    start when None). A case reported on two of the portals comes once."""
    now = now or timezone.now()
    keys: list[QueueKey] = []
    while len(keys) < limit:
        parts = _branch_sql(
            filters,
            after=after,
            now=now,
            select=lambda b: b.values_list("has_verified_report", "queue_at", "case_id")[:limit],
        )
        if not parts:
            break
        sql, params = _union_sql(parts)
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} ORDER BY 1 DESC, 2, 3 LIMIT %s", [*params, limit])
            rows = cursor.fetchall()
        for verified, queue_at, case_id in rows:
            # The rows of one case share its place, so its duplicates come together.
            if not keys or keys[-1].case_id != case_id:
                keys.append(QueueKey(bool(verified), _as_datetime(queue_at), case_id))
        if len(rows) < limit:
            break
        after = keys[-1]  # duplicates took places on this read: read on after the last
    return keys[:limit]


def _as_datetime(value: datetime | str) -> datetime:
    # Columns read by raw SQL come as text from SQLite (UTC, as Django stores them there).
    if isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a date and time: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def waiting_cases(
    filters: QueueFilter, *, after: QueueKey | None = None, limit: int, now: datetime | None = None
) -> list[Case]:
    """`waiting_queue_keys`' cases, with what the queue page shows of them."""
    ids = [key.case_id for key in waiting_queue_keys(filters, after=after, limit=limit, now=now)]
    cases = Case.objects.select_related("portal").in_bulk(ids)
    return [cases[pk] for pk in ids if pk in cases]


def count_waiting(filters: QueueFilter, *, now: datetime | None = None) -> int:
    """How many cases wait in this part of the queue, counted up to COUNT_CAP + 1 at most
    (a result above COUNT_CAP means "more than COUNT_CAP")."""
    now = now or timezone.now()
    cap = COUNT_CAP + 1
    parts = _branch_sql(
        filters, after=None, now=now, select=lambda b: b.values_list("case_id")[:cap]
    )
    if not parts:
        return 0
    sql, params = _union_sql(parts)
    with connection.cursor() as cursor:
        # Stops reading after `cap` rows.
        cursor.execute(f"SELECT case_id FROM ({sql}) AS u LIMIT %s", [*params, cap])  # noqa: S608
        rows = [row[0] for row in cursor.fetchall()]
        distinct = len(set(rows))
        if len(rows) < cap or distinct == cap:
            return distinct  # every row read, or more than COUNT_CAP cases anyway
        # Rare: a case on two of the portals is one case, and there were such among many.
        # Count the distinct cases of all the ranges, each read up to `cap` rows (one that
        # reaches it has more than COUNT_CAP cases by itself).
        cursor.execute(f"SELECT COUNT(DISTINCT case_id) FROM ({sql}) AS u", params)  # noqa: S608
        (count,) = cursor.fetchone()
    return min(int(count), cap)


def _case_filters(cases: QuerySet[Case], filters: QueueFilter, now: datetime) -> QuerySet[Case]:
    cases = in_portals(cases, filters.portal_ids)
    if filters.verified is not None:
        cases = cases.filter(has_verified_report=filters.verified)
    if filters.min_age is not None:
        cases = cases.filter(opened_at__lte=now - filters.min_age)
    if filters.max_age is not None:
        cases = cases.filter(opened_at__gt=now - filters.max_age)
    return cases


def cases_in_assessment(
    filters: QueueFilter, *, after: QueueKey | None = None, limit: int, now: datetime | None = None
) -> list[Case]:
    """Cases claimed by someone now, in queue order, with their claims (few: one per analyst
    at work, read through the status index)."""
    now = now or timezone.now()
    cases = _case_filters(Case.objects.filter(status=CaseStatus.IN_ASSESSMENT), filters, now)
    if after is not None:
        later = Q(has_verified_report=after.verified) & (
            Q(queue_at__gt=after.queue_at) | Q(queue_at=after.queue_at, pk__gt=after.case_id)
        )
        if after.verified:
            later |= Q(has_verified_report=False)
        cases = cases.filter(later)
    return list(cases.select_related("portal", "claim__analyst").order_by(*QUEUE_ORDER)[:limit])


class SearchNotUnderstood(ValueError):
    """The search text is neither a report reference nor a web address or host name."""


@dataclass(frozen=True)
class Search:
    """What a search text names: a report reference, and/or a URL (and its host)."""

    reference: str
    url_sha256: str
    host: str

    @classmethod
    def of(cls, text: str) -> Search:
        text = text.strip()
        reference = text.upper() if _looks_like_reference(text) else ""
        url_sha256 = host = ""
        try:
            canonical = canonicalise_url(text)
        except NotAWebAddress:
            if not reference:
                raise SearchNotUnderstood(text) from None
        else:
            # The URL's own case, and the other cases on its host ("site.example" alone is
            # read as http://site.example/, so a host name finds every case on the host).
            url_sha256 = url_digest(canonical)
            host = host_of(canonical)
        return cls(reference=reference, url_sha256=url_sha256, host=host)


# intake/references.py: the portal's code, then twice four characters of Crockford's base 32.
_REFERENCE = re.compile(r"^[A-Za-z0-9_-]+-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$")


def _looks_like_reference(text: str) -> bool:
    return bool(_REFERENCE.match(text))


def search_cases(
    search: Search,
    filters: QueueFilter,
    *,
    before: int | None = None,
    limit: int,
    now: datetime | None = None,
) -> list[Case]:
    """Cases in any status that the search names, on the filtered portals: on the first page
    those of the report reference and of the exact URL, then the host's other cases, newest
    first (the following pages go on `before` a case number, with the host's cases only)."""
    now = now or timezone.now()
    named = Q(pk__in=[])
    if search.reference:
        named |= Q(report_items__report__reference=search.reference)
    if search.url_sha256:
        named |= Q(url_sha256=search.url_sha256)
    # Few: the cases of one report, and of one URL.
    exact = list(
        _case_filters(Case.objects.filter(named), filters, now)
        .distinct()
        .select_related("portal")
        .order_by("-pk")[:limit]
    )
    found = exact if before is None else []
    if search.host and len(found) < limit:
        cases = Case.objects.filter(host=search.host).exclude(pk__in=[c.pk for c in exact])
        if before is not None:
            cases = cases.filter(pk__lt=before)
        found += (
            _case_filters(cases, filters, now)
            .select_related("portal")
            .order_by("-pk")[: limit - len(found)]
        )
    return found
