"""A short history on two portals for the figures' tests: what partners may count, and what
they must never see."""

from __future__ import annotations

from hotline.audit.actions import SYSTEM
from hotline.cases.models import Case
from hotline.hashlist.actions import NewHash, add_hashes
from hotline.hashlist.models import HashSource
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from tests.assessment.qa_world import assess
from tests.conftest import Analyst, run_worker

SECRET_URL = "http://figures-secret.example/never-shown"
SECRET_DESCRIPTION = "figures secret description"
# A hash of the confirmed case's imagery on the hash list (synthetic: no image has it).
SECRET_MD5 = "f16a5e5ec2e7f1c0ffee5ec2e7f1c0de"


def make_history(tn: Portal, ma: Portal, alice: Analyst) -> list[str]:
    """On Tunisia's portal: two reports, one URL confirmed as B, one not confirmed; on
    Morocco's, one report. A hash on the hash list. Returns what must never show: the URLs, the
    description, the hash, the references and the case ids."""
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
    add_hashes(
        entries=[NewHash(signal_type="md5", value=SECRET_MD5, category="B")],
        source=HashSource.SENIOR_PASTE,
        actor=SYSTEM,
    )
    cases = Case.objects.all()
    return [
        SECRET_URL,
        "figures-other.example",
        "figures-ma.example",
        SECRET_DESCRIPTION,
        SECRET_MD5,
        *(f.report.reference for f in (filed, other, moroccan)),
        *(f"/cases/{c.pk}/" for c in cases),
        *(f'data-case="{c.pk}"' for c in cases),
    ]
