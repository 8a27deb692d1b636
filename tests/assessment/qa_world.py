"""The people and steps of the QA tests: analysts and seniors on portals, reported cases,
assessments through the real actions, and a QA policy that checks what the test needs."""

from __future__ import annotations

from django.test import Client

from hotline.accounts.actions import add_totp_device, create_staff_user, grant_portal_roles
from hotline.accounts.models import Role
from hotline.assessment import actions
from hotline.assessment.models import Assessment, QaPolicy, SchemeOutcome
from hotline.cases.models import Case
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from tests.conftest import PASSWORD, Analyst, run_worker, sign_in


def staff(username: str, portals: list[str], role: Role = Role.ANALYST) -> Analyst:
    user = create_staff_user(username=username, password=PASSWORD)
    grant_portal_roles(user=user, portal_codes=portals, role=role)
    return Analyst(user=user, device=add_totp_device(user=user))


def senior(username: str, portals: list[str]) -> Analyst:
    return staff(username, portals, Role.SENIOR_ANALYST)


def signed_in(analyst: Analyst) -> Client:
    """A client signed in as `analyst`: one per analyst, as a TOTP code signs in only once."""
    client = getattr(analyst, "_client", None)
    if not isinstance(client, Client):
        client = Client()
        sign_in(client, analyst)
        setattr(analyst, "_client", client)  # noqa: B010 (Analyst has no such field)
    return client


def report(portal: Portal, url: str) -> Case:
    filed = file_report(portal=portal, language="fr", urls=[(url, url)])
    run_worker()
    case = filed.report.items.get().case
    assert case is not None, "the worker attached the item"
    return case


def outcome(code: str) -> SchemeOutcome:
    """An outcome of the default scheme (UK Sentencing Council categories)."""
    return SchemeOutcome.objects.get(scheme__is_default=True, code=code)


def check_every_assessment(portal: Portal) -> QaPolicy:
    """The portal's policy: every assessment is assessed a second time (a 100% sample)."""
    return QaPolicy.objects.create(portal=portal, first_assessments=0, sample_percent=100)


def assess(case: Case, analyst: Analyst, code: str, **kwargs: object) -> Assessment:
    """Claim and assess `case` as `analyst` would from the queue."""
    actions.claim_case(case=case, analyst=analyst.user)
    return actions.record_assessment(
        case=case,
        analyst=analyst.user,
        outcome=outcome(code),
        **kwargs,  # type: ignore[arg-type]
    )


def refreshed(case: Case) -> Case:
    case.refresh_from_db()
    return case
