"""Classification schemes are data: a hotline under another law configures its own outcomes in
the admin, assigns the scheme to its portal, and its analysts assess with those outcomes."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.accounts.actions import add_totp_device
from hotline.accounts.models import StaffUser
from hotline.assessment import actions
from hotline.assessment.models import ClassificationScheme, PortalScheme, SchemeOutcome
from hotline.assessment.schemes import DEFAULT_OUTCOMES, scheme_for
from hotline.audit.models import AuditEvent
from hotline.cases.actions import open_or_attach_case
from hotline.portals.models import Portal
from hotline.urllist.models import UrlListEntry
from tests.conftest import PASSWORD, Analyst, sign_in


def admin_client(client: Client) -> Client:
    root = StaffUser.objects.create_superuser("root", password=PASSWORD)
    sign_in(client, Analyst(user=root, device=add_totp_device(user=root)))
    return client


def test_every_portal_assesses_under_the_default_scheme_until_given_another(
    tn: Portal,
) -> None:
    scheme = scheme_for(tn)
    assert scheme.is_default
    outcomes = list(scheme.outcomes.values_list("code", "kind", "key"))
    assert outcomes == [(o.code, o.kind, o.key) for o in DEFAULT_OUTCOMES]
    assert [code for code, *_ in outcomes] == [
        "A",
        "B",
        "C",
        "NPI",
        "not_criminal",
        "unavailable",
        "duplicate",
    ]


def test_a_portal_with_its_own_scheme_assesses_with_its_outcomes_and_lists_its_codes(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    scheme = ClassificationScheme.objects.create(slug="article-227", name="Code pénal, art. 227")
    SchemeOutcome.objects.create(
        scheme=scheme, code="227-23", label="Art. 227-23", kind="criminal", key="1"
    )
    SchemeOutcome.objects.create(
        scheme=scheme, code="hors", label="Hors champ", kind="not_criminal", key="2"
    )
    PortalScheme.objects.create(portal=tn, scheme=scheme)
    case, _ = open_or_attach_case(canonical_url="http://x.example/", portal=tn, actor="public")
    actions.claim_case(case=case, analyst=alice.user)
    page = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Art. 227-23 [1]" in page and "Category A" not in page
    assert 'data-key="1"' in page
    response = alice_client.post(f"/staff/cases/{case.pk}/", {"outcome": "227-23"})
    assert response.status_code == 302
    assert UrlListEntry.objects.get().category == "227-23"


def test_an_outcome_of_another_scheme_is_refused(alice: Analyst, tn: Portal) -> None:
    other = ClassificationScheme.objects.create(slug="other", name="Other")
    foreign = SchemeOutcome.objects.create(
        scheme=other, code="X", label="X", kind="criminal", key="x"
    )
    case, _ = open_or_attach_case(canonical_url="http://x.example/", portal=tn, actor="public")
    actions.claim_case(case=case, analyst=alice.user)
    with pytest.raises(actions.AssessmentRefused, match="not in this portal's classification"):
        actions.record_assessment(case=case, analyst=alice.user, outcome=foreign)
    assert not UrlListEntry.objects.exists()


def test_schemes_are_configured_in_the_admin_and_every_change_is_audited(
    client: Client, tn: Portal
) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/assessment/classificationscheme/add/",
        {
            "slug": "local-law",
            "name": "Local law",
            "law": "",
            "outcomes-TOTAL_FORMS": "2",
            "outcomes-INITIAL_FORMS": "0",
            "outcomes-0-position": "0",
            "outcomes-0-code": "L1",
            "outcomes-0-label": "Level 1",
            "outcomes-0-kind": "criminal",
            "outcomes-0-key": "1",
            "outcomes-1-position": "1",
            "outcomes-1-code": "none",
            "outcomes-1-label": "Not criminal",
            "outcomes-1-kind": "not_criminal",
            "outcomes-1-key": "?",
        },
    )
    assert response.status_code == 200, "a reserved key is refused with the form shown again"
    assert "A key is one lower-case letter or digit" in response.content.decode()
    assert not ClassificationScheme.objects.filter(slug="local-law").exists()
    response = admin.post(
        "/admin/assessment/classificationscheme/add/",
        {
            "slug": "local-law",
            "name": "Local law",
            "law": "",
            "outcomes-TOTAL_FORMS": "1",
            "outcomes-INITIAL_FORMS": "0",
            "outcomes-0-position": "0",
            "outcomes-0-code": "L1",
            "outcomes-0-label": "Level 1",
            "outcomes-0-kind": "criminal",
            "outcomes-0-key": "1",
        },
    )
    assert response.status_code == 302
    scheme = ClassificationScheme.objects.get(slug="local-law")
    assert list(scheme.outcomes.values_list("code", flat=True)) == ["L1"]
    added = AuditEvent.objects.filter(action="admin.added")
    assert {event.data["model"] for event in added} == {
        "assessment.classificationscheme",
        "assessment.schemeoutcome",
    }
