"""What the report tests share: a portal with a month of figures, and the secrets that must never
show in a report or its e-mail."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pypdfium2 as pdfium

from hotline.cases.models import Case
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from tests.assessment.qa_world import assess
from tests.conftest import Analyst, run_worker

SECRET_URL = "http://report-secret.example/never-printed"
SECRET_DESCRIPTION = "report secret description"
OTHER_URL = "http://report-other.example/"

# pdfium is not thread-safe.
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class History:
    portal: Portal
    secrets: list[str]


def make_history(tn: Portal, alice: Analyst) -> History:
    """On Tunisia's portal, launched a year and a half ago: today two reports (three URLs),
    one URL confirmed as B, one not confirmed. Returns the secrets: the URLs, the
    description, the references and the case ids."""
    Portal.objects.filter(pk=tn.pk).update(launched_at=datetime.now(UTC) - timedelta(days=550))
    tn.refresh_from_db()
    filed = file_report(
        portal=tn, language="fr", urls=[(SECRET_URL, SECRET_URL)], description=SECRET_DESCRIPTION
    )
    other = file_report(
        portal=tn,
        language="ar",
        urls=[(OTHER_URL, OTHER_URL), (OTHER_URL + "2", OTHER_URL + "2")],
    )
    run_worker()
    assess(Case.objects.get(canonical_url=SECRET_URL), alice, "B")
    assess(Case.objects.get(canonical_url=OTHER_URL), alice, "not_criminal")
    return History(
        portal=tn,
        secrets=[
            SECRET_URL,
            "report-secret",
            "report-other",
            SECRET_DESCRIPTION,
            filed.report.reference,
            other.report.reference,
            *(f"/cases/{pk}/" for pk in Case.objects.values_list("pk", flat=True)),
        ],
    )


def pdf_text(pdf: bytes) -> list[str]:
    """The text of each page of `pdf`, as pdfium extracts it."""
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            return [page.get_textpage().get_text_range() for page in document]
        finally:
            document.close()
