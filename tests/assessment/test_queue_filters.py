"""The queue page: filters, search, pages, the time each case has waited, and what it says when
there is nothing to show or the address is wrong."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client

from hotline.assessment import actions, queries, views
from hotline.assessment.queries import QueueFilter, waiting_queue_keys
from hotline.audit.actions import SYSTEM
from hotline.cases.actions import open_or_attach_cases
from hotline.cases.models import Case, CasePortal
from hotline.core.canonical import canonicalise_url
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from tests.assessment.test_queue import outcome, report
from tests.conftest import Analyst, make_analyst, run_worker, sign_in


def opened_ago(case: Case, age: timedelta) -> None:
    """As if `case` had been opened `age` earlier than it was (its queue time moves with it)."""
    for rows in (Case.objects.filter(pk=case.pk), CasePortal.objects.filter(case=case)):
        rows.update(opened_at=F("opened_at") - age, queue_at=F("queue_at") - age)


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-case="(\d+)">', page)]


@pytest.fixture
def dora(tn: Portal, ma: Portal) -> Analyst:
    """An analyst on both Tunisia and Morocco."""
    return make_analyst("dora", ["tn", "ma"])


def test_the_portal_filter_shows_one_of_the_analysts_portals(
    client: Client, dora: Analyst, tn: Portal, ma: Portal
) -> None:
    (tunisian,) = report(tn, "http://tunisia.example/")
    (moroccan,) = report(ma, "http://morocco.example/")
    sign_in(client, dora)
    assert listed(client.get("/staff/").content.decode()) == [tunisian.pk, moroccan.pk]
    page = client.get("/staff/?portal=ma").content.decode()
    assert listed(page) == [moroccan.pk] and "1 case awaiting assessment." in page
    # "Next case" from the filtered page keeps to the portal.
    assert '<input type="hidden" name="portal" value="ma">' in page


def test_a_case_reported_on_two_of_the_analysts_portals_is_listed_and_counted_once(
    client: Client, dora: Analyst, tn: Portal, ma: Portal
) -> None:
    (case,) = report(tn, "http://both.example/")
    report(ma, "http://both.example/")
    (other,) = report(ma, "http://morocco.example/")
    sign_in(client, dora)
    page = client.get("/staff/").content.decode()
    assert listed(page) == [case.pk, other.pk] and "2 cases awaiting assessment." in page
    assert [key.case_id for key in waiting_queue_keys(QueueFilter([tn.pk, ma.pk]), limit=1)] == [
        case.pk
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("portal=ma", "You do not assess reports for the portal “ma”; choose one of yours."),
        ("portal=zz", "You do not assess reports for the portal “zz”; choose one of yours."),
        ("status=closed", "Select a valid choice. closed is not one of the available choices."),
        ("age=century", "Select a valid choice. century is not one of the available choices."),
        ("verified=maybe", "Select a valid choice. maybe is not one of the available choices."),
        ("after=1.2.x", "This page address is not valid; start from the first page."),
        ("after=1." + "9" * 30 + ".1", "This page address is not valid; start from the first"),
        ("before=-3", "Ensure this value is greater than or equal to 1."),
        ("before=" + "9" * 40, "Ensure this value is less than or equal to 9223372036854775807."),
        ("after=1.1." + "9" * 19, "This page address is not valid; start from the first page."),
        ("q=%01abc", "The search contains control characters."),
        ("q=%00", "Null characters are not allowed."),
        ("q=" + "a" * 2049, "Ensure this value has at most 2048 characters (it has 2049)."),
        ("q=javascript:alert(1)", "Search by report reference (such as TN-7K2Q-9XRP), web"),
        ("q=just words", "Search by report reference (such as TN-7K2Q-9XRP), web"),
    ],
)
def test_bad_filter_values_are_refused_with_a_message(
    alice_client: Client, ma: Portal, query: str, message: str
) -> None:
    response = alice_client.get(f"/staff/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")


def test_the_verified_filter(alice_client: Client, tn: Portal) -> None:
    (plain,) = report(tn, "http://plain.example/")
    (verified,) = report(tn, "http://verified.example/", verified=True)
    assert listed(alice_client.get("/staff/?verified=yes").content.decode()) == [verified.pk]
    assert listed(alice_client.get("/staff/?verified=no").content.decode()) == [plain.pk]
    assert listed(alice_client.get("/staff/").content.decode()) == [verified.pk, plain.pk]


def test_age_bands_count_the_time_since_a_case_was_opened(alice_client: Client, tn: Portal) -> None:
    (fresh,) = report(tn, "http://fresh.example/")
    for _ in range(4):  # reported again and again: queued as if hours older, but opened now
        (popular,) = report(tn, "http://popular.example/")
    (hours,) = report(tn, "http://hours.example/")
    (days,) = report(tn, "http://days.example/")
    (weeks,) = report(tn, "http://weeks.example/")
    opened_ago(hours, timedelta(hours=5))
    opened_ago(days, timedelta(days=3))
    opened_ago(weeks, timedelta(days=20))
    popular.refresh_from_db()
    assert popular.queue_at is not None and popular.queue_at < popular.opened_at
    bands = {
        band: listed(alice_client.get(f"/staff/?age={band}").content.decode())
        for band in ("hour", "day", "week", "older")
    }
    assert bands == {
        "hour": [popular.pk, fresh.pk],
        "day": [hours.pk],
        "week": [days.pk],
        "older": [weeks.pk],
    }


def test_time_in_the_queue_is_shown_with_its_time_zone(alice_client: Client, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    opened_ago(case, timedelta(hours=3, minutes=5))
    page = alice_client.get("/staff/").content.decode()
    case.refresh_from_db()
    assert f'<time datetime="{case.opened_at.isoformat()}"' in page
    assert f"{case.opened_at:%Y-%m-%d %H:%M} UTC</time>" in page
    assert "(3\xa0hours, 5\xa0minutes ago)" in page


def test_pages_follow_the_queue_order_without_gaps_or_repeats(
    alice_client: Client, tn: Portal
) -> None:
    opened = open_or_attach_cases(
        urls=[(f"http://page-{n}.example/", tn, n % 5 == 0) for n in range(120)], actor=SYSTEM
    )
    expected = [
        case.pk
        for case in sorted(
            (case for case, _ in opened), key=lambda c: (not c.has_verified_report, c.queue_at)
        )
    ]
    seen: list[int] = []
    address = "/staff/"
    pages = 0
    while address:
        page = alice_client.get(address).content.decode()
        assert "120 cases awaiting assessment." in page
        seen += listed(page)
        pages += 1
        following = re.search(r'<a href="([^"]+)" rel="next">', page)
        address = following.group(1).replace("&amp;", "&") if following else ""
        if pages > 1:
            assert '<a href="/staff/">First page</a>' in page
    assert pages == 3 and seen == expected


def test_the_count_stops_at_its_cap(
    alice_client: Client, tn: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    monkeypatch.setattr(views, "COUNT_CAP", 5)
    open_or_attach_cases(
        urls=[(f"http://many-{n}.example/", tn, False) for n in range(6)], actor=SYSTEM
    )
    assert "More than 5 cases awaiting assessment." in alice_client.get("/staff/").content.decode()
    assert queries.count_waiting(QueueFilter([tn.pk])) == 6
    filtered = alice_client.get("/staff/?verified=yes").content.decode()
    assert "0 cases awaiting assessment." in filtered
    assert "No case matches these filters." in filtered


def test_the_cases_in_assessment_show_who_holds_them_until_when(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (held,) = report(tn, "http://held.example/")
    (waiting,) = report(tn, "http://waiting.example/")
    carol = make_analyst("carol", ["tn"])
    claim = actions.claim_case(case=held, analyst=carol.user)
    page = alice_client.get("/staff/?status=in_assessment").content.decode()
    assert listed(page) == [held.pk]
    assert f"carol, until {claim.lease_until:%H:%M} UTC" in page
    assert listed(alice_client.get("/staff/").content.decode()) == [waiting.pk]


def test_search_by_report_reference(
    client: Client, dora: Analyst, bob: Analyst, tn: Portal
) -> None:
    filed = file_report(
        portal=tn,
        language="fr",
        urls=[
            ("http://one.example/", "http://one.example/"),
            ("http://two.example/", "http://two.example/"),
        ],
    )
    run_worker()
    cases = {item.case_id for item in filed.report.items.all()}
    report(tn, "http://unrelated.example/")
    sign_in(client, dora)
    page = client.get(f"/staff/?q={filed.report.reference.lower()}").content.decode()
    assert set(listed(page)) == cases
    # Bob works on Morocco only: a Tunisian reference finds nothing for him.
    bob_client = Client()
    sign_in(bob_client, bob)
    page = bob_client.get(f"/staff/?q={filed.report.reference}").content.decode()
    assert listed(page) == [] and "No case you can see matches" in page


def test_search_by_address_finds_its_case_then_the_hosts_others_in_any_status(
    alice_client: Client, alice: Analyst, tn: Portal, ma: Portal
) -> None:
    reported = "http://Shop.Example/a/../gallery?id=7"
    file_report(portal=tn, language="fr", urls=[(reported, canonicalise_url(reported))])
    run_worker()
    page_case = Case.objects.get(canonical_url="http://shop.example/gallery?id=7")
    (elsewhere,) = report(tn, "http://shop.example/other")
    report(ma, "http://shop.example/hidden")  # Morocco's, on the same host: not for alice
    actions.claim_case(case=elsewhere, analyst=alice.user)
    actions.record_assessment(case=elsewhere, analyst=alice.user, outcome=outcome("not_criminal"))
    page = alice_client.get("/staff/?q=shop.example/gallery%3Fid%3D7").content.decode()
    assert listed(page) == [page_case.pk, elsewhere.pk]
    assert "Not confirmed" in page  # found in any status
    assert listed(alice_client.get("/staff/?q=SHOP.example").content.decode()) == [
        elsewhere.pk,
        page_case.pk,
    ]


def test_a_search_that_finds_nothing_says_how_to_search(alice_client: Client, tn: Portal) -> None:
    page = alice_client.get("/staff/?q=TN-0000-0000").content.decode()
    assert "No case you can see matches “TN-0000-0000”." in page
    assert "a host name for every case on it" in page


def test_an_analyst_without_portals_is_told_what_to_do(client: Client, tn: Portal) -> None:
    erin = make_analyst("erin", [])
    sign_in(client, erin)
    page = client.get("/staff/").content.decode()
    assert "You have no analyst role on any portal yet." in page
