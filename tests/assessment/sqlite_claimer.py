"""One analyst pressing "next case" and assessing until nothing waits, in a process of its own.

tests/assessment/test_sqlite_claims.py runs several at once against one SQLite file:

    python -m tests.assessment.sqlite_claimer ANALYST_ID BARRIER_DIR

It says it is ready (a file in BARRIER_DIR), starts when the test says go (another file), and
prints the cases it claimed, in order, as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    analyst_id, barrier = int(sys.argv[1]), Path(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from hotline.accounts.models import StaffUser
    from hotline.assessment.actions import claim_next_case, record_assessment
    from hotline.assessment.models import SchemeOutcome

    analyst = StaffUser.objects.get(pk=analyst_id)
    not_criminal = SchemeOutcome.objects.get(scheme__is_default=True, code="not_criminal")
    (barrier / f"ready-{analyst_id}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)
    claimed = []
    while (claim := claim_next_case(analyst=analyst)) is not None:
        claimed.append(claim.case_id)
        record_assessment(case=claim.case, analyst=analyst, outcome=not_criminal)
        # An analyst looks at a case before pressing "next" again. Without a pause SQLite's
        # busy handler lets the writer that just committed take the lock again at once, and on
        # a loaded machine one process could claim every case before the others woke.
        time.sleep(0.02)
    print(json.dumps(claimed))


if __name__ == "__main__":
    main()
