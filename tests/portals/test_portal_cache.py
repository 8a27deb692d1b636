"""Each web process keeps the portals it reads for two seconds, and forgets them on a change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.portals import resolver
from hotline.portals.models import Portal, PortalStatus
from hotline.portals.resolver import portal_by_code


def queries_for(code: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        portal_by_code(code)
    return len(queries)


def test_a_portal_read_once_is_served_from_memory_while_fresh(tn: Portal) -> None:
    assert queries_for("tn") == 1
    assert queries_for("tn") == 0
    first, second = portal_by_code("tn"), portal_by_code("tn")
    assert first == second and first is not second  # each caller gets its own copy


def test_a_change_saved_in_this_process_is_seen_at_once(tn: Portal) -> None:
    portal_by_code("tn")
    tn.status = PortalStatus.SUSPENDED
    tn.save()
    found = portal_by_code("tn")
    assert found is not None and found.status == PortalStatus.SUSPENDED


def test_a_change_made_elsewhere_is_seen_once_the_entry_expires(
    tn: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(resolver.time, "monotonic", lambda: now[0])
    portal_by_code("tn")
    Portal.objects.filter(pk=tn.pk).update(status=PortalStatus.SUSPENDED)  # no signal: "elsewhere"
    cached = portal_by_code("tn")
    assert cached is not None and cached.status == PortalStatus.LIVE
    now[0] += resolver.PORTAL_CACHE_SECONDS
    fresh = portal_by_code("tn")
    assert fresh is not None and fresh.status == PortalStatus.SUSPENDED


def test_made_up_codes_are_not_kept(tn: Portal) -> None:
    for n in range(50):
        assert portal_by_code(f"x{n}") is None
    assert "x1" not in resolver._portals and queries_for("x1") == 1
