"""Which assessments a second analyst checks: every one among an analyst's first N, and a
random X% of all others, N and X per portal (settings' defaults, overridden in the admin)."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from hotline.assessment.actions import set_qa_policy
from hotline.assessment.models import QaPolicy, QaReason, QaReview
from hotline.assessment.qa import Policy, needs_second_assessment, policy_for
from hotline.audit.models import AuditEvent
from hotline.cases.models import CaseStatus
from hotline.demo.loader import DEMO_PORTALS, load_demo
from hotline.portals.models import Portal
from hotline.urllist.models import UrlListEntry
from tests.assessment.qa_world import assess, refreshed, report, staff
from tests.assessment.test_schemes import admin_client
from tests.conftest import Analyst
from tests.core.test_settings import run_manage


def test_the_defaults_are_an_analysts_first_50_and_5_percent_of_the_rest(tmp_path: object) -> None:
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print('QA', s.HOTLINE_QA_FIRST_ASSESSMENTS, s.HOTLINE_QA_SAMPLE_PERCENT)",
        env={"HOTLINE_DEBUG": "1", "HOTLINE_VAR_DIR": str(tmp_path)},
    )
    assert "QA 50 5" in result.stdout, result.stderr


def test_a_share_that_is_not_a_per_cent_is_refused_naming_the_variable(tmp_path: object) -> None:
    env = {"HOTLINE_DEBUG": "1", "HOTLINE_VAR_DIR": str(tmp_path)}
    result = run_manage("check", env={**env, "HOTLINE_QA_SAMPLE_PERCENT": "101"})
    assert result.returncode == 2
    assert "HOTLINE_QA_SAMPLE_PERCENT=101 must be a whole per cent from 0 to 100" in result.stderr
    result = run_manage("check", env={**env, "HOTLINE_QA_FIRST_ASSESSMENTS": "-1"})
    assert result.returncode == 2 and "HOTLINE_QA_FIRST_ASSESSMENTS=-1 must be 0 or more" in (
        result.stderr
    )


def test_a_portal_uses_the_defaults_until_it_sets_its_own(
    settings: Settings, tn: Portal, ma: Portal
) -> None:
    settings.HOTLINE_QA_FIRST_ASSESSMENTS = 50
    settings.HOTLINE_QA_SAMPLE_PERCENT = 5
    assert policy_for(tn) == Policy(first_assessments=50, sample_percent=5)
    own = QaPolicy.objects.create(portal=tn, first_assessments=None, sample_percent=20)
    assert policy_for(tn) == Policy(first_assessments=50, sample_percent=20), "blank: default"
    own.first_assessments = 10
    own.save()
    assert policy_for(tn) == Policy(first_assessments=10, sample_percent=20)
    assert policy_for(ma) == Policy(first_assessments=50, sample_percent=5)


def test_every_assessment_in_an_analysts_first_n_is_checked_and_then_none(
    alice: Analyst, tn: Portal
) -> None:
    QaPolicy.objects.create(portal=tn, first_assessments=2, sample_percent=0)
    first, second, third = (report(tn, f"http://new-{n}.example/") for n in range(3))
    assert needs_second_assessment(alice.user, first) == QaReason.NEW_ANALYST
    assess(first, alice, "B")
    assess(second, alice, "not_criminal")
    assert needs_second_assessment(alice.user, third) is None
    assess(third, alice, "C")
    assert [review.first.case_id for review in QaReview.objects.order_by("pk")] == [
        first.pk,
        second.pk,
    ]
    assert {r.reason for r in QaReview.objects.all()} == {QaReason.NEW_ANALYST}
    assert refreshed(first).status == refreshed(second).status == CaseStatus.AWAITING_QA
    assert refreshed(third).status == CaseStatus.CONFIRMED


def test_an_assessment_chosen_for_qa_is_not_acted_on(alice: Analyst, tn: Portal) -> None:
    QaPolicy.objects.create(portal=tn, first_assessments=0, sample_percent=100)
    case = report(tn, "http://sampled.example/")
    assessment = assess(case, alice, "A")
    case = refreshed(case)
    assert case.status == CaseStatus.AWAITING_QA
    assert (case.outcome, case.category) == ("", ""), "no result stands yet"
    assert not UrlListEntry.objects.exists()
    review = QaReview.objects.get()
    assert (review.first, review.reason, review.second) == (assessment, QaReason.SAMPLE, None)
    made = AuditEvent.objects.get(action="assessment.assessment_made")
    assert made.data["second_assessment"] == "sample"
    settled = AuditEvent.objects.get(action="outcomes.case_settled")
    assert (settled.data["status"], settled.data["url_list"]) == ("awaiting_qa", "none")


def test_nothing_is_checked_with_no_first_assessments_and_no_sample(
    alice: Analyst, tn: Portal
) -> None:
    QaPolicy.objects.create(portal=tn, first_assessments=0, sample_percent=0)
    case = report(tn, "http://trusted.example/")
    assert all(needs_second_assessment(alice.user, case) is None for _ in range(100))


def test_the_sample_is_drawn_afresh_and_cannot_be_replayed(alice: Analyst, tn: Portal) -> None:
    # A cryptographic draw: neither predictable nor repeatable by seeding Python's random.
    QaPolicy.objects.create(portal=tn, first_assessments=0, sample_percent=50)
    case = report(tn, "http://coin.example/")

    def draws() -> list[bool]:
        random.seed(9)
        return [needs_second_assessment(alice.user, case) is not None for _ in range(200)]

    once, again = draws(), draws()
    assert once != again
    assert 40 < sum(once) < 160, "about half are drawn"


def test_experience_counts_over_every_portal(tn: Portal, ma: Portal) -> None:
    carol = staff("carol", ["tn", "ma"])
    QaPolicy.objects.create(portal=tn, first_assessments=1, sample_percent=0)
    QaPolicy.objects.create(portal=ma, first_assessments=1, sample_percent=0)
    assess(report(ma, "http://morocco.example/"), carol, "not_criminal")
    assert needs_second_assessment(carol.user, report(tn, "http://tunisia.example/")) is None


@pytest.mark.parametrize("percent", ["101", "-1"])
def test_a_portals_policy_is_set_in_the_admin_within_bounds(
    client: Client, tn: Portal, percent: str
) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/assessment/qapolicy/add/",
        {"portal": tn.pk, "first_assessments": "20", "sample_percent": percent},
    )
    assert response.status_code == 200 and not QaPolicy.objects.exists()


def test_a_portals_policy_edited_in_the_admin_is_audited(client: Client, tn: Portal) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/assessment/qapolicy/add/",
        {"portal": tn.pk, "first_assessments": "20", "sample_percent": "10"},
    )
    assert response.status_code == 302
    assert policy_for(tn) == Policy(first_assessments=20, sample_percent=10)
    event = AuditEvent.objects.get(action="admin.added")
    assert event.data["model"] == "assessment.qapolicy"


def test_the_demo_acts_on_its_one_analysts_assessments_at_once(db: None) -> None:
    # With one demo analyst, nobody could make a second assessment.
    assert load_demo() is not None
    for code in DEMO_PORTALS:
        portal = Portal.objects.get(code=code)
        assert policy_for(portal) == Policy(first_assessments=0, sample_percent=0)
    assert AuditEvent.objects.filter(action="assessment.qa_policy_set").count() == 2


def test_a_policy_set_in_code_is_checked_and_audited(tn: Portal) -> None:
    with pytest.raises(ValueError, match="not a per cent"):
        set_qa_policy(portal=tn, first_assessments=None, sample_percent=150, actor="system")
    set_qa_policy(portal=tn, first_assessments=None, sample_percent=25, actor="system")
    set_qa_policy(portal=tn, first_assessments=5, sample_percent=25, actor="system")
    assert QaPolicy.objects.get(portal=tn).first_assessments == 5
    event = AuditEvent.objects.filter(action="assessment.qa_policy_set").latest("pk")
    assert event.data == {"first_assessments": 5, "sample_percent": 25}
