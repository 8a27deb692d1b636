"""Appeals and corrections: a host or site owner appeals a confirmed case and a senior who took
no part in it re-assesses (upheld: off the list at once); a senior corrects a result, with a
reason. Every step is audited and settled through outcomes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotline.assessment import actions
from hotline.assessment.models import Appeal, AppealDecision, Appellant, Purpose
from hotline.assessment.qa import appeal_queue
from hotline.audit.actions import staff_actor
from hotline.audit.models import AuditEvent
from hotline.cases.models import Case, CaseStatus
from hotline.portals.models import Portal
from hotline.urllist.actions import publish_url_list
from hotline.urllist.models import UrlListEntry
from tests.assessment.qa_world import (
    assess,
    check_every_assessment,
    outcome,
    refreshed,
    report,
    senior,
    signed_in,
)
from tests.conftest import Analyst, MemberKey
from tests.urllist.world import download


@pytest.fixture
def confirmed(alice: Analyst, tn: Portal) -> Case:
    """A case alice confirmed as Category B: on the URL list."""
    case = report(tn, "http://appealed.example/page")
    assess(case, alice, "B")
    return refreshed(case)


@pytest.fixture
def dora(tn: Portal) -> Analyst:
    """A senior analyst on Tunisia who assessed nothing."""
    return senior("dora", ["tn"])


def feed(isp: MemberKey) -> dict[str, Any]:
    """The full list as members get it from the next publication."""
    publish_url_list(actor="system")
    body: dict[str, Any] = download(Client(), isp).json()
    return body


def changes(isp: MemberKey, since: int) -> list[tuple[str, str]]:
    """What members see at once: the changes after version `since`, (op, url) each."""
    body = download(Client(), isp, since=str(since)).json()
    return [(change["op"], change["url"]) for change in body["changes"]]


def appeal(client: Client, case: Case, **fields: str) -> str:
    data = {"appeal-appellant": "host", "appeal-organisation": "Example Hosting Ltd"}
    data |= {f"appeal-{name}": value for name, value in fields.items()}
    response = client.post(f"/staff/cases/{case.pk}/appeal/", data, follow=True)
    return response.content.decode()


def reassess(client: Client, case: Case, code: str) -> str:
    response = client.post(
        f"/staff/cases/{case.pk}/appeal/decide/", {"qa-outcome": code}, follow=True
    )
    return response.content.decode()


def correct(client: Client, case: Case, code: str, reason: str) -> str:
    response = client.post(
        f"/staff/cases/{case.pk}/correct/",
        {"correction-outcome": code, "correction-reason": reason},
        follow=True,
    )
    return response.content.decode()


# Appeals


def test_a_senior_records_an_appeal_and_the_case_stays_listed_until_decided(
    confirmed: Case, dora: Analyst, alice: Analyst, isp: MemberKey
) -> None:
    page = appeal(signed_in(dora), confirmed, reference="TCK-1041")
    assert f"Appeal of case {confirmed.pk} recorded." in page
    assert refreshed(confirmed).status == CaseStatus.APPEALED
    recorded = Appeal.objects.get()
    assert (recorded.appellant, recorded.organisation, recorded.reference) == (
        Appellant.HOST,
        "Example Hosting Ltd",
        "TCK-1041",
    )
    assert recorded.recorded_by == dora.user and recorded.decided_at is None
    assert [entry["url"] for entry in feed(isp)["entries"]] == [confirmed.canonical_url]
    event = AuditEvent.objects.get(action="assessment.appeal_recorded")
    assert event.actor == staff_actor(dora.user) and event.data["appellant"] == "host"
    page = signed_in(alice).get(f"/staff/cases/{confirmed.pk}/").content.decode()
    assert "This case is under appeal." in page and "Example Hosting Ltd" in page


def test_an_upheld_appeal_takes_the_url_off_the_list_at_once(
    confirmed: Case, dora: Analyst, isp: MemberKey, tn: Portal
) -> None:
    gina = senior("gina", ["tn"])
    appeal(signed_in(dora), confirmed)
    before = feed(isp)
    assert [a.case for a in appeal_queue(gina.user)] == [confirmed]
    page = signed_in(gina).get(f"/staff/cases/{confirmed.pk}/").content.decode()
    assert "Appeal: re-assess the case" in page
    page = reassess(signed_in(gina), confirmed, "not_criminal")
    assert f"Appeal of case {confirmed.pk} upheld: its address has left the URL list." in page
    case = refreshed(confirmed)
    assert (case.status, case.category) == (CaseStatus.NOT_CONFIRMED, "")
    assert changes(isp, before["version"]) == [("remove", confirmed.canonical_url)]
    after = feed(isp)
    assert after["version"] == before["version"] + 1, "a new version is published"
    assert after["entries"] == [] and after["count"] == 0
    entry = UrlListEntry.objects.get()
    assert entry.removed_at is not None and entry.removal_reason == "appeal"
    decided = Appeal.objects.get()
    assert decided.decision == AppealDecision.UPHELD and decided.decided_at is not None
    assert decided.reassessment is not None
    assert decided.reassessment.purpose == Purpose.APPEAL
    assert decided.reassessment.analyst == gina.user
    event = AuditEvent.objects.get(action="assessment.appeal_decided")
    assert event.actor == staff_actor(gina.user) and event.data["decision"] == "upheld"
    settled = AuditEvent.objects.filter(action="outcomes.case_settled").latest("pk")
    assert settled.data["source"] == "appeal" and settled.data["url_list"] == "remove"
    assert "urllist.entry_removed" in AuditEvent.objects.values_list("action", flat=True)


def test_a_refused_appeal_leaves_the_case_confirmed_and_the_list_unchanged(
    confirmed: Case, dora: Analyst, isp: MemberKey
) -> None:
    gina = senior("gina", ["tn"])
    appeal(signed_in(dora), confirmed)
    before = feed(isp)
    page = reassess(signed_in(gina), confirmed, "B")
    assert f"Appeal of case {confirmed.pk} refused: the case stays confirmed." in page
    case = refreshed(confirmed)
    assert (case.status, case.category) == (CaseStatus.CONFIRMED, "B")
    assert feed(isp) == before
    assert Appeal.objects.get().decision == AppealDecision.REFUSED
    page = signed_in(gina).get(f"/staff/cases/{confirmed.pk}/").content.decode()
    appeals = page.split('data-testid="appeals"')[1]
    assert "Refused: confirmed stands" in appeals and "gina" in appeals


def test_a_refused_appeal_does_not_count_the_case_again_on_its_host(
    confirmed: Case, dora: Analyst, tn: Portal
) -> None:
    waiting = report(tn, "http://appealed.example/other")
    assert waiting.host_confirmed == 1
    gina = senior("gina", ["tn"])
    actions.record_appeal(case=confirmed, senior=dora.user, appellant=Appellant.SITE_OWNER)
    actions.decide_appeal(case=confirmed, senior=gina.user, outcome=outcome("B"))
    assert refreshed(waiting).host_confirmed == 1


def test_the_original_assessor_cannot_reassess_the_appeal(tn: Portal, dora: Analyst) -> None:
    harry = senior("harry", ["tn"])
    case = report(tn, "http://assessed-by-a-senior.example/")
    assess(case, harry, "A")
    appeal(signed_in(dora), case)
    page = reassess(signed_in(harry), case, "not_criminal")
    assert "You assessed this case before, so you cannot re-assess its appeal" in page
    assert refreshed(case).status == CaseStatus.APPEALED
    assert Appeal.objects.get().decided_at is None
    assert list(appeal_queue(harry.user)) == []
    page = signed_in(harry).get(f"/staff/cases/{case.pk}/").content.decode()
    assert "A senior analyst who did not assess it re-assesses it." in page
    assert "Record re-assessment" not in page


def test_a_second_assessor_counts_as_having_assessed_the_case(
    alice: Analyst, dora: Analyst, tn: Portal
) -> None:
    check_every_assessment(tn)
    case = report(tn, "http://twice.example/")
    assess(case, alice, "B")
    actions.record_second_assessment(case=case, analyst=dora.user, outcome=outcome("B"))
    appeal(signed_in(dora), case)
    with pytest.raises(actions.AssessmentRefused, match="You assessed this case before"):
        actions.decide_appeal(case=case, senior=dora.user, outcome=outcome("not_criminal"))


def test_an_analyst_cannot_record_or_decide_an_appeal(
    confirmed: Case, alice: Analyst, dora: Analyst
) -> None:
    page = appeal(signed_in(alice), confirmed)
    assert "Only a senior analyst of portal TN records an appeal." in page
    assert refreshed(confirmed).status == CaseStatus.CONFIRMED
    assert 'data-testid="appeal-form"' not in page
    actions.record_appeal(case=confirmed, senior=dora.user, appellant=Appellant.HOST)
    page = reassess(signed_in(alice), confirmed, "not_criminal")
    assert "Only a senior analyst of portal TN re-assesses an appeal." in page
    assert refreshed(confirmed).status == CaseStatus.APPEALED


def test_only_a_confirmed_case_can_be_appealed(alice: Analyst, dora: Analyst, tn: Portal) -> None:
    case = report(tn, "http://never-listed.example/")
    assess(case, alice, "not_criminal")
    page = signed_in(dora).get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="appeal-form"' not in page
    assert "Only a confirmed case can be appealed." in appeal(signed_in(dora), case)
    assert not Appeal.objects.exists()


def test_an_appeal_is_decided_as_criminal_or_not_criminal(confirmed: Case, dora: Analyst) -> None:
    gina = senior("gina", ["tn"])
    actions.record_appeal(case=confirmed, senior=dora.user, appellant=Appellant.OTHER)
    page = signed_in(gina).get(f"/staff/cases/{confirmed.pk}/").content.decode()
    form = page.split('data-testid="qa-form"')[1].split("</form>")[0]
    assert 'value="not_criminal"' in form and 'value="B"' in form
    assert 'value="unavailable"' not in form and 'value="duplicate"' not in form
    with pytest.raises(actions.AssessmentRefused, match="An appeal is decided as criminal"):
        actions.decide_appeal(case=confirmed, senior=gina.user, outcome=outcome("unavailable"))


def test_an_appeal_without_its_appellant_is_shown_again_with_the_error(
    confirmed: Case, dora: Analyst
) -> None:
    response = signed_in(dora).post(
        f"/staff/cases/{confirmed.pk}/appeal/", {"appeal-appellant": "a person's name"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Appeal.objects.exists()


def test_another_portals_senior_gets_not_found(confirmed: Case, ma: Portal) -> None:
    mona = signed_in(senior("mona", ["ma"]))
    assert mona.post(f"/staff/cases/{confirmed.pk}/appeal/", {}).status_code == 404
    assert mona.post(f"/staff/cases/{confirmed.pk}/appeal/decide/", {}).status_code == 404
    assert mona.post(f"/staff/cases/{confirmed.pk}/correct/", {}).status_code == 404
    assert refreshed(confirmed).status == CaseStatus.CONFIRMED


# Corrections


def test_a_senior_corrects_the_category_with_a_reason(
    confirmed: Case, dora: Analyst, isp: MemberKey
) -> None:
    page = correct(signed_in(dora), confirmed, "A", reason="penetrative activity was missed")
    assert f"Case {confirmed.pk} corrected." in page
    case = refreshed(confirmed)
    assert (case.status, case.category) == (CaseStatus.CONFIRMED, "A")
    assert [entry["category"] for entry in feed(isp)["entries"]] == ["A"]
    correction = case.assessments.get(purpose=Purpose.CORRECTION)
    assert correction.analyst == dora.user
    assert correction.notes == "penetrative activity was missed"
    event = AuditEvent.objects.get(action="assessment.result_corrected")
    assert event.data["from"] == {"status": "confirmed", "outcome": "criminal", "category": "B"}
    assert event.data["to"] == {"status": "confirmed", "outcome": "criminal", "category": "A"}
    assert event.data["reason"] == "penetrative activity was missed"
    settled = AuditEvent.objects.filter(action="outcomes.case_settled").latest("pk")
    assert settled.data["source"] == "correction"


def test_correcting_a_confirmed_case_to_not_criminal_takes_it_off_the_list(
    confirmed: Case, dora: Analyst, isp: MemberKey
) -> None:
    version = feed(isp)["version"]
    correct(signed_in(dora), confirmed, "not_criminal", reason="an adult, verified")
    assert refreshed(confirmed).status == CaseStatus.NOT_CONFIRMED
    after = feed(isp)
    assert after["entries"] == [] and after["version"] == version + 1
    assert UrlListEntry.objects.get().removal_reason == "correction"


def test_correcting_a_not_confirmed_case_to_criminal_puts_it_on_the_list(
    alice: Analyst, dora: Analyst, tn: Portal, isp: MemberKey
) -> None:
    case = report(tn, "http://missed.example/")
    assess(case, alice, "not_criminal")
    correct(signed_in(dora), case, "C", reason="QA review found category C images")
    assert (refreshed(case).status, refreshed(case).category) == (CaseStatus.CONFIRMED, "C")
    assert [entry["url"] for entry in feed(isp)["entries"]] == ["http://missed.example/"]


def test_a_correction_needs_a_reason(confirmed: Case, dora: Analyst) -> None:
    response = signed_in(dora).post(
        f"/staff/cases/{confirmed.pk}/correct/",
        {"correction-outcome": "A", "correction-reason": ""},
    )
    assert response.status_code == 400
    assert "Give the reason for the correction." in response.content.decode()
    with pytest.raises(actions.AssessmentRefused, match="Give the reason for the correction"):
        actions.correct_result(case=confirmed, senior=dora.user, outcome=outcome("A"), reason=" ")
    assert refreshed(confirmed).category == "B"


def test_an_analyst_cannot_correct_a_result(confirmed: Case, alice: Analyst) -> None:
    page = correct(signed_in(alice), confirmed, "A", reason="I think so")
    assert "Only a senior analyst of portal TN corrects a result." in page
    assert 'data-testid="correction-form"' not in page
    assert refreshed(confirmed).category == "B"


def test_a_correction_must_change_the_result(confirmed: Case, dora: Analyst) -> None:
    page = correct(signed_in(dora), confirmed, "B", reason="checked again")
    assert "The case already has that result." in page
    assert not AuditEvent.objects.filter(action="assessment.result_corrected").exists()


def test_a_closed_case_is_corrected_only_to_criminal_content(
    alice: Analyst, dora: Analyst, tn: Portal
) -> None:
    case = report(tn, "http://gone.example/")
    assess(case, alice, "unavailable")
    page = correct(signed_in(dora), case, "not_criminal", reason="it was never criminal")
    assert "This result cannot be corrected that way" in page
    assert refreshed(case).status == CaseStatus.CLOSED
    assert not case.assessments.filter(purpose=Purpose.CORRECTION).exists()
    correct(signed_in(dora), case, "C", reason="the archive copy shows category C")
    assert refreshed(case).status == CaseStatus.CONFIRMED


def test_a_result_in_qa_or_under_appeal_is_not_corrected(confirmed: Case, dora: Analyst) -> None:
    actions.record_appeal(case=confirmed, senior=dora.user, appellant=Appellant.HOST)
    with pytest.raises(actions.AssessmentRefused, match="Only a result that stands"):
        actions.correct_result(
            case=confirmed, senior=dora.user, outcome=outcome("A"), reason="while appealed"
        )
