"""Background work of the intake app: attaching new reports to their cases, and the one status
message a reporter may ask for."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from email.headerregistry import Address

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db.models import Q
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext

from hotline.core.mail import mail_configured
from hotline.intake.actions import (
    attach_reports_to_cases,
    delete_expired_status_emails,
    delete_sent_status_email,
    reports_waiting_for_cases,
)
from hotline.intake.models import StatusEmail
from hotline.intake.status import ASSESSED, ReportStatus, report_status

logger = logging.getLogger(__name__)

# Reports attached in one transaction: under a flood, one commit for many reports.
BATCH = 100


def attach_waiting_reports() -> int:
    """Attach the items of every report waiting for its cases; returns how many reports.

    A continuous job of `hotline worker` (core/periodic.py), run about once a second. The
    waiting items are themselves the queue: they committed with their report, so nothing is
    lost if a process dies, and a failed attachment is tried again on the next round. A batch
    that fails is retried one report at a time, so one report that cannot be attached does
    not hold up the rest.
    """
    attached = 0
    after = 0
    while reports := reports_waiting_for_cases(after=after, limit=BATCH):
        try:
            attach_reports_to_cases(report_ids=reports)
            attached += len(reports)
        except Exception:
            for report_id in reports:
                try:
                    attach_reports_to_cases(report_ids=[report_id])
                except Exception:
                    logger.exception("report %d could not be attached; will retry", report_id)
                else:
                    attached += 1
        after = reports[-1]
    return attached


# A claim this old is from a worker that died while sending: another run may take it over.
CLAIM_EXPIRES = timedelta(minutes=10)


@task()
def send_status_emails() -> dict[str, int]:
    """Send the status message of every report now assessed, then delete its address.

    Addresses kept longer than HOTLINE_STATUS_EMAIL_DAYS are deleted first, unsent. Each
    message is sent before its address is deleted; one that fails (the mail server is down,
    refuses it) keeps its address for the next run. Logs name the report's reference and the
    kind of failure, never the address: an SMTP error's text may quote it, so it is left out.
    """
    too_old = timezone.now() - timedelta(days=settings.HOTLINE_STATUS_EMAIL_DAYS)
    # Checked first, so a minute with nothing to delete takes no lock on the audit chain.
    expired = 0
    if StatusEmail.objects.filter(created_at__lt=too_old).exists():
        expired = delete_expired_status_emails(kept_before=too_old)
    outcome = {"sent": 0, "failed": 0, "expired": expired}
    if not mail_configured():
        return outcome  # no mailer (any longer): the addresses wait, or expire
    waiting = StatusEmail.objects.select_related("report__portal").order_by("created_at")
    due = [(kept, status) for kept in waiting if (status := report_status(kept.report)) in ASSESSED]
    if not due:
        return outcome
    mailer = mailers.default
    try:
        mailer.open()
    except OSError as exc:  # smtplib's errors are OSErrors too
        logger.warning(
            "Status e-mails not sent: the mail server cannot be reached (%s); %d kept for the "
            "next run.",
            type(exc).__name__,
            len(due),
        )
        outcome["failed"] = len(due)
        return outcome
    try:
        for kept, status in due:
            if not claim(kept):
                continue  # another run is sending it
            try:
                mailer.send_messages([status_message(kept, status)])
            except (OSError, ValueError) as exc:
                release(kept)
                outcome["failed"] += 1
                logger.warning(
                    "Status e-mail for report %s not sent (%s); kept for the next run.",
                    kept.report.reference,
                    type(exc).__name__,
                )
                continue
            delete_sent_status_email(status_email=kept, status=status)
            outcome["sent"] += 1
    finally:
        with contextlib.suppress(OSError):
            mailer.close()
    return outcome


# The claim is bookkeeping for the workers, like core's PeriodicJobRun, not a change of the
# report's state: it is written here, unaudited, in one short statement.
def claim(kept: StatusEmail) -> bool:
    """Mark `kept` as being sent by this run; False when another run is sending it."""
    now = timezone.now()
    free = Q(sending_since__isnull=True) | Q(sending_since__lt=now - CLAIM_EXPIRES)
    return StatusEmail.objects.filter(free, pk=kept.pk).update(sending_since=now) == 1


def release(kept: StatusEmail) -> None:
    StatusEmail.objects.filter(pk=kept.pk).update(sending_since=None)


def status_message(kept: StatusEmail, status: ReportStatus) -> EmailMessage:
    """The message, in the report's language: the portal, the reference, the status; no more.

    Never the addresses reported nor the description: the message may be read by others.
    """
    report = kept.report
    with translation.override(report.language):
        portal = report.portal.name_in(report.language)
        subject = gettext("%(portal)s: your report %(reference)s") % {
            "portal": portal,
            "reference": report.reference,
        }
        body = "\n\n".join(
            [
                gettext("Your report %(reference)s has been assessed.")
                % {"reference": report.reference},
                str(status.label),
                gettext(
                    "This is the only message you will get about it: your e-mail address is "
                    "deleted as soon as this message has been sent. Please do not reply."
                ),
                portal,
            ]
        )
    sender = Address(display_name=portal, addr_spec=settings.DEFAULT_FROM_EMAIL)
    return EmailMessage(
        subject=subject,
        body=body + "\n",
        from_email=str(sender),
        to=[kept.address],
        # No out-of-office replies back to the portal (RFC 3834).
        headers={"Auto-Submitted": "auto-generated", "Content-Language": report.language},
    )
