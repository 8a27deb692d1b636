"""The monthly report as an e-mail to a portal's partner contacts: a short summary of the
month's figures in the recipient's language, and the month's PDF report in that language.

Like everything partners get, counts only: never a URL, hash, description, reference or case
id (the figures hold none). Sent by `actions.send_monthly_report`, from the daily job
`stats-monthly-reports` (core/periodic.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email.headerregistry import Address

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from hotline.accounts.models import StaffUser
from hotline.portals.models import Portal
from hotline.stats.dashboard import summary_rows
from hotline.stats.figures import figures
from hotline.stats.reports import ReportPeriod, render_report_pdf


def language_of(user: StaffUser, portal: Portal) -> str:
    """A contact's language: their staff pages' language if the portal speaks it (its reports
    are in its own languages), else the portal's default one."""
    if user.language in portal.languages:
        return user.language
    return portal.default_language


def monthly_message(
    *, portal: Portal, month: ReportPeriod, user: StaffUser, pdf: bytes, language: str
) -> EmailMessage:
    """The e-mail of `portal`'s report of `month` to `user`, in `language`, with `pdf`."""
    month_figures = figures(portal=portal, start=month.start, end=month.end)
    with translation.override(language):
        name = portal.name_in(language)
        subject = _("%(portal)s: figures for %(month)s") % {"portal": name, "month": month.label}
        lines = [
            name,
            _("Figures for %(month)s (from %(first)s to %(last)s, UTC days):")
            % {
                "month": month.label,
                "first": month.start.isoformat(),
                "last": month.last_day.isoformat(),
            },
            "",
            *(f"- {label}: {value}" for label, value in summary_rows(month_figures, language)),
            "",
            _(
                "The month's report, with its tables and charts, is attached as a PDF. Every "
                "figure is a count: no address, hash, description, reference or case is ever "
                "sent."
            ),
            _("You receive this message as a partner viewer of this portal's figures."),
        ]
    sender = Address(display_name=name, addr_spec=settings.DEFAULT_FROM_EMAIL)
    message = EmailMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        from_email=str(sender),
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated", "Content-Language": language},
    )
    message.attach(f"report-{portal.code}-{month.slug}-{language}.pdf", pdf, "application/pdf")
    return message


def monthly_messages(
    *, portal: Portal, month: ReportPeriod, contacts: list[StaffUser], on: date | None = None
) -> Iterator[EmailMessage]:
    """One message per contact, in order, each made when asked for (so a message can go out
    before the next is made), the PDF printed once per language."""
    pdfs: dict[str, bytes] = {}
    for user in contacts:
        language = language_of(user, portal)
        if language not in pdfs:
            pdfs[language] = render_report_pdf(
                portal=portal, period=month, language=language, on=on
            )
        yield monthly_message(
            portal=portal, month=month, user=user, pdf=pdfs[language], language=language
        )
