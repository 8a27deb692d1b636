"""How portal pages are declared, linked and guarded.

Every public page of a portal lives at `/<portal>/<lang>/...` and is wrapped by `portal_page`,
which takes the portal and language the resolver found (it never parses the path itself). Apps
above this one (intake: the report form, the status page) add their pages to the menu with
`register_link` from their AppConfig.ready(), so the portal's templates link them through
`links.<key>` without naming another app's URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise

from hotline.portals.models import Portal, PortalStatus
from hotline.portals.resolver import language_of, portal_kwargs, portal_of

PortalView = Callable[..., HttpResponse]


@dataclass(frozen=True)
class PortalLink:
    key: str  # templates use {{ links.<key> }}
    url_name: str  # a page taking portal_code and lang
    label: str | Promise
    place: Literal["menu", "footer", "none"]
    order: int


_LINKS: dict[str, PortalLink] = {}


def register_link(link: PortalLink) -> None:
    _LINKS[link.key] = link


def registered_links() -> list[PortalLink]:
    return sorted(_LINKS.values(), key=lambda link: link.order)


def portal_links(portal: Portal, language: str) -> dict[str, str]:
    """{key: URL} of every registered page, for this portal and language."""
    return {
        link.key: reverse(link.url_name, kwargs=portal_kwargs(portal, language))
        for link in registered_links()
    }


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page, in the resolved language: the portal's languages, or the live portals.

    Returned rather than raised, so that DEBUG's technical page (which lists every URL pattern)
    never answers a member of the public.
    """
    portal = portal_of(request)
    portals = [] if portal else list(Portal.objects.filter(status=PortalStatus.LIVE))
    return render(
        request,
        "portals/not_found.html",
        {"live_portals": [(p, p.name_in(language_of(request))) for p in portals]},
        status=404,
    )


def portal_page(view: PortalView) -> PortalView:
    """Serve `view(request, portal, language, ...)` only where the resolver found this portal
    in one of its languages; a suspended portal answers its notice on every page."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, portal_code: str, lang: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        portal = portal_of(request)
        language = language_of(request)
        if portal is None or portal.code != portal_code or lang != language:
            return not_found(request)
        if portal.status == PortalStatus.SUSPENDED:
            response = render(
                request,
                "portals/suspended.html",
                {"international_url": portal.option("international_reporting_url")},
                status=503,
            )
            response["Retry-After"] = "86400"
            return response
        return view(request, portal, language, *args, **kwargs)

    return wrapper
