"""The optional evidence store: off by default (hashes only); with a key, captured images are
kept encrypted, shown to the case's analysts as small previews, and deleted when they expire.
And the trace's hosting country pre-fills the analyst's assessment."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.utils import timezone
from PIL import Image

from hotline.audit.actions import SYSTEM
from hotline.cases.actions import open_or_attach_case
from hotline.cases.models import Case
from hotline.portals.models import Portal
from hotline.takedown import actions
from hotline.takedown.models import CapturedImage, HostingTrace
from hotline.takedown.tasks import capture_cases
from tests.conftest import Analyst, sign_in
from tests.world.web import WorldWeb, shapes

pytestmark = pytest.mark.django_db


def captured_case(tn: Portal, world_web: WorldWeb) -> Case:
    world_web.page("/p", "<img src='/a.png'><img src='/b.png'>", host="gallery.test")
    world_web.image("/a.png", shapes(1, size=(900, 700)), host="gallery.test")
    world_web.image("/b.png", shapes(2), host="gallery.test")
    url = world_web.url("/p", host="gallery.test")
    case, _ = open_or_attach_case(canonical_url=url, portal=tn, actor=SYSTEM)
    capture_cases.call([case.pk])
    return case


def test_by_default_only_hashes_are_kept(
    tn: Portal, world_web: WorldWeb, alice_client: Client
) -> None:
    case = captured_case(tn, world_web)
    images = CapturedImage.objects.filter(capture__case=case)
    assert images.count() == 2 and all(i.evidence is None for i in images)
    html = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="image-count">2' in html
    assert "/staff/previews/" not in html
    assert images[0].pdq in html  # the hashes are shown


def test_with_a_key_images_are_sealed_previewed_to_the_cases_analysts_and_expire(
    tn: Portal,
    world_web: WorldWeb,
    alice_client: Client,
    bob: Analyst,
    settings: Any,
) -> None:
    settings.HOTLINE_EVIDENCE_KEY = Fernet.generate_key().decode()
    case = captured_case(tn, world_web)
    image = CapturedImage.objects.filter(capture__case=case).order_by("pk").first()
    assert image is not None and image.evidence is not None
    # Encrypted: the stored bytes are not the image.
    assert bytes(image.evidence) != shapes(1, size=(900, 700))
    assert image.evidence_expires_at is not None
    html = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    preview_url = f"/staff/previews/case-{case.pk}/{image.pk}.png"
    assert preview_url in html and "data-preview" in html
    response = alice_client.get(preview_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    with Image.open(io.BytesIO(response.content)) as preview:
        assert max(preview.size) <= 480  # small, whatever the original
    # Not for another portal's analyst, nor under another case's number.
    other = Client()
    sign_in(other, bob)
    assert other.get(preview_url).status_code == 404
    assert alice_client.get(f"/staff/previews/case-{case.pk + 1}/{image.pk}.png").status_code == 404
    # Expired: the image goes, its hashes stay.
    later = timezone.now() + timedelta(days=settings.HOTLINE_EVIDENCE_DAYS, seconds=1)
    assert actions.expire_evidence(actor=SYSTEM, now=later) == 2
    image.refresh_from_db()
    assert image.evidence is None and image.pdq
    assert alice_client.get(preview_url).status_code == 404


def test_a_key_that_is_not_a_fernet_key_stops_start_up() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOTLINE_EVIDENCE_KEY": "not a key", "HOTLINE_DEBUG": "1"}
    env.pop("HOTLINE_FETCH_ALLOW_LOOPBACK", None)
    done = subprocess.run(
        [sys.executable, "-c", "import hotline.settings"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "HOTLINE_EVIDENCE_KEY is not a Fernet key" in done.stderr


def test_the_hosting_country_prefills_the_assessment(tn: Portal, alice_client: Client) -> None:
    case, _ = open_or_attach_case(canonical_url="http://far.test/x", portal=tn, actor=SYSTEM)
    HostingTrace.objects.create(case=case, host="far.test", country="NL")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    html = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'name="hosting_country" value="NL"' in html
