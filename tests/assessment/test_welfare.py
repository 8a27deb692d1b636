"""Analyst welfare: exposure counted honestly, a daily limit on new claims, a break reminder.

Exposure is time with a case page showing, counted from beats: the page's script every 30 s
while visible (and when shown, hidden or left), the server when a case is opened and decided.
Times are given explicitly (`now=`) so the clock in each test is the test's own.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from hotline.accounts.actions import grant_portal_roles
from hotline.accounts.models import Role
from hotline.assessment import actions, welfare
from hotline.assessment.models import ExposureDay
from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.portals.models import Portal
from hotline.urllist.models import UrlListEntry
from tests.assessment.test_queue import outcome, report
from tests.conftest import Analyst, make_analyst, sign_in
from tests.core.test_settings import run_manage

# "Today" in these tests is the exposure day, counted back from now: a clock at noon.
pytestmark = pytest.mark.usefixtures("daytime")

T = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # a Monday morning, UTC


def beats(analyst: Analyst, start: datetime, *offsets: int, beat: welfare.Beat) -> None:
    """One beat of kind `beat` at each `offset` seconds after `start`."""
    for offset in offsets:
        actions.record_exposure(
            analyst=analyst.user, beat=beat, now=start + timedelta(seconds=offset)
        )


def seconds_on(analyst: Analyst, day: str) -> int:
    row = ExposureDay.objects.filter(analyst=analyst.user, day=day).first()
    return row.seconds if row else 0


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("occurred_at", "pk"))


def visible_for(analyst: Analyst, minutes: float, *, ending: datetime) -> None:
    """A case page open and visible for `minutes`, beating every 30 s, up to `ending`."""
    start = ending - timedelta(minutes=minutes)
    beats(analyst, start, 0, beat=welfare.CASE_OPENED)
    beats(analyst, start, *range(30, int(minutes * 60) + 1, 30), beat=welfare.PAGE_VISIBLE)


def senior(username: str, portals: list[str]) -> Analyst:
    person = make_analyst(username, portals)
    grant_portal_roles(user=person.user, portal_codes=portals, role=Role.SENIOR_ANALYST)
    return person


# Counting


def test_a_visible_case_page_counts_the_time_between_beats(alice: Analyst) -> None:
    beats(alice, T, 0, beat=welfare.CASE_OPENED)
    beats(alice, T, 30, 60, 90, beat=welfare.PAGE_VISIBLE)
    assert seconds_on(alice, "2026-03-02") == 90


def test_a_beat_counts_at_most_45_seconds_since_the_one_before(alice: Analyst) -> None:
    # The page stopped beating (the laptop slept): the five minutes are not counted.
    beats(alice, T, 0, beat=welfare.CASE_OPENED)
    beats(alice, T, 300, beat=welfare.PAGE_VISIBLE)
    assert seconds_on(alice, "2026-03-02") == 45


def test_time_with_the_page_hidden_or_in_the_queue_does_not_count(alice: Analyst) -> None:
    beats(alice, T, 0, beat=welfare.CASE_OPENED)
    beats(alice, T, 20, beat=welfare.PAGE_HIDDEN)  # 20 s shown, then another tab
    beats(alice, T, 200, beat=welfare.PAGE_VISIBLE)  # back: the 180 s away count nothing
    beats(alice, T, 230, beat=welfare.PAGE_VISIBLE)
    beats(alice, T, 240, beat=welfare.CASE_LEFT)  # assessed; the queue is not exposure
    beats(alice, T, 400, beat=welfare.CASE_OPENED)  # the next case, 160 s later
    assert seconds_on(alice, "2026-03-02") == 20 + 30 + 10


def test_two_case_pages_open_at_once_do_not_count_twice(alice: Analyst) -> None:
    beats(alice, T, 0, beat=welfare.CASE_OPENED)
    beats(alice, T, 15, beat=welfare.CASE_OPENED)  # a second case in another window
    beats(alice, T, 30, 45, 60, beat=welfare.PAGE_VISIBLE)  # both beating, each every 30 s
    assert seconds_on(alice, "2026-03-02") == 60


def test_without_the_script_opening_to_deciding_counts_up_to_half_an_hour(
    alice: Analyst,
) -> None:
    beats(alice, T, 0, beat=welfare.CASE_OPENED)
    beats(alice, T, 12 * 60, beat=welfare.CASE_LEFT)  # assessed twelve minutes later
    assert seconds_on(alice, "2026-03-02") == 12 * 60
    beats(alice, T, 13 * 60, beat=welfare.CASE_OPENED)
    beats(alice, T, 13 * 60 + 50 * 60, beat=welfare.CASE_LEFT)  # left open for 50 minutes
    assert seconds_on(alice, "2026-03-02") == 12 * 60 + 30 * 60


def test_a_form_sent_back_with_errors_counts_like_a_decision_and_the_case_stays_open(
    alice: Analyst,
) -> None:
    beats(alice, T, 0, beat=welfare.CASE_OPENED)
    beats(alice, T, 8 * 60, beat=welfare.CASE_FORM_SENT)  # no script: 8 minutes reading
    beats(alice, T, 10 * 60, beat=welfare.CASE_LEFT)  # corrected and sent 2 minutes later
    assert seconds_on(alice, "2026-03-02") == 10 * 60


def test_the_case_page_and_its_decision_count_without_any_script(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (case,) = report(tn, "http://one.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    alice_client.get(f"/staff/cases/{case.pk}/")
    row = ExposureDay.objects.get(analyst=alice.user)
    assert row.showing
    ExposureDay.objects.filter(pk=row.pk).update(last_beat=row.last_beat - 300)  # 5 min ago
    alice_client.post(f"/staff/cases/{case.pk}/", {"outcome": "B"})
    row.refresh_from_db()
    assert 300 <= row.seconds <= 302 and not row.showing


def test_days_roll_over_at_midnight_where_the_analysts_work(alice: Analyst, settings: Any) -> None:
    settings.HOTLINE_WELFARE_TIME_ZONE = "Africa/Tunis"  # UTC+1 all year
    before_midnight = datetime(2026, 3, 2, 22, 59, 10, tzinfo=UTC)  # 23:59:10 in Tunis
    beats(alice, before_midnight, 0, beat=welfare.CASE_OPENED)
    beats(alice, before_midnight, 30, 60, 90, beat=welfare.PAGE_VISIBLE)
    # 23:59:10 to 23:59:40 on the old day; the beat at 00:00:10 counts the 30 s across
    # midnight on the new day; the stretch goes on (midnight is no break).
    assert seconds_on(alice, "2026-03-02") == 30
    assert seconds_on(alice, "2026-03-03") == 60
    assert ExposureDay.objects.get(analyst=alice.user, day="2026-03-03").stretch_seconds == 90
    # In UTC the same moments are all on 2 March.
    settings.HOTLINE_WELFARE_TIME_ZONE = "UTC"
    assert welfare.working_day(before_midnight + timedelta(seconds=90)).isoformat() == (
        "2026-03-02"
    )


def test_the_working_day_defaults_to_the_servers_time_zone(settings: Any) -> None:
    assert settings.HOTLINE_WELFARE_TIME_ZONE == settings.TIME_ZONE == "UTC"
    assert welfare.working_day(datetime(2026, 3, 2, 23, 59, tzinfo=UTC)).isoformat() == (
        "2026-03-02"
    )


def test_counting_a_beat_is_one_update(alice: Analyst, django_assert_num_queries: Any) -> None:
    beats(alice, T, 0, beat=welfare.CASE_OPENED)
    # The action's transaction (a savepoint under the test's own), and the one UPDATE.
    with django_assert_num_queries(3) as captured:
        beats(alice, T, 30, beat=welfare.PAGE_VISIBLE)
    assert [q["sql"].split()[0] for q in captured.captured_queries].count("UPDATE") == 1
    assert not events("assessment.exposure_limit_reached")


# Skipped before any fixture runs: a transactional test skipped after its fixtures made rows
# leaves them behind for the tests after it (SQLite).
@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="SQLite serialises whole write transactions; the race is PostgreSQL's",
)
@pytest.mark.django_db(transaction=True)
def test_two_pages_beating_at_once_on_a_new_day_make_one_row(alice: Analyst) -> None:
    errors: list[BaseException] = []
    for day in range(10):  # ten first beats of a day, each from two pages at once
        start = threading.Barrier(2)
        at = T + timedelta(days=day)

        def page(offset: int, at: datetime = at, start: threading.Barrier = start) -> None:
            try:
                start.wait()
                actions.record_exposure(
                    analyst=alice.user,
                    beat=welfare.PAGE_VISIBLE,
                    now=at + timedelta(seconds=offset),
                )
            except BaseException as exc:  # reported to the main thread below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=page, args=(offset,)) for offset in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert ExposureDay.objects.filter(analyst=alice.user).count() == 10


# The daily limit


def test_at_the_limit_new_claims_are_refused_with_a_kind_message(
    alice_client: Client, alice: Analyst, tn: Portal, settings: Any
) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 60
    one, two = report(tn, "http://one.example/", "http://two.example/")
    visible_for(alice, 60, ending=timezone.now())
    with pytest.raises(actions.AssessmentRefused, match="Please take a break now"):
        actions.claim_case(case=one, analyst=alice.user)
    response = alice_client.post(f"/staff/cases/{two.pk}/claim/", follow=True)
    page = response.content.decode()
    assert "You have spent 1 hour with cases open today, which is today&#x27;s limit." in page
    assert "a senior analyst lifts the limit for today" in page
    assert not Case.objects.filter(claim__isnull=False).exists()


def test_reaching_the_limit_is_audited_once_not_every_beat(alice: Analyst, settings: Any) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 2
    visible_for(alice, 5, ending=T)
    (reached,) = events("assessment.exposure_limit_reached")
    assert reached.actor == f"staff:{alice.user.pk}"
    assert reached.target_id == str(alice.user.pk)
    assert reached.data == {"day": "2026-03-02", "minutes": 2}


def test_a_case_already_held_can_still_be_assessed_at_the_limit(
    alice: Analyst, tn: Portal, settings: Any
) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 1
    (case,) = report(tn, "http://held.example/")
    actions.claim_case(case=case, analyst=alice.user)
    visible_for(alice, 2, ending=timezone.now())
    actions.record_assessment(case=case, analyst=alice.user, outcome=outcome("B"))
    assert UrlListEntry.objects.filter(case_id=case.pk).exists()


def test_the_limit_is_per_day(alice: Analyst, tn: Portal, settings: Any) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 1
    (case,) = report(tn, "http://tomorrow.example/")
    visible_for(alice, 2, ending=timezone.now() - timedelta(days=1))
    actions.claim_case(case=case, analyst=alice.user)  # yesterday's limit is not today's


def test_a_senior_lifts_the_limit_for_the_day_with_a_reason_on_record(
    alice: Analyst, tn: Portal, settings: Any
) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 1
    (one,) = report(tn, "http://one.example/")
    dora = senior("dora", ["tn"])
    visible_for(alice, 2, ending=timezone.now())
    reason = "Flood of reports after a takedown; Alice asked to finish this batch."
    actions.lift_exposure_limit(analyst=alice.user, senior=dora.user, reason=f"  {reason} ")
    actions.claim_case(case=one, analyst=alice.user)
    (lifted,) = events("assessment.exposure_limit_lifted")
    assert lifted.actor == f"staff:{dora.user.pk}" and lifted.target_id == str(alice.user.pk)
    assert lifted.data == {
        "day": welfare.working_day(timezone.now()).isoformat(),
        "minutes": 2,
        "reason": reason,
    }
    # For the day only: tomorrow the limit applies again.
    tomorrow = timezone.now() + timedelta(days=1)
    visible_for(alice, 2, ending=tomorrow)
    assert welfare.exposure_today(alice.user, tomorrow).limit_reached


@pytest.mark.parametrize(
    ("who", "reason", "refusal"),
    [
        ("alice", "I feel fine", "You cannot lift your own limit"),
        ("bob", "Busy day", "Only a senior analyst on one of this analyst's portals"),
        ("carol", "Busy day", "Only a senior analyst on one of this analyst's portals"),
        ("dora", "   ", "Say why the limit is lifted"),
        ("dora", "x" * 501, "at most 500 characters"),
    ],
)
def test_only_another_senior_of_the_analysts_portals_lifts_a_limit_and_says_why(
    who: str, reason: str, refusal: str, alice: Analyst, ma: Portal
) -> None:
    grant_portal_roles(user=alice.user, portal_codes=["tn"], role=Role.SENIOR_ANALYST)
    people = {
        "alice": alice,
        "bob": senior("bob", ["ma"]),  # a senior, but on Morocco only
        "carol": make_analyst("carol", ["tn"]),  # on Tunisia, but not a senior
        "dora": senior("dora", ["tn"]),
    }
    with pytest.raises(actions.AssessmentRefused, match=refusal):
        actions.lift_exposure_limit(analyst=alice.user, senior=people[who].user, reason=reason)
    assert not events("assessment.exposure_limit_lifted")


# The break reminder


def reminder_banner(page: str) -> str:
    match = re.search(r'<div class="welfare-banner"[^>]*data-welfare-banner="reminder"[^>]*>', page)
    assert match, "every staff page carries the reminder, shown or hidden"
    return match.group(0)


def test_the_reminder_shows_after_an_hour_without_a_break(
    alice_client: Client, alice: Analyst
) -> None:
    now = timezone.now()
    visible_for(alice, 59, ending=now - timedelta(minutes=1))
    assert "hidden" in reminder_banner(alice_client.get("/staff/").content.decode())
    visible_for(alice, 1, ending=now)
    page = alice_client.get("/staff/").content.decode()
    assert "hidden" not in reminder_banner(page)
    assert "You have had cases open for 60 minutes without a break." in page
    (due,) = events("assessment.break_reminder_due")
    assert due.data["stretch_minutes"] == 60


def test_the_reminder_interval_is_a_setting(alice: Analyst, settings: Any) -> None:
    settings.HOTLINE_BREAK_REMINDER_MINUTES = 20
    visible_for(alice, 20, ending=T)
    assert welfare.exposure_today(alice.user, T).reminder_due


def test_ten_minutes_without_a_case_showing_is_a_break(alice: Analyst) -> None:
    visible_for(alice, 70, ending=T)
    assert welfare.exposure_today(alice.user, T).reminder_due
    beats(alice, T, 1, beat=welfare.PAGE_HIDDEN)
    assert welfare.exposure_today(alice.user, T + timedelta(seconds=600)).reminder_due
    assert not welfare.exposure_today(alice.user, T + timedelta(seconds=601)).reminder_due
    beats(alice, T, 601, beat=welfare.CASE_OPENED)  # back after the break
    row = ExposureDay.objects.get(analyst=alice.user)
    assert row.stretch_seconds == 0 and row.seconds == 70 * 60 + 1
    assert not welfare.exposure_today(alice.user, T + timedelta(seconds=601)).reminder_due


def test_nine_minutes_away_is_not_a_break(alice: Analyst) -> None:
    visible_for(alice, 70, ending=T)
    beats(alice, T, 1, beat=welfare.PAGE_HIDDEN)
    beats(alice, T, 9 * 60, beat=welfare.CASE_OPENED)
    assert welfare.exposure_today(alice.user, T + timedelta(minutes=9)).reminder_due


def test_a_dismissed_reminder_comes_back_after_another_hour(
    alice_client: Client, alice: Analyst
) -> None:
    now = timezone.now()
    visible_for(alice, 61, ending=now)
    response = alice_client.post("/staff/welfare/reminder/dismiss/", {"next": "/staff/cases/1/"})
    assert response["Location"] == "/staff/cases/1/"
    assert "hidden" in reminder_banner(alice_client.get("/staff/").content.decode())
    (dismissed,) = events("assessment.break_reminder_dismissed")
    assert dismissed.data["stretch_minutes"] == 61
    an_hour_on = now + timedelta(minutes=60)
    visible_for(alice, 59.5, ending=an_hour_on - timedelta(seconds=30))
    assert not welfare.exposure_today(alice.user, an_hour_on).reminder_due
    visible_for(alice, 0.5, ending=an_hour_on)
    assert welfare.exposure_today(alice.user, an_hour_on).reminder_due
    assert len(events("assessment.break_reminder_due")) == 2


def test_dismissing_goes_back_only_to_a_page_of_this_site(alice_client: Client) -> None:
    response = alice_client.post(
        "/staff/welfare/reminder/dismiss/", {"next": "https://elsewhere.example/"}
    )
    assert response["Location"] == "/staff/welfare/"
    assert not events("assessment.break_reminder_dismissed")  # there was nothing to dismiss


# The heartbeat endpoint


def test_the_heartbeat_counts_and_answers_what_the_page_should_show(
    alice_client: Client, alice: Analyst, settings: Any
) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 1
    visible_for(alice, 1, ending=timezone.now() - timedelta(seconds=30))
    response = alice_client.post("/staff/welfare/heartbeat/", {"state": "visible"})
    assert response.status_code == 200
    assert response.json() == {"reminder_due": False, "limit_reached": True}
    assert ExposureDay.objects.get(analyst=alice.user).seconds >= 89
    response = alice_client.post("/staff/welfare/heartbeat/", {"state": "hidden"})
    assert not ExposureDay.objects.get(analyst=alice.user).showing


def test_the_heartbeat_takes_only_posts_with_a_known_state(alice_client: Client) -> None:
    assert alice_client.get("/staff/welfare/heartbeat/").status_code == 405
    assert alice_client.post("/staff/welfare/heartbeat/", {"state": "asleep"}).status_code == 400
    assert not ExposureDay.objects.exists()


def test_the_heartbeat_needs_a_signed_in_analyst_and_the_csrf_token(
    client: Client, alice: Analyst
) -> None:
    response = client.post("/staff/welfare/heartbeat/", {"state": "visible"})
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice.user)
    assert strict.post("/staff/welfare/heartbeat/", {"state": "visible"}).status_code == 403
    assert not ExposureDay.objects.exists()


# Who sees exposure, who lifts limits


def test_an_administrator_sees_exposure_per_analyst_of_their_portals(
    client: Client, alice: Analyst, bob: Analyst, settings: Any
) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 60
    erin = make_analyst("erin", [])
    grant_portal_roles(user=erin.user, portal_codes=["tn"], role=Role.ADMINISTRATOR)
    visible_for(alice, 75, ending=timezone.now())
    visible_for(bob, 10, ending=timezone.now())  # Morocco's analyst: not Erin's to see
    sign_in(client, erin)
    page = client.get("/staff/welfare/").content.decode()
    row = re.search(r'<tr data-analyst="alice">.*?</tr>', page, re.S)
    assert row and "1 h 15 min" in row.group(0) and "Reached: no new cases today" in row.group(0)
    assert 'data-analyst="bob"' not in page
    assert "Lift today" not in page  # an administrator sees; a senior analyst lifts


def test_a_senior_lifts_the_limit_from_the_welfare_page(
    client: Client, alice: Analyst, tn: Portal, settings: Any
) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 1
    (case,) = report(tn, "http://after.example/")
    visible_for(alice, 2, ending=timezone.now())
    dora = senior("dora", ["tn"])
    sign_in(client, dora)
    assert "Lift today's limit for alice" in client.get("/staff/welfare/").content.decode()
    response = client.post(
        f"/staff/welfare/analysts/{alice.user.pk}/lift-limit/", {"reason": ""}, follow=True
    )
    assert "Say why the limit is lifted" in response.content.decode()
    response = client.post(
        f"/staff/welfare/analysts/{alice.user.pk}/lift-limit/",
        {"reason": "Urgent series"},
        follow=True,
    )
    page = response.content.decode()
    assert "alice may take new cases again today." in page
    assert "Lifted for today by dora:" in page and "Urgent series" in page
    actions.claim_case(case=case, analyst=alice.user)


def test_a_senior_of_another_portal_cannot_reach_the_analyst(
    client: Client, alice: Analyst, ma: Portal
) -> None:
    sign_in(client, senior("bob", ["ma"]))
    response = client.post(
        f"/staff/welfare/analysts/{alice.user.pk}/lift-limit/", {"reason": "Busy"}
    )
    assert response.status_code == 404


def test_an_analyst_sees_their_own_exposure(alice_client: Client, alice: Analyst) -> None:
    visible_for(alice, 35, ending=timezone.now())
    page = alice_client.get("/staff/welfare/").content.decode()
    assert "35 min with cases open, of a daily limit of 4 h 00 min." in page
    assert "35 min since your last break." in page
    assert "team-exposure" not in page  # an analyst looks after nobody


# Settings


def test_the_limits_and_the_time_zone_are_checked_at_start_up(tmp_path: Any) -> None:
    base = {"HOTLINE_VAR_DIR": str(tmp_path), "HOTLINE_DEBUG": "1"}
    result = run_manage("check", env={**base, "HOTLINE_EXPOSURE_LIMIT_MINUTES": "0"})
    assert result.returncode == 2
    assert "HOTLINE_EXPOSURE_LIMIT_MINUTES=0 must be between 1 and 1440" in result.stderr
    result = run_manage("check", env={**base, "HOTLINE_WELFARE_TIME_ZONE": "Mars/Olympus"})
    assert result.returncode == 2
    assert "HOTLINE_WELFARE_TIME_ZONE='Mars/Olympus' is not a time zone name" in result.stderr
