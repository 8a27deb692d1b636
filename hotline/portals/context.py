"""What every portal page's template needs, from the resolver's request.portal/language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse

from hotline.portals.models import Portal
from hotline.portals.options import PORTAL_OPTIONS
from hotline.portals.pages import portal_links, registered_links
from hotline.portals.resolver import language_of, portal_kwargs, portal_of

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _same_page_in(request: HttpRequest, portal: Portal, language: str) -> str:
    match = request.resolver_match
    if match and match.view_name and "lang" in match.kwargs:
        try:
            return reverse(match.view_name, kwargs={**match.kwargs, "lang": language})
        except NoReverseMatch:
            pass
    return reverse("portals:home", kwargs=portal_kwargs(portal, language))


def portal_context(request: HttpRequest) -> dict[str, Any]:
    portal = portal_of(request)
    language = language_of(request)
    if portal is None:
        return {
            "lang": language,
            "brand_colour": PORTAL_OPTIONS["primary_colour"].default,
            "favicon_url": static("hotline/favicon.svg"),
            "language_links": [
                (code, name, f"{reverse('portals:index')}?lang={code}", code == language)
                for code, name in settings.LANGUAGES
            ],
        }
    links = portal_links(portal, language)
    current = request.path
    return {
        "portal": portal,
        "lang": language,
        "portal_name": portal.name_in(language),
        "portal_tagline": portal.tagline_in(language),
        "preview": getattr(request, "portal_preview", False),
        "brand_colour": portal.option("primary_colour"),
        "favicon_url": reverse("portals:favicon", kwargs={"portal_code": portal.code}),
        "links": links,
        "menu": [
            (link.label, links[link.key], links[link.key] == current)
            for link in registered_links()
            if link.place == "menu"
        ],
        "footer_links": [
            (link.label, links[link.key]) for link in registered_links() if link.place == "footer"
        ],
        "language_links": [
            (code, LANGUAGE_NAMES[code], _same_page_in(request, portal, code), code == language)
            for code in portal.languages
        ],
        "help_numbers": [
            (h.name_in(language), h.phone)
            for h in portal.help_resources.all()
            if h.phone and h.shown_in(language)
        ],
    }
