"""The bridge `hotline serve` runs: whole requests in, Django's WSGI answers out, unchanged."""

from __future__ import annotations

from tests.core.test_uploads import asgi_post


def test_a_whole_request_reaches_django_and_its_answer_comes_back(db: None) -> None:
    sent = asgi_post([(b"content-type", b"application/x-www-form-urlencoded")], [b"a=", b"b"])
    start, *body = sent
    assert start["type"] == "http.response.start"
    assert start["status"] == 403  # Django's CSRF check ran on the whole POST
    assert b"".join(m["body"] for m in body if m["type"] == "http.response.body")  # type: ignore[misc]


def test_the_environ_is_what_django_expects() -> None:
    from hotline.core.wsgi_bridge import wsgi_environ

    environ = wsgi_environ(
        {
            "method": "GET",
            "path": "/tn/ar/مرحبا/",
            "query_string": b"a=1",
            "http_version": "1.1",
            "scheme": "https",
            "server": ("report.example", 443),
            "client": ("203.0.113.4", 5555),
            "headers": [
                (b"host", b"report.example"),
                (b"cookie", b"a=1"),
                (b"cookie", b"b=2"),
                (b"accept", b"text/html"),
                (b"accept", b"*/*"),
                (b"content-type", b"text/plain"),
            ],
        },
        b"body",
    )
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/tn/ar/مرحبا/"
    assert environ["HTTP_COOKIE"] == "a=1; b=2" and environ["HTTP_ACCEPT"] == "text/html,*/*"
    assert environ["CONTENT_TYPE"] == "text/plain" and "HTTP_CONTENT_TYPE" not in environ
    assert environ["wsgi.url_scheme"] == "https" and environ["wsgi.input"].read() == b"body"
