"""The JSON API under /api/v1/ (django-ninja).

Every error is JSON: {"error": <code>, "message": <what to do>}.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from hotline.hashlist.api import router as hashlist_router
from hotline.hashlist.match_api import router as match_router
from hotline.intake.api import router as reports_router
from hotline.members.keys import KeyRefused
from hotline.urllist.api import router as urllist_router

api = NinjaAPI(
    title="Hotline API",
    version="1",
    description=(
        "Feeds for members (ISPs, platforms, filtering vendors), and reports from trusted "
        "partners. Authenticate with "
        "`Authorization: Bearer <key>`; keys are issued by the hotline."
    ),
    urls_namespace="api-v1",
    # Swagger UI from ninja's own static files (ninja is an installed app): nothing from a CDN,
    # under the site's CSP like every page (tests/browser/test_api_docs.py).
    docs_url="/docs",
)
api.add_router("/", urllist_router)
api.add_router("/", hashlist_router)
api.add_router("/", match_router)
api.add_router("/", reports_router)


@api.exception_handler(KeyRefused)
def key_refused(request: HttpRequest, exc: KeyRefused) -> HttpResponse:
    response = api.create_response(
        request, {"error": exc.code, "message": exc.message}, status=exc.status
    )
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="hotline"'
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"error": "missing_key", "message": "Send your API key as 'Authorization: Bearer <key>'."},
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"error": "bad_request", "message": str(exc)}, status=exc.status_code
    )


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {
            "error": "invalid",
            "message": "Some parameters are not valid; see details.",
            "details": exc.errors,
        },
        status=422,
    )
