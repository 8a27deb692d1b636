"""A short history on two portals for the figures' tests: what partners may count, and what
they must never see."""

from __future__ import annotations

from hotline.cases.models import Case
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from tests.assessment.qa_world import assess
from tests.conftest import Analyst, run_worker

SECRET_URL = "http://figures-secret.example/never-shown"
SECRET_DESCRIPTION = "figures secret description"


def make_history(tn: Portal, ma: Portal, alice: Analyst) -> list[str]:
    """On Tunisia's portal: two reports, one URL confirmed as B, one not confirmed; on
    Morocco's, one report. Returns what must never show: the URLs, the description, the
    references and the case ids."""
    filed = file_report(
        portal=tn,
        language="fr",
        urls=[(SECRET_URL, SECRET_URL)],
        description=SECRET_DESCRIPTION,
    )
    other = file_report(
        portal=tn,
        language="ar",
        urls=[("http://figures-other.example/", "http://figures-other.example/")],
    )
    moroccan = file_report(
        portal=ma,
        language="fr",
        urls=[("http://figures-ma.example/", "http://figures-ma.example/")],
    )
    run_worker()
    secret = Case.objects.get(canonical_url=SECRET_URL)
    assess(secret, alice, "B")
    assess(Case.objects.get(canonical_url="http://figures-other.example/"), alice, "not_criminal")
    cases = Case.objects.all()
    return [
        SECRET_URL,
        "figures-other.example",
        "figures-ma.example",
        SECRET_DESCRIPTION,
        *(f.report.reference for f in (filed, other, moroccan)),
        *(f"/cases/{c.pk}/" for c in cases),
        *(f'data-case="{c.pk}"' for c in cases),
    ]
