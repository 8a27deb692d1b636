"""Uploaded files: never kept from a public page, and capped where a form takes one."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

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


def asgi_post(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[dict[str, object]]:
    """Run one POST through `hotline.asgi.application`; the messages it sends back."""
    from asgiref.testing import ApplicationCommunicator
    from django.db import connections

    from hotline.asgi import application

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/tn/fr/report/",
        "headers": [(b"host", b"testserver"), *headers],
        "query_string": b"",
    }
    communicator = ApplicationCommunicator(application, scope)

    async def exchange() -> list[dict[str, object]]:
        for n, chunk in enumerate(chunks):
            await communicator.send_input(
                {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
            )
        sent = []
        try:
            while True:
                sent.append(await communicator.receive_output(timeout=1))
        except TimeoutError:  # no more output: the exchange is over
            return sent

    # In a thread of its own: the browser tests' Playwright keeps an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        sent = pool.submit(asyncio.run, exchange()).result()
    # Django's threads keep their database connections; the test database must be droppable.
    # (A barrier keeps each closing call on a thread of its own.)
    workers = application.executor._max_workers
    barrier = threading.Barrier(workers)

    def close() -> None:
        connections.close_all()
        barrier.wait(timeout=5)

    for future in [application.executor.submit(close) for _ in range(workers)]:
        future.result()
    return sent


def test_the_asgi_entry_refuses_an_announced_large_body_unread() -> None:
    sent = asgi_post([(b"content-length", b"500000000")], [b"x"])
    assert sent[0]["status"] == 413


@override_settings(HOTLINE_MAX_BODY_BYTES=1000)
def test_the_asgi_entry_refuses_a_body_that_grows_too_large() -> None:
    sent = asgi_post([], [b"x" * 600, b"x" * 600, b"x" * 600])
    # Refused as soon as it passes the cap (Django would have answered 403: no CSRF token).
    assert sent[0]["status"] == 413, sent
