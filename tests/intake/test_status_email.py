"""The one status message a reporter may ask for: offered only with a mail server, sent once
through real SMTP (aiosmtpd on loopback) when the report is assessed, then the address is gone.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.intake import actions
from hotline.intake.actions import file_report
from hotline.intake.models import Report, StatusEmail
from hotline.intake.status import ReportStatus
from hotline.intake.tasks import claim, send_status_emails
from hotline.portals.models import Portal
from tests.conftest import MemberKey, resolve, run_worker
from tests.world.smtp import Inbox

ADDRESS = "reporter-7f3a@mail.example"
REPORTED = "http://secret-gallery.example/album/42"
DESCRIPTION = "found it in a forum thread"


def report(client: Client, lang: str = "fr", urls: str = REPORTED, **fields: str) -> Report:
    response = client.post(
        f"/tn/{lang}/report/",
        {
            "urls": urls,
            "description": DESCRIPTION,
            "status_email": ADDRESS,
            "status_email_consent": "on",
            **fields,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    run_worker()  # the report's addresses reach their cases
    return Report.objects.latest("received_at")


def assess(report: Report, *, confirmed: bool) -> None:
    for item in report.items.all():
        assert item.case is not None
        resolve(item.case, "B" if confirmed else None)


def consent_box(page: str) -> str:
    found = re.search(r'<input type="checkbox" name="status_email_consent"[^>]*>', page)
    assert found is not None, page
    return found.group(0)


def audited() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str)


# The form


def test_without_a_mail_server_the_message_is_not_offered(client: Client, tn: Portal) -> None:
    page = client.get("/tn/en/report/").content.decode()
    assert 'name="status_email"' not in page and "status message" not in page
    # An address posted anyway (an old page, a script) is ignored, not kept.
    response = client.post(
        "/tn/en/report/",
        {"urls": REPORTED, "status_email": ADDRESS, "status_email_consent": "on"},
    )
    assert response.status_code == 302
    assert Report.objects.count() == 1 and not StatusEmail.objects.exists()


def test_the_form_offers_one_message_with_the_consent_box_unticked(
    client: Client, tn: Portal, inbox: Inbox
) -> None:
    page = client.get("/tn/fr/report/").content.decode()
    assert 'type="email" name="status_email"' in page and 'maxlength="254"' in page
    assert consent_box(page) == (
        '<input type="checkbox" name="status_email_consent" '
        'aria-describedby="id_status_email_consent_helptext" id="id_status_email_consent">'
    )
    assert "puis supprimez l’adresse" in page  # what happens, in the reporter's language


@pytest.mark.parametrize(
    ("address", "consent", "message"),
    [
        (ADDRESS, "", "Cochez cette case si vous voulez le message"),
        ("", "on", "Saisissez l’adresse e-mail à laquelle envoyer le message"),
        ("reporter at mail.example", "on", "Saisissez une adresse e-mail comme"),
        ("reporter@localhost", "on", "Saisissez une adresse e-mail comme"),
        ("reporter@[127.0.0.1]", "on", "Saisissez une adresse e-mail comme"),
        ("reporter@" + "m" * 250 + ".example", "on", "au plus 254 caractères"),
    ],
    ids=[
        "address without consent",
        "consent without address",
        "bad address",
        "no internet domain",
        "an IP address for a domain",
        "too long",
    ],
)
def test_address_and_consent_go_together_or_the_form_says_why(
    client: Client, tn: Portal, inbox: Inbox, address: str, consent: str, message: str
) -> None:
    typed = {"urls": REPORTED, "description": DESCRIPTION, "status_email": address}
    response = client.post("/tn/fr/report/", {**typed, "status_email_consent": consent})
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page, page
    assert "Votre signalement n’a pas encore été envoyé" in page
    # Nothing typed is lost, and nothing at all is written.
    assert REPORTED in page and DESCRIPTION in page
    assert not address or f'name="status_email" value="{address}"' in page
    assert consent_box(page).endswith(" checked>") == bool(consent)
    assert not Report.objects.exists() and not StatusEmail.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="intake.").exists()


def test_an_address_given_with_consent_is_kept_apart_and_never_audited(
    client: Client, tn: Portal, inbox: Inbox
) -> None:
    filed = report(client, lang="en")
    kept = StatusEmail.objects.get()
    assert kept.report == filed and kept.address == ADDRESS
    assert ADDRESS not in str(filed.__dict__) and ADDRESS not in str(kept)
    assert AuditEvent.objects.filter(action="intake.status_email_kept").count() == 1
    assert ADDRESS not in audited()
    page = client.get("/tn/en/report/thanks/").content.decode()
    assert "we will send one message to the e-mail address you gave" in page
    assert ADDRESS not in page  # nor in the session that carried the receipt
    assert inbox.received == []  # nothing is sent before the assessment


def test_the_address_is_kept_in_the_reports_transaction(
    tn: Portal, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = actions.record_event

    def fail_at_the_report(**event: Any) -> AuditEvent:
        if event["action"] == "intake.report_filed":
            raise RuntimeError("the disk is full")
        return real(**event)

    monkeypatch.setattr(actions, "record_event", fail_at_the_report)
    with pytest.raises(RuntimeError):
        file_report(
            portal=tn,
            language="fr",
            urls=[(REPORTED, REPORTED)],
            status_email=ADDRESS,
        )
    assert not Report.objects.exists() and not StatusEmail.objects.exists()


def test_partners_cannot_leave_an_address(client: Client, tn: Portal, inbox: Inbox) -> None:
    from hotline.members.actions import create_member, issue_api_key
    from hotline.members.models import MemberKind, Scope

    member = create_member(name="Example Hotline", kind=MemberKind.HOTLINE, country="MA")
    partner = MemberKey(*issue_api_key(member=member, scopes=[Scope.REPORTS_WRITE]))
    response = client.post(
        "/api/v1/reports",
        json.dumps({"portal": "tn", "urls": [REPORTED], "status_email": ADDRESS}),
        content_type="application/json",
        headers=partner.header,
    )
    assert response.status_code == 201
    assert not StatusEmail.objects.exists()


# Sending


@pytest.mark.parametrize(
    ("lang", "confirmed", "status"),
    [("fr", True, ReportStatus.ACTION_TAKEN), ("ar", False, ReportStatus.NO_ACTION)],
)
def test_once_assessed_one_message_goes_out_in_the_reports_language_then_the_address_is_gone(
    client: Client,
    tn: Portal,
    inbox: Inbox,
    lang: str,
    confirmed: bool,
    status: ReportStatus,
) -> None:
    filed = report(client, lang=lang)
    assess(filed, confirmed=confirmed)
    assert send_status_emails.call() == {"sent": 1, "failed": 0, "expired": 0}

    [(recipients, message)] = inbox.received
    assert recipients == [ADDRESS] and message["To"] == ADDRESS
    assert message["Content-Language"] == lang and message["Auto-Submitted"] == "auto-generated"
    assert message["From"].addresses[0].addr_spec == "no-reply@hotline.example"
    assert filed.reference in message["Subject"]
    body = message.get_content()
    with translation.override(lang):
        assert str(status.label) in body
    assert filed.reference in body and tn.name_in(lang) in body
    for private in ("secret-gallery", "album/42", DESCRIPTION):
        assert private not in message.as_string()

    assert not StatusEmail.objects.exists()
    sent = AuditEvent.objects.get(action="intake.status_email_sent")
    assert sent.target_id == str(filed.pk) and sent.data == {"status": status.value}
    assert ADDRESS not in audited()
    # Once only.
    assert send_status_emails.call()["sent"] == 0 and len(inbox.received) == 1


def test_a_report_not_yet_assessed_gets_nothing(client: Client, tn: Portal, inbox: Inbox) -> None:
    filed = report(client, urls=f"{REPORTED}\nhttp://other.example/")
    first = Case.objects.order_by("pk").first()
    assert first is not None
    resolve(first, "B")  # one of two
    assert send_status_emails.call() == {"sent": 0, "failed": 0, "expired": 0}
    assert inbox.received == [] and StatusEmail.objects.get().report == filed


def test_a_failed_send_keeps_the_address_for_a_later_run(
    client: Client, tn: Portal, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    filed = report(client)
    assess(filed, confirmed=False)
    inbox.stop()  # the mail server is down
    caplog.set_level(logging.DEBUG)
    assert send_status_emails.call() == {"sent": 0, "failed": 1, "expired": 0}
    assert StatusEmail.objects.get().sending_since is None  # free for the next run
    assert not AuditEvent.objects.filter(action="intake.status_email_sent").exists()
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert "cannot be reached (ConnectionRefusedError)" in logged
    assert ADDRESS not in logged

    inbox.start()
    assert send_status_emails.call()["sent"] == 1
    assert [recipients for recipients, _ in inbox.received] == [[ADDRESS]]
    assert not StatusEmail.objects.exists()


def test_a_message_another_run_is_sending_is_left_to_it(
    client: Client, tn: Portal, inbox: Inbox
) -> None:
    assess(report(client), confirmed=False)
    kept = StatusEmail.objects.get()
    assert claim(kept)  # another run has just claimed it
    assert send_status_emails.call()["sent"] == 0 and inbox.received == []
    # A claim left by a worker that died is taken over after ten minutes.
    StatusEmail.objects.update(sending_since=timezone.now() - timedelta(minutes=11))
    assert send_status_emails.call()["sent"] == 1


def test_an_address_is_deleted_unsent_once_it_is_too_old(
    client: Client, tn: Portal, inbox: Inbox, settings: Any
) -> None:
    settings.HOTLINE_STATUS_EMAIL_DAYS = 180
    old, recent = report(client), report(client, urls="http://recent.example/")
    StatusEmail.objects.filter(report=old).update(created_at=timezone.now() - timedelta(days=181))
    assess(old, confirmed=True)  # too late: the address is gone before this run sends
    assert send_status_emails.call() == {"sent": 0, "failed": 0, "expired": 1}
    assert list(StatusEmail.objects.values_list("report", flat=True)) == [recent.pk]
    assert inbox.received == []
    expired = AuditEvent.objects.get(action="intake.status_emails_expired")
    assert expired.portal == "tn" and expired.data == {"deleted": 1}
    assert ADDRESS not in audited()


def test_without_a_mailer_addresses_wait_and_still_expire(
    client: Client, tn: Portal, inbox: Inbox, settings: Any
) -> None:
    assess(report(client), confirmed=False)
    del settings.MAILERS  # the operator removed HOTLINE_EMAIL_HOST
    assert send_status_emails.call() == {"sent": 0, "failed": 0, "expired": 0}
    assert StatusEmail.objects.exists()
    StatusEmail.objects.update(created_at=timezone.now() - timedelta(days=181))
    assert send_status_emails.call()["expired"] == 1 and not StatusEmail.objects.exists()


def test_the_privacy_notice_says_what_happens_to_an_address(
    client: Client, tn: Portal, settings: Any
) -> None:
    page = client.get("/tn/en/privacy/").content.decode()
    assert "Your name, your contact details or any account: we never ask for them." in page
    settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1"}}}
    page = client.get("/tn/en/privacy/").content.decode()
    assert "If you ask for one status message: your e-mail address" in page
    assert "after 180 days" in page and "we never ask for them." in page
