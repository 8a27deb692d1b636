"""The takedown board: an analyst sees the open notices of their portals' cases, those needing a
person first, can filter them, read each notice as it was (or will be) sent, and route by hand
a notice that had nobody to go to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from hotline.audit.actions import SYSTEM
from hotline.cases.actions import open_or_attach_case
from hotline.cases.models import Case
from hotline.portals.models import Portal
from hotline.takedown import actions
from hotline.takedown.models import Notice, NoticeState, RecipientKind, Takedown
from hotline.takedown.routing import Route
from tests.conftest import Analyst, resolve, sign_in

pytestmark = pytest.mark.django_db


def confirmed_with_notice(portal: Portal, url: str, route: Route, *, country: str = "") -> Notice:
    case, _ = open_or_attach_case(canonical_url=url, portal=portal, actor=SYSTEM)
    case = resolve(case, "A")
    Takedown.objects.filter(case=case).update(hosting_country=country)
    return actions.create_notice(
        takedown=Takedown.objects.get(case=case), route=route, actor=SYSTEM
    )


def to(email: str, language: str = "fr") -> Route:
    return Route(
        kind=RecipientKind.HOSTING_PROVIDER,
        name="Hébergeur Test",
        email=email,
        language=language,
        because="the hosting provider's abuse contact",
    )


NOBODY = Route(kind=RecipientKind.MANUAL, name="", email="", language="en", because="none")


def rows(html: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'data-notice="(\d+)"', html)]


def test_the_board_lists_my_portals_notices_those_needing_a_person_first(
    alice_client: Client, tn: Portal, ma: Portal
) -> None:
    sent = confirmed_with_notice(tn, "http://one.test/", to("abuse@one.test"), country="FR")
    actions.record_notice_sent(notice=sent, message_id="<1@x>", actor=SYSTEM)
    manual = confirmed_with_notice(tn, "http://two.test/", NOBODY, country="DE")
    elsewhere = confirmed_with_notice(ma, "http://three.test/", to("abuse@three.test"))
    html = alice_client.get("/staff/takedown/").content.decode()
    assert rows(html) == [manual.pk, sent.pk]
    assert elsewhere.pk not in rows(html)
    assert "To route by hand" in html


def test_the_board_filters_by_country_and_state(alice_client: Client, tn: Portal) -> None:
    fr = confirmed_with_notice(tn, "http://one.test/", to("abuse@one.test"), country="FR")
    de = confirmed_with_notice(tn, "http://two.test/", to("abuse@two.test"), country="DE")
    actions.record_notice_sent(notice=de, message_id="<2@x>", actor=SYSTEM)
    assert rows(alice_client.get("/staff/takedown/?country=fr").content.decode()) == [fr.pk]
    assert rows(alice_client.get("/staff/takedown/?state=sent").content.decode()) == [de.pk]
    bad = alice_client.get("/staff/takedown/?country=France")
    assert bad.status_code == 400
    assert "two-letter country code" in bad.content.decode()


def test_an_empty_board_says_where_notices_come_from(alice_client: Client) -> None:
    html = alice_client.get("/staff/takedown/").content.decode()
    assert "Notices appear here when a case is confirmed" in html


def test_a_notice_page_shows_the_notice_in_the_recipients_language(
    alice_client: Client, tn: Portal
) -> None:
    notice = confirmed_with_notice(tn, "http://one.test/page", to("abuse@one.test", "fr"))
    html = alice_client.get(f"/staff/takedown/notices/{notice.pk}/").content.decode()
    assert "Demande de retrait" in html and "http://one.test/page" in html
    assert f"TN-NTD-{notice.takedown.case_id}-{notice.pk}" in html


def test_routing_by_hand_checks_the_address_then_sends(alice_client: Client, tn: Portal) -> None:
    notice = confirmed_with_notice(tn, "http://one.test/", NOBODY)
    url = f"/staff/takedown/notices/{notice.pk}/route/"
    refused = alice_client.post(url, {"name": "Host", "email": "not an address", "language": "en"})
    assert refused.status_code == 400
    assert "Enter a valid email address" in refused.content.decode()
    assert Notice.objects.get(pk=notice.pk).email == ""
    done = alice_client.post(url, {"name": "Host", "email": "abuse@host.test", "language": "ar"})
    assert done.status_code == 302
    notice.refresh_from_db()
    assert (notice.email, notice.language, notice.state) == (
        "abuse@host.test",
        "ar",
        NoticeState.TO_SEND,
    )


def test_another_portals_analyst_gets_not_found(client: Client, bob: Analyst, tn: Portal) -> None:
    notice = confirmed_with_notice(tn, "http://one.test/", NOBODY)
    sign_in(client, bob)
    assert client.get(f"/staff/takedown/notices/{notice.pk}/").status_code == 404
    assert client.post(f"/staff/takedown/notices/{notice.pk}/acknowledge/").status_code == 404


def test_overdue_notices_are_marked(alice_client: Client, tn: Portal) -> None:
    notice = confirmed_with_notice(tn, "http://one.test/", to("abuse@one.test"))
    actions.record_notice_sent(notice=notice, message_id="<1@x>", actor=SYSTEM)
    Takedown.objects.filter(pk=notice.takedown_id).update(
        confirmed_at=notice.takedown.confirmed_at - timedelta(hours=49)
    )
    html = alice_client.get("/staff/takedown/").content.decode()
    assert 'class="overdue"' in html


def test_a_case_page_shows_its_takedown(alice_client: Client, tn: Portal) -> None:
    notice = confirmed_with_notice(tn, "http://one.test/", NOBODY)
    case = Case.objects.get(pk=notice.takedown.case_id)
    html = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="takedown-status"' in html
