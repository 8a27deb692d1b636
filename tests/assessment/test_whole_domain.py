"""A senior analyst lists the whole domain of a confirmed case's site: never automatically,
only the case's host or one of its parents down to the registrable domain, never a public
suffix; members' resolvers then block every name under it."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.assessment import actions
from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.core.canonical import listable_domains
from hotline.portals.models import Portal
from hotline.urllist.lookup import on_url_list
from hotline.urllist.models import UrlListEntry
from tests.assessment.qa_world import assess, refreshed, report, senior, signed_in
from tests.conftest import Analyst


@pytest.mark.parametrize(
    ("host", "domains"),
    [
        ("a.b.example.co.uk", ["a.b.example.co.uk", "b.example.co.uk", "example.co.uk"]),
        ("www.abuse.test", ["www.abuse.test", "abuse.test"]),
        ("someone.github.io", ["someone.github.io"]),  # github.io itself is shared
        ("co.uk", []),
        ("192.0.2.7", []),
    ],
)
def test_the_domains_a_case_may_list_stop_at_the_registrable_domain(
    host: str, domains: list[str]
) -> None:
    assert listable_domains(host) == domains


@pytest.fixture
def confirmed(alice: Analyst, tn: Portal) -> Case:
    case = report(tn, "http://www.gallery.abuse.test/page/7")
    assess(case, alice, "A")
    return refreshed(case)


@pytest.fixture
def dora(tn: Portal) -> Analyst:
    return senior("dora", ["tn"])


def list_domain(client: Client, case: Case, **data: str) -> tuple[int, str]:
    fields = {f"domain-{name}": value for name, value in data.items()}
    response = client.post(f"/staff/cases/{case.pk}/domain/", fields, follow=True)
    return response.status_code, response.content.decode()


def test_a_senior_lists_the_whole_site_and_every_name_under_it(
    confirmed: Case, dora: Analyst
) -> None:
    page = signed_in(dora).get(f"/staff/cases/{confirmed.pk}/").content.decode()
    assert 'data-testid="domain-form"' in page
    assert "gallery.abuse.test" in page and 'value="abuse.test"' in page
    status, page = list_domain(signed_in(dora), confirmed, domain="abuse.test", dedicated="on")
    assert status == 200
    assert "abuse.test and every address under it are on the URL list." in page
    entry = UrlListEntry.objects.get(kind="domain")
    assert (entry.domain, entry.category, entry.case_id) == ("abuse.test", "A", confirmed.pk)
    assert on_url_list(confirmed.canonical_url)  # the case's own entry stays
    actions_seen = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"assessment.whole_domain_decided", "outcomes.domain_listed"} <= actions_seen


def test_without_the_confirmation_nothing_is_listed_and_the_form_says_why(
    confirmed: Case, dora: Analyst
) -> None:
    status, page = list_domain(signed_in(dora), confirmed, domain="abuse.test")
    assert status == 400
    assert "Confirm that the whole site is dedicated to abuse." in page
    assert not UrlListEntry.objects.filter(kind="domain").exists()


def test_another_sites_domain_or_a_public_suffix_is_refused(confirmed: Case, dora: Analyst) -> None:
    for domain in ("other.test", "test"):
        status, _ = list_domain(signed_in(dora), confirmed, domain=domain, dedicated="on")
        assert status == 400  # not among the choices offered
        with pytest.raises(actions.AssessmentRefused, match="not this case's site"):
            actions.decide_whole_domain(case=confirmed, senior=dora.user, domain=domain)
    assert not UrlListEntry.objects.filter(kind="domain").exists()


def test_an_analyst_sees_no_form_and_is_refused(confirmed: Case, alice: Analyst) -> None:
    page = signed_in(alice).get(f"/staff/cases/{confirmed.pk}/").content.decode()
    assert 'data-testid="domain-form"' not in page
    with pytest.raises(actions.AssessmentRefused, match="Only a senior analyst"):
        actions.decide_whole_domain(case=confirmed, senior=alice.user, domain="abuse.test")


def test_only_a_confirmed_case_can_have_its_domain_listed(
    alice: Analyst, dora: Analyst, tn: Portal
) -> None:
    case = report(tn, "http://www.harmless.test/")
    assess(case, alice, "not_criminal")
    with pytest.raises(actions.AssessmentRefused, match="confirmed case"):
        actions.decide_whole_domain(case=refreshed(case), senior=dora.user, domain="harmless.test")
