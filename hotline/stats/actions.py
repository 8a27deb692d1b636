"""State changes of the figures: recomputing them from the cases (`hotline stats rebuild`), and
sending a portal's monthly report to its partner contacts."""

from __future__ import annotations

import contextlib
import smtplib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, timedelta

from django.core.mail import mailers
from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from hotline.audit.actions import SYSTEM, audited_action, record_event
from hotline.cases.actions import STANDING_STATUSES, standing
from hotline.cases.models import Case
from hotline.intake.models import ReportItem
from hotline.portals.models import Portal
from hotline.stats import rollup
from hotline.stats.access import partner_contacts
from hotline.stats.models import DailyFigure, MonthlyReportSent
from hotline.stats.monthly import monthly_messages
from hotline.stats.reports import ReportPeriod
from hotline.takedown.actions import removal_of
from hotline.takedown.models import Takedown, TakedownStatus

# Cases read (and their assessments' facts looked up) at a time.
REBUILD_CHUNK = 5000


def _no_progress(line: str) -> None:
    pass


@audited_action
def rebuild_figures(
    *, actor: str, portal: Portal | None = None, progress: Callable[[str], None] = _no_progress
) -> int:
    """Recompute every figure (of `portal`, or of all portals) from the report items, the
    cases' standing results with their assessments, and the takedowns, replacing what the
    figures held; returns how many figure rows there are now.

    One transaction. On PostgreSQL the figures table is locked first (EXCLUSIVE: reads go on,
    changes wait), so an action that changes a case meanwhile either committed before (its
    change is in what is read here) or waits to add its delta until this commits (its change
    is not): nothing is lost or counted twice. `progress` gets a line per chunk of cases.
    Audits `stats.figures_rebuilt` with the portal and the number of rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(DailyFigure._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    figures = DailyFigure.objects.all()
    if portal is not None:
        figures = figures.filter(portal=portal)
    figures.delete()
    deltas: Counter[rollup.Key] = Counter()

    items = ReportItem.objects.filter(case__isnull=False)
    if portal is not None:
        items = items.filter(report__portal=portal)
    for portal_id, day, urls, reports, known in (
        items.annotate(day=TruncDate("report__received_at", tzinfo=UTC))
        .values("report__portal_id", "day")
        .annotate(
            urls=Count("pk"),
            reports=Count("pk", filter=Q(position=1)),
            known=Count("pk", filter=Q(known_content=True)),
        )
        .values_list("report__portal_id", "day", "urls", "reports", "known")
    ):
        deltas[(portal_id, day, rollup.URLS, "")] += urls
        deltas[(portal_id, day, rollup.REPORTS, "")] += reports
        deltas[(portal_id, day, rollup.KNOWN_URL, "")] += known
    progress(f"report items: {sum(n for k, n in deltas.items() if k[2] == rollup.URLS):,}")

    cases = Case.objects.filter(
        status__in=sorted(STANDING_STATUSES), resolved_at__isnull=False
    ).exclude(outcome="")
    if portal is not None:
        cases = cases.filter(portal=portal)
    fields = (
        "pk",
        "portal_id",
        "status",
        "outcome",
        "category",
        "result_source",
        "opened_at",
        "assessed_at",
        "resolved_at",
    )
    total = cases.count()
    done, last = 0, 0
    while True:
        chunk = list(cases.filter(pk__gt=last).order_by("pk").only(*fields)[:REBUILD_CHUNK])
        if not chunk:
            break
        last = chunk[-1].pk
        standings = [s for s in map(standing, chunk) if s is not None]
        deltas += rollup.result_deltas([(None, s) for s in standings])
        done += len(chunk)
        progress(f"cases with a result: {done:,} / {total:,}")

    takedowns = Takedown.objects.filter(status=TakedownStatus.REMOVED)
    if portal is not None:
        takedowns = takedowns.filter(case__portal=portal)
    removed = 0
    for takedown, portal_id in (
        (takedown, takedown.case.portal_id)
        for takedown in takedowns.select_related("case").only(
            "status", "removed_at", "time_to_removal", "case__portal_id"
        )
    ):
        removal = removal_of(takedown, portal_id)
        if removal is not None:
            deltas.update(rollup.removal_keys(removal))
            removed += 1
    progress(f"takedowns removed: {removed:,}")

    rollup.add(deltas)
    rows = sum(1 for delta in deltas.values() if delta)
    record_event(
        actor=actor,
        action="stats.figures_rebuilt",
        portal=portal.code if portal is not None else "",
        data={"rows": rows, "cases": total, "removed": removed},
    )
    return rows


# A claim this old is from a run that died while sending: another run may take it over.
CLAIM_EXPIRES = timedelta(hours=1)


class ReportNotSent(Exception):
    """The mail server could not be reached or refused a message; tried again the next day."""


def send_monthly_report(
    *, portal: Portal, month: ReportPeriod, actor: str = SYSTEM, on: date | None = None
) -> MonthlyReportSent | None:
    """E-mail `portal`'s report of `month` to its partner contacts (access.partner_contacts),
    each in their language with the PDF attached, once: returns the record when sent now,
    None when it was sent already, another run is sending it, or there is no one to send to
    (then nothing is recorded, and a contact added later still gets it).

    The month is claimed first (its MonthlyReportSent row, unaudited bookkeeping like the
    workers' job runs), so a retry or a second worker never sends it twice; the messages go
    out with no transaction open, one at a time, and each contact reached (or whose address
    the mail server refuses outright, a permanent failure) is written down at once, so that a
    retry sends only to the others. Then, in one transaction, the row is marked sent and
    `stats.monthly_report_sent` audited (portal, month, how many recipients and languages,
    how many addresses refused, never who). When sending fails otherwise (the mail server
    down, the PDF not printed), the claim is released and `stats.monthly_report_failed`
    audited (the kind of error only: an SMTP error may quote an address), and ReportNotSent
    raised: the next day's run tries again, for the contacts not reached yet.
    """
    contacts = partner_contacts(portal)
    if not contacts:
        return None
    record, _created = MonthlyReportSent.objects.get_or_create(portal=portal, month=month.start)
    now = timezone.now()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES)
    claimed = (
        MonthlyReportSent.objects.filter(free, pk=record.pk, sent_at__isnull=True).update(
            claimed_at=now
        )
        == 1
    )
    if not claimed:
        return None
    record.refresh_from_db()
    done = {*record.delivered_to, *record.refused_to}
    pending = [user for user in contacts if user.pk not in done]
    languages: set[str] = set()
    try:
        messages = monthly_messages(portal=portal, month=month, contacts=pending, on=on)
        mailer = mailers.default
        mailer.open()
        try:
            for user, message in zip(pending, messages, strict=True):
                try:
                    mailer.send_messages([message])
                except smtplib.SMTPRecipientsRefused:
                    # Refused outright (no such mailbox): trying again tomorrow would not help,
                    # and must not hold up the others.
                    record.refused_to.append(user.pk)
                else:
                    record.delivered_to.append(user.pk)
                    languages.add(message.extra_headers["Content-Language"])
                record.save(update_fields=["delivered_to", "refused_to"])
        finally:
            with contextlib.suppress(OSError):
                mailer.close()
    except Exception as error:  # smtplib's errors are OSErrors; WeasyPrint's are its own
        _record_failure(record=record, month=month, error=type(error).__name__, actor=actor)
        raise ReportNotSent(type(error).__name__) from error
    return _record_sent(
        record=record,
        month=month,
        recipients=len(record.delivered_to),
        languages=sorted(languages),
        actor=actor,
    )


@audited_action
def _record_sent(
    *,
    record: MonthlyReportSent,
    month: ReportPeriod,
    recipients: int,
    languages: list[str],
    actor: str,
) -> MonthlyReportSent:
    record.sent_at = timezone.now()
    record.recipients = recipients
    record.claimed_at = None
    record.save(update_fields=["sent_at", "recipients", "claimed_at"])
    data: dict[str, object] = {
        "month": month.slug,
        "recipients": recipients,
        "languages": languages,
    }
    if record.refused_to:
        data["refused"] = len(record.refused_to)
    record_event(
        actor=actor,
        action="stats.monthly_report_sent",
        target=record,
        portal=str(record.portal.code),
        data=data,
    )
    return record


@audited_action
def _record_failure(
    *, record: MonthlyReportSent, month: ReportPeriod, error: str, actor: str
) -> None:
    MonthlyReportSent.objects.filter(pk=record.pk).update(
        claimed_at=None, failures=F("failures") + 1
    )
    record_event(
        actor=actor,
        action="stats.monthly_report_failed",
        target=record,
        portal=str(record.portal.code),
        data={"month": month.slug, "error": error},
    )
