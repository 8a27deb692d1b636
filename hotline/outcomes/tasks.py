"""Outcomes' background work: what a capture of a case's URL means for the case."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from hotline.audit.actions import SYSTEM
from hotline.cases.models import Case, CaseStatus
from hotline.outcomes.actions import put_case_images_on_hash_list, resolve_known_imagery
from hotline.takedown.models import Capture


@task()
def act_on_capture(case_id: int, capture_id: int) -> dict[str, Any]:
    """A new case whose captured image is known imagery is confirmed without an analyst; a
    case confirmed before its capture came has its images put on the hash list now."""
    case = Case.objects.filter(pk=case_id).first()
    capture = Capture.objects.filter(pk=capture_id, case_id=case_id).first()
    if case is None or capture is None:
        return {"case": case_id, "done": "gone"}
    if case.status == CaseStatus.NEW:
        matches = resolve_known_imagery(case_id=case_id, capture_id=capture_id, actor=SYSTEM)
        return {"case": case_id, "done": "resolved" if matches else "unknown"}
    if case.status == CaseStatus.CONFIRMED and case.category:
        put_case_images_on_hash_list(
            case=case, category=case.category, actor=SYSTEM, capture=capture
        )
        return {"case": case_id, "done": "listed"}
    return {"case": case_id, "done": "nothing"}
