"""The bridge `hotline serve` runs: whole requests in, Django's WSGI answers out, unchanged."""

from __future__ import annotations

from tests.core.test_uploads import asgi_post


def test_a_whole_request_reaches_django_and_its_answer_comes_back(db: None) -> None:
    sent = asgi_post([(b"content-type", b"application/x-www-form-urlencoded")], [b"a=", b"b"])
    start, *body = sent
    assert start["type"] == "http.response.start"
    assert start["status"] == 403  # Django's CSRF check ran on the whole POST
    assert b"".join(m["body"] for m in body if m["type"] == "http.response.body")  # type: ignore[misc]
