"""Uploaded files: never kept from a public page, and capped where a form takes one."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory, override_settings


def files_of(path: str, size: int) -> dict[str, int]:
    request = RequestFactory().post(
        path, {"urls": "x", "f": SimpleUploadedFile("a.bin", b"x" * size)}
    )
    return {name: sum(f.size or 0 for f in request.FILES.getlist(name)) for name in request.FILES}


def test_a_public_page_keeps_no_uploaded_file() -> None:
    assert files_of("/tn/fr/report/", 5_000) == {}


@override_settings(HOTLINE_UPLOAD_CAP=10_000)
def test_the_admin_keeps_at_most_the_cap_and_one_byte() -> None:
    assert files_of("/admin/portals/partner/1/change/", 5_000) == {"f": 5_000}
    assert files_of("/admin/portals/partner/1/change/", 3_000_000) == {"f": 10_001}


def test_a_body_announced_too_large_is_refused_before_it_is_read(client: Client) -> None:
    response = client.generic(
        "POST", "/tn/fr/report/", b"x" * 10, CONTENT_TYPE="text/plain", CONTENT_LENGTH="500000000"
    )
    assert response.status_code == 413 and b"at most 3 MB" in response.content
    assert response["Connection"] == "close"
