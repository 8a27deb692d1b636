"""The tenant is resolved once per request, from the path /<portal>/<lang>/, and carried on it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation

from hotline.portals.models import Portal, PortalStatus

View = Callable[..., HttpResponse]


def public_portal(code: str) -> Portal:
    portal = Portal.objects.filter(code=code, status=PortalStatus.LIVE).first()
    if portal is None:
        raise Http404("No live portal has this address.")
    return portal


def portal_view(view: View) -> View:
    """Resolve the portal and language from the URL, activate the language, pass the portal.

    A language the portal does not offer redirects to the portal's default language rather than
    showing a page in a language the partners have not approved.
    """

    @wraps(view)
    def wrapper(
        request: HttpRequest, portal_code: str, lang: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        portal = public_portal(portal_code)
        if lang not in portal.languages:
            return HttpResponseRedirect(f"/{portal.code}/{portal.default_language}/")
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        try:
            response = view(request, portal, lang, *args, **kwargs)
        finally:
            translation.deactivate()
        response.headers.setdefault("Content-Language", lang)
        return response

    return wrapper


def portal_home(request: HttpRequest, portal_code: str) -> HttpResponse:
    portal = public_portal(portal_code)
    return HttpResponseRedirect(f"/{portal.code}/{portal.default_language}/")
