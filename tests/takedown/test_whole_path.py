"""The whole of notice and takedown against the test world, through the worker as it runs in
production: a report's URL is captured before anyone opens the case; the confirmation traces
the host (DNS, IP database, RDAP) and sends the notice to its abuse desk (real SMTP); the site
removes the content; the re-check sees it gone, the URL leaves the list and the time to
removal is recorded. And if it comes back, it is listed and notified again."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from hotline.cases.models import Case
from hotline.hashlist.models import HashListEntry
from hotline.intake.actions import file_report
from hotline.outcomes.models import KnownImageryMatch
from hotline.portals.models import Portal
from hotline.takedown.models import (
    Capture,
    HostingTrace,
    Notice,
    NoticeState,
    RecipientKind,
    Takedown,
    TakedownStatus,
)
from hotline.urllist.models import UrlListEntry
from tests.conftest import resolve, run_worker
from tests.world.dns import WorldDns
from tests.world.rdap import WorldRdap
from tests.world.smtp import Inbox
from tests.world.web import WorldWeb, noise, reencoded, shapes

pytestmark = pytest.mark.django_db(transaction=True)


def worker() -> None:
    """One batch of `hotline worker`: every queued task, and the periodic jobs that are due."""
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())


def listed(url: str) -> bool:
    return UrlListEntry.objects.filter(url=url, removed_at__isnull=True).exists()


def test_confirm_capture_trace_notify_remove_recheck_delist(
    ma: Portal,
    trace_world: tuple[WorldDns, WorldRdap],
    world_web: WorldWeb,
    inbox: Inbox,
    settings: Any,
) -> None:
    settings.HOTLINE_CAPTURE_NEW_CASES = True  # as in production (the test settings turn it off)
    # A gallery on a host in Tunisia (the world's 127.0.0.0/24), reported on Morocco's portal:
    # not the portal's country, and no partner hotline with an address there, so the notice
    # goes to the provider's abuse desk that RDAP names.
    world_web.page(
        "/album",
        "<title>Album</title><img src='/a.png'><img srcset='/b.jpg 2x'>",
        host="gallery.test",
    )
    world_web.image("/a.png", shapes(7), host="gallery.test")
    world_web.image("/b.jpg", noise(8), host="gallery.test")
    url = world_web.url("/album", host="gallery.test")
    file_report(portal=ma, language="fr", urls=[(url, url)])
    run_worker()
    case = Case.objects.get()

    worker()  # the capture, before any analyst opens the case
    capture = Capture.objects.get(case=case)
    assert (capture.status_code, capture.title, capture.image_count) == (200, "Album", 2)

    resolve(case, "A")  # an analyst confirms it
    assert listed(case.canonical_url)
    worker()  # trace, route, notify
    trace = HostingTrace.objects.get(case=case)
    assert (trace.country, trace.asn, trace.abuse_email) == ("TN", 64500, "abuse@tn.example")
    notice = Notice.objects.get(takedown__case=case)
    assert notice.recipient_kind == RecipientKind.HOSTING_PROVIDER
    assert notice.state == NoticeState.SENT
    [(recipients, message)] = inbox.received
    assert recipients == ["abuse@tn.example"]
    assert url in message.get_content()

    # The host removes the page; the re-check (due now) sees it gone.
    world_web.remove("/album", host="gallery.test")
    Takedown.objects.filter(case=case).update(next_check_at=timezone.now())
    out = StringIO()
    call_command("takedown", "recheck", stdout=out)
    assert "Re-checked 1" in out.getvalue() and "gone: 1" in out.getvalue()
    takedown = Takedown.objects.get(case=case)
    assert takedown.status == TakedownStatus.REMOVED
    assert takedown.time_to_removal is not None
    assert takedown.time_to_removal.total_seconds() > 0
    assert not listed(case.canonical_url)
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.REMOVED

    # It comes back: listed again, traced and notified again.
    world_web.restore("/album", host="gallery.test")
    Takedown.objects.filter(case=case).update(next_check_at=timezone.now())
    call_command("takedown", "recheck", stdout=StringIO())
    assert listed(case.canonical_url)
    worker()
    assert Takedown.objects.get(case=case).returns == 1
    assert len(inbox.received) == 2


def test_imagery_confirmed_once_is_known_when_it_is_reported_again_elsewhere(
    ma: Portal, trace_world: tuple[WorldDns, WorldRdap], world_web: WorldWeb, settings: Any
) -> None:
    """The hash list closes the loop: the images of a confirmed page go on it, and another
    page showing one of them is confirmed without an analyst, through the worker alone."""
    settings.HOTLINE_CAPTURE_NEW_CASES = True
    world_web.page("/first", "<img src='/p.png'>", host="gallery.test")
    world_web.image("/p.png", shapes(21), host="gallery.test")
    first_url = world_web.url("/first", host="gallery.test")
    file_report(portal=ma, language="fr", urls=[(first_url, first_url)])
    run_worker()
    worker()  # captured
    first = Case.objects.get()
    resolve(first, "B")
    worker()  # its images on the hash list (and its notice)
    assert HashListEntry.objects.filter(case_id=first.pk, source="confirmed_case").count() == 3

    # The same picture, saved again as a JPEG, on another site.
    world_web.page("/copy", "<img src='/q.jpg'>", host="gallery.test")
    world_web.image("/q.jpg", reencoded(shapes(21), quality=80), host="gallery.test")
    copy_url = world_web.url("/copy", host="gallery.test")
    file_report(portal=ma, language="fr", urls=[(copy_url, copy_url)])
    run_worker()
    worker()  # captured, and the capture's images looked up
    worker()

    second = Case.objects.get(canonical_url=copy_url)
    assert second.status == "confirmed" and second.category == "B"
    assert KnownImageryMatch.objects.filter(case=second, entry__case_id=first.pk).exists()
    assert listed(copy_url)
    assert Takedown.objects.filter(case=second).exists()
