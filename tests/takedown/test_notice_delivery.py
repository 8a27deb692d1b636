"""Notices leave as e-mails through real SMTP (a server on loopback), in the recipient's
language, with the reference, the URLs, the category, the legal basis and the request; a mail
server that is down is tried again later, and nothing is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.audit.actions import SYSTEM
from hotline.cases.actions import open_or_attach_case
from hotline.portals.models import Portal
from hotline.takedown import actions
from hotline.takedown.models import Notice, NoticeState, RecipientKind, Takedown
from hotline.takedown.routing import Route
from hotline.takedown.tasks import send_due_notices, send_notice
from tests.conftest import resolve
from tests.world.smtp import Inbox

pytestmark = pytest.mark.django_db

URL = "http://gallery.test/album/7"


def notice_to(tn: Portal, language: str) -> Notice:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor=SYSTEM)
    resolve(case, "A")
    route = Route(
        kind=RecipientKind.HOSTING_PROVIDER,
        name="Test Hosting",
        email="abuse@hosting.test",
        language=language,
        because="the hosting provider's abuse contact",
    )
    return actions.create_notice(
        takedown=Takedown.objects.get(case=case), route=route, actor=SYSTEM
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Request for removal", "Legal basis", "category A"]),
        ("fr", ["Demande de retrait", "Base juridique", "catégorie A"]),
        ("ar", ["طلب إزالة", "الأساس القانوني", "الفئة A"]),
    ],
)
def test_a_notice_arrives_in_the_recipients_language(
    tn: Portal, inbox: Inbox, language: str, words: list[str]
) -> None:
    notice = notice_to(tn, language)
    assert "sent" in send_notice.call(notice.pk)
    [(recipients, message)] = inbox.received
    assert recipients == ["abuse@hosting.test"]
    reference = f"TN-NTD-{notice.takedown.case_id}-{notice.pk}"
    assert reference in str(message["Subject"])
    body = message.get_content()
    assert URL in body and reference in body
    for word in words:
        assert word in str(message["Subject"]) + body
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT and notice.message_id == message["Message-ID"]


def test_a_mail_server_that_is_down_is_tried_again_later(tn: Portal, inbox: Inbox) -> None:
    notice = notice_to(tn, "en")
    inbox.stop()
    result = send_notice.call(notice.pk)
    assert "ConnectionRefusedError" in result["failed"]
    notice.refresh_from_db()
    assert notice.state == NoticeState.TO_SEND and notice.attempts == 1
    assert notice.next_attempt_at is not None
    # Not due yet: nothing is tried.
    assert send_due_notices.call() == {"sent": 0}
    inbox.start()
    Notice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now() - timedelta(1))
    assert send_due_notices.call() == {"sent": 1}
    assert len(inbox.received) == 1
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.SENT


def test_without_a_mail_server_the_notice_waits_and_says_why(tn: Portal, settings: object) -> None:
    notice = notice_to(tn, "en")
    result = send_notice.call(notice.pk)
    assert "No mail server is configured" in result["failed"]
    notice.refresh_from_db()
    assert "HOTLINE_EMAIL_HOST" in notice.last_error
