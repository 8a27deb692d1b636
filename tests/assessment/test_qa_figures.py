"""The QA page: how often second assessments agree with the first, per analyst and per category,
month by month (or week by week), for the seniors and administrators of a portal."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from hotline.accounts.models import Role
from hotline.assessment import actions
from hotline.assessment.models import Assessment, QaReview
from hotline.cases.models import Case
from hotline.portals.models import Portal
from tests.assessment.qa_world import (
    assess,
    check_every_assessment,
    outcome,
    report,
    senior,
    signed_in,
    staff,
)
from tests.conftest import Analyst

QA = "/staff/qa/"


def checked(case: Case, first: Analyst, first_code: str, second: Analyst, code: str) -> QaReview:
    assess(case, first, first_code)
    return actions.record_second_assessment(case=case, analyst=second.user, outcome=outcome(code))


def row(page: str, label: str) -> list[str]:
    """The cells of the table row headed `label`, as text."""
    match = re.search(rf"<tr><th>{re.escape(label)}</th>(.*?)</tr>", page)
    assert match, f"no row {label!r}"
    return re.findall(r"<td>(.*?)</td>", match.group(1))


def test_an_analyst_is_refused_the_qa_page(alice: Analyst) -> None:
    response = signed_in(alice).get(QA)
    assert response.status_code == 403
    assert "The QA figures are for senior analysts and administrators." in (
        response.content.decode()
    )


def test_with_no_second_assessment_yet_the_page_says_so(tn: Portal) -> None:
    for viewer in (senior("dora", ["tn"]), staff("adam", ["tn"], Role.ADMINISTRATOR)):
        response = signed_in(viewer).get(QA)
        assert response.status_code == 200
        assert "No second assessment has been recorded in this period yet." in (
            response.content.decode()
        )


def test_agreement_rates_per_analyst_and_category_month_by_month(
    alice: Analyst, tn: Portal, ma: Portal
) -> None:
    check_every_assessment(tn)
    carol = staff("carol", ["tn"])
    dora = senior("dora", ["tn"])
    checked(report(tn, "http://one.example/"), alice, "B", carol, "B")  # agreed
    checked(report(tn, "http://two.example/"), alice, "B", carol, "C")  # disagreed
    earlier = checked(
        report(tn, "http://three.example/"), alice, "not_criminal", carol, "not_criminal"
    )
    checked(report(tn, "http://four.example/"), carol, "A", alice, "A")  # agreed
    # The third was checked in an earlier month (40 days ago is always another month).
    assert earlier.second is not None
    Assessment.objects.filter(pk=earlier.second.pk).update(
        assessed_at=timezone.now() - timedelta(days=40)
    )
    page = signed_in(dora).get(QA).content.decode()
    assert row(page, "alice") == ["50% (1/2)", "100% (1/1)", "67% (2/3)"]
    assert row(page, "carol") == ["100% (1/1)", "—", "100% (1/1)"]
    assert row(page, "B: Category B") == ["50% (1/2)", "—", "50% (1/2)"]
    assert row(page, "not_criminal: Not criminal / out of remit") == [
        "—",
        "100% (1/1)",
        "100% (1/1)",
    ]
    assert row(page, "A: Category A") == ["100% (1/1)", "—", "100% (1/1)"]
    this_month = timezone.localtime().strftime("%Y-%m")
    assert page.index(f">{this_month}</time>") < page.index("</thead>"), "newest month first"
    counts = page.split('data-testid="qa-counts"')[1].split("</table>")[0]
    assert "Disagreements waiting for a senior analyst</th><td>1<" in counts
    # Another portal's senior sees none of Tunisia's figures.
    mona = signed_in(senior("mona", ["ma"]))
    assert "No second assessment has been recorded" in mona.get(QA).content.decode()


def test_week_by_week(alice: Analyst, tn: Portal) -> None:
    check_every_assessment(tn)
    carol = staff("carol", ["tn"])
    checked(report(tn, "http://one.example/"), alice, "B", carol, "B")
    page = signed_in(senior("dora", ["tn"])).get(QA, {"period": "week"}).content.decode()
    today = timezone.localtime()
    monday = (today - timedelta(days=today.weekday())).strftime("%Y-%m-%d")
    assert f">{monday}</time>" in page
    assert row(page, "alice") == ["100% (1/1)", "100% (1/1)"]


def test_a_portal_can_be_chosen_among_ones_own(alice: Analyst, tn: Portal, ma: Portal) -> None:
    check_every_assessment(tn)
    carol = staff("carol", ["tn"])
    checked(report(tn, "http://one.example/"), alice, "B", carol, "B")
    both = signed_in(senior("dora", ["tn", "ma"]))
    assert row(both.get(QA).content.decode(), "alice") == ["100% (1/1)", "100% (1/1)"]
    page = both.get(QA, {"portal": "ma"}).content.decode()
    assert "No second assessment has been recorded" in page
    page = both.get(QA, {"portal": "xx"}).content.decode()
    assert "alice" in page, "a portal that is not one's own shows all of one's own"
