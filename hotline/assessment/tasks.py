"""Background work of the assessment app: claims whose lease has run out go back to the queue."""

from __future__ import annotations

from django.tasks import task

from hotline.assessment.actions import return_expired_claims

BATCH = 500


@task()
def return_expired_leases() -> dict[str, int]:
    """Return to the queue every case whose claim's lease has run out (the analyst closed the
    page or walked away), a batch per transaction. A periodic job of `hotline worker`
    (core/periodic.py), every minute."""
    returned = 0
    while (done := return_expired_claims(limit=BATCH)) > 0:
        returned += done
        if done < BATCH:
            break
    return {"returned": returned}
