"""The monthly report e-mailed to each portal's partner contacts by the daily job, through real
SMTP (aiosmtpd on loopback): once per month, in each recipient's language, with the month's
PDF; a failed send is tried again the next run; never a URL, description, reference or case."""

from __future__ import annotations

import json
from datetime import date

import pytest

from hotline.accounts.models import Role
from hotline.audit.models import AuditEvent
from hotline.core.periodic import PERIODIC_JOBS
from hotline.portals.models import Portal
from hotline.stats import reports
from hotline.stats.models import MonthlyReportSent
from hotline.stats.reports import ReportKind, ReportPeriod
from hotline.stats.tasks import send_due_monthly_reports
from tests.assessment.qa_world import staff
from tests.conftest import Analyst
from tests.stats.reports_world import History, make_history, pdf_text
from tests.world.smtp import Inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tn: Portal, ma: Portal, alice: Analyst) -> History:
    made = make_history(tn, alice)
    contact(staff("vera", ["tn"], Role.PARTNER_VIEWER), "vera@ministry.example", "fr")
    contact(staff("walid", ["tn"], Role.PARTNER_VIEWER), "walid@unicef.example", "")
    staff("nadia", ["tn"], Role.PARTNER_VIEWER)  # no address: no e-mail
    contact(staff("omar", ["ma"], Role.PARTNER_VIEWER), "omar@ma.example", "fr")  # Morocco's
    contact(alice, "alice@hotline.example", "fr")  # an analyst, not a partner contact
    return made


def contact(analyst: Analyst, email: str, language: str) -> None:
    analyst.user.email = email
    analyst.user.language = language
    analyst.user.save(update_fields=["email", "language"])


def next_month() -> date:
    """A day of the month after this one: the day the job sends this month's report."""
    return ReportPeriod.holding(ReportKind.MONTH, reports.today()).following().start


def test_the_job_is_in_the_periodic_table() -> None:
    job = next(j for j in PERIODIC_JOBS if j.name == "stats-monthly-reports")
    assert job.task == "hotline.stats.tasks.send_monthly_reports"


def test_last_months_report_reaches_each_contact_in_their_language_once(
    history: History, inbox: Inbox
) -> None:
    month = ReportPeriod.holding(ReportKind.MONTH, reports.today())

    # Tunisia's and Morocco's reports (both launched by then), each to its own contacts.
    assert send_due_monthly_reports(on=next_month()) == {"sent": 2, "failed": 0}

    by_recipient = {tuple(to): message for to, message in inbox.received}
    assert set(by_recipient) == {
        ("vera@ministry.example",),
        ("walid@unicef.example",),
        ("omar@ma.example",),
    }
    assert "Maroc" in by_recipient[("omar@ma.example",)]["Subject"]
    french = by_recipient[("vera@ministry.example",)]
    arabic = by_recipient[("walid@unicef.example",)]  # no staff language: the portal's (ar)
    assert french["Content-Language"] == "fr" and arabic["Content-Language"] == "ar"
    assert french["To"] == "vera@ministry.example"
    assert month.label in french["Subject"]
    assert "Portail de signalement de la Tunisie" in french["Subject"]
    assert "تونس" in arabic["Subject"]
    for message in (french, arabic):
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        attachments = list(message.iter_attachments())
        assert len(attachments) == 1
        assert attachments[0].get_content_type() == "application/pdf"
        pdf = attachments[0].get_content()
        assert pdf.startswith(b"%PDF")
        printed = " ".join(pdf_text(pdf))
        assert month.label in printed
        for secret in history.secrets:
            assert secret not in text and secret not in message["Subject"]
            assert secret not in printed
            assert secret.encode() not in message.as_bytes()
    text = french.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    lines = text.splitlines()
    assert lines[3].endswith(": 2") and lines[4].endswith(": 3")  # reports, URLs reported
    assert f"report-tn-{month.slug}-fr.pdf" in str(french)
    record = MonthlyReportSent.objects.get(portal=history.portal)
    assert (record.portal_id, record.month, record.recipients) == (
        history.portal.pk,
        month.start,
        2,
    )
    assert record.sent_at is not None
    event = AuditEvent.objects.get(action="stats.monthly_report_sent", portal="tn")
    assert event.data == {"month": month.slug, "recipients": 2, "languages": ["ar", "fr"]}
    assert "example" not in json.dumps(event.data)

    # A second run, or a second worker: nothing more.
    assert send_due_monthly_reports(on=next_month()) == {"sent": 0, "failed": 0}
    assert len(inbox.received) == 3


def test_a_send_that_fails_is_tried_again_on_the_next_run(history: History, inbox: Inbox) -> None:
    inbox.stop()

    assert send_due_monthly_reports(on=next_month()) == {"sent": 0, "failed": 2}

    record = MonthlyReportSent.objects.get(portal=history.portal)
    assert (record.sent_at, record.claimed_at, record.failures) == (None, None, 1)
    assert AuditEvent.objects.filter(action="stats.monthly_report_failed").count() == 2
    inbox.start()
    assert send_due_monthly_reports(on=next_month()) == {"sent": 2, "failed": 0}
    assert len(inbox.received) == 3
    assert send_due_monthly_reports(on=next_month()) == {"sent": 0, "failed": 0}
    assert len(inbox.received) == 3


def test_an_address_the_server_refuses_holds_up_no_one_and_is_not_tried_again(
    history: History, inbox: Inbox
) -> None:
    # vera (the first contact by id) has no mailbox; walid comes after her.
    inbox.refused.add("vera@ministry.example")

    assert send_due_monthly_reports(on=next_month()) == {"sent": 2, "failed": 0}
    assert sorted(to for to, _message in inbox.received) == [
        ["omar@ma.example"],
        ["walid@unicef.example"],
    ]
    record = MonthlyReportSent.objects.get(portal=history.portal)
    assert record.sent_at is not None and record.recipients == 1 and len(record.refused_to) == 1
    event = AuditEvent.objects.get(action="stats.monthly_report_sent", portal="tn")
    assert event.data["refused"] == 1 and "example" not in json.dumps(event.data)
    assert send_due_monthly_reports(on=next_month()) == {"sent": 0, "failed": 0}
    assert len(inbox.received) == 2


def test_a_failure_half_way_resends_only_to_those_not_reached(
    history: History, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.stats import monthly

    # The PDF in Arabic cannot be printed this time: vera (French) is reached, walid is not.
    real = monthly.render_report_pdf

    def failing(**kwargs: object) -> bytes:
        if kwargs["language"] == "ar":
            raise RuntimeError("printer jammed")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(monthly, "render_report_pdf", failing)
    assert send_due_monthly_reports(on=next_month()) == {"sent": 1, "failed": 1}
    record = MonthlyReportSent.objects.get(portal=history.portal)
    assert (record.sent_at, record.claimed_at, record.failures) == (None, None, 1)

    monkeypatch.setattr(monthly, "render_report_pdf", real)
    assert send_due_monthly_reports(on=next_month()) == {"sent": 1, "failed": 0}
    tunisians = [to for to, _m in inbox.received if to != ["omar@ma.example"]]
    # Each reached once: vera on the first run, walid on the second.
    assert tunisians == [["vera@ministry.example"], ["walid@unicef.example"]]


def test_no_report_before_the_launch_nor_without_a_mail_server(history: History) -> None:
    # No mail server configured here: nothing is sent or recorded.
    assert send_due_monthly_reports(on=next_month()) == {"sent": 0, "failed": 0}
    assert not MonthlyReportSent.objects.exists()


def test_a_month_before_the_launch_has_no_report(history: History, inbox: Inbox) -> None:
    before = history.portal.launched_at
    assert before is not None
    assert send_due_monthly_reports(on=before.date().replace(day=1)) == {"sent": 0, "failed": 0}
    assert inbox.received == []
