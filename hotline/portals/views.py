"""The public pages of the network and of each portal. Thin: the resolver has done the work."""

from __future__ import annotations

import io
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from PIL import Image, ImageDraw

from hotline.core.mail import mail_configured
from hotline.portals.flyer_page import flyer_content, render_flyer
from hotline.portals.models import HelpKind, Portal, PortalAsset, PortalStatus
from hotline.portals.pages import not_found, portal_page
from hotline.portals.resolver import language_of, portal_kwargs, portal_of


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """`/`: the live portals (or, on a portal's own host name, that portal)."""
    portal = portal_of(request)
    if portal is not None:
        return HttpResponseRedirect(
            reverse("portals:home", kwargs=portal_kwargs(portal, language_of(request)))
        )
    language = language_of(request)
    portals = [
        (p, p.name_in(language), reverse("portals:home", kwargs=portal_kwargs(p, lang)), lang)
        for p in Portal.objects.filter(status=PortalStatus.LIVE)
        for lang in [p.languages[0] if language not in p.languages else language]
    ]
    return render(request, "portals/index.html", {"portals": portals})


@require_safe
def choose_language(request: HttpRequest, portal_code: str) -> HttpResponse:
    """`/<portal>/`: the portal in the best of its languages for this browser."""
    portal = portal_of(request)
    if portal is None or portal.code != portal_code:
        return not_found(request)
    return HttpResponseRedirect(
        reverse("portals:home", kwargs=portal_kwargs(portal, language_of(request)))
    )


@require_safe
@portal_page
def home(request: HttpRequest, portal: Portal, language: str) -> HttpResponse:
    return render(request, "portals/home.html")


@require_safe
@portal_page
def partners(request: HttpRequest, portal: Portal, language: str) -> HttpResponse:
    links = portal.partnerships.select_related("partner", "partner__logo").order_by("position")
    return render(
        request,
        "portals/partners.html",
        {
            "partnerships": [
                (link, link.partner.name_in(language), link.get_role_display()) for link in links
            ]
        },
    )


@require_safe
@portal_page
def help_page(request: HttpRequest, portal: Portal, language: str) -> HttpResponse:
    resources = [h for h in portal.help_resources.all() if h.shown_in(language)]
    groups = [
        (label, [(h, h.name_in(language)) for h in resources if h.kind == kind])
        for kind, label in HelpKind.choices
    ]
    return render(
        request,
        "portals/help.html",
        {"groups": [(label, items) for label, items in groups if items]},
    )


@require_safe
@portal_page
def privacy(request: HttpRequest, portal: Portal, language: str) -> HttpResponse:
    # The report form offers the status message only when the site can send e-mail; the
    # notice then says what happens to the address.
    return render(
        request,
        "portals/privacy.html",
        {
            "status_email": mail_configured(),
            "status_email_days": settings.HOTLINE_STATUS_EMAIL_DAYS,
        },
    )


@require_safe
@portal_page
def accessibility(request: HttpRequest, portal: Portal, language: str) -> HttpResponse:
    return render(request, "portals/accessibility.html")


FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="{colour}"/>'
    '<path d="M16 5l9 4v6c0 6-4 10-9 12-5-2-9-6-9-12V9z" fill="#fff"/>'
    '<path d="M11.5 16.5l3 3 6-6.5" stroke="{colour}" stroke-width="2.6" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/></svg>'
)


def _cacheable(portal: Portal) -> dict[str, bool]:
    return {"public": True} if portal.is_live else {"private": True}


@require_safe
def favicon(request: HttpRequest, portal_code: str) -> HttpResponse:
    """The portal's icon: a shield in its colour, so a tab shows which portal it is."""
    portal = portal_of(request)
    if portal is None or portal.code != portal_code:
        return not_found(request)
    colour = escape(portal.option("primary_colour"))
    response = HttpResponse(FAVICON_SVG.format(colour=colour), content_type="image/svg+xml")
    patch_cache_control(response, max_age=86400, **_cacheable(portal))
    return response


@lru_cache(maxsize=1)
def _favicon_ico() -> bytes:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 31, 31), radius=7, fill="#0b5cad")
    draw.polygon([(16, 5), (25, 9), (25, 15), (16, 27), (7, 15), (7, 9)], fill="#ffffff")
    out = io.BytesIO()
    image.save(out, format="ICO", sizes=[(32, 32)])
    return out.getvalue()


@require_safe
@cache_control(max_age=86400, public=True)
def favicon_ico(request: HttpRequest) -> HttpResponse:
    """`/favicon.ico`, which browsers ask for whatever the page says."""
    return HttpResponse(_favicon_ico(), content_type="image/x-icon")


@require_safe
@cache_control(max_age=31_536_000, public=True, immutable=True)
def asset(request: HttpRequest, sha256: str) -> HttpResponse:
    """A checked logo, by content hash: the same address always means the same bytes."""
    stored = PortalAsset.objects.filter(sha256=sha256).first()
    if stored is None:
        return not_found(request)
    response = HttpResponse(bytes(stored.data), content_type=stored.content_type)
    response["Content-Disposition"] = "inline"
    return response


FLYER_TYPES = {"pdf": "application/pdf", "png": "image/png"}


def public_address(portal: Portal) -> str:
    """The portal's address as printed: its own host name, else the site's public URL.

    Never built from the request: the Host header's port is the visitor's to choose, and would
    both print their address on the flyer and make every request a new rendering.
    """
    host = portal.hosts.order_by("host").values_list("host", flat=True).first()
    if host:
        return f"https://{host}/"
    path = reverse("portals:portal", kwargs={"portal_code": portal.code})
    return f"{settings.HOTLINE_PUBLIC_URL}{path}"


@require_safe
@portal_page
def flyer(request: HttpRequest, portal: Portal, language: str, kind: str) -> HttpResponse:
    """A printable awareness flyer with the portal's address as a QR code (PDF or PNG)."""
    content = flyer_content(portal, language, public_address(portal))
    data = render_flyer(content, kind)
    response = HttpResponse(data, content_type=FLYER_TYPES[kind])
    response["Content-Disposition"] = f'inline; filename="{portal.code}-{language}-flyer.{kind}"'
    # Shared caches may keep a live portal's flyer; a previewed draft's stays private.
    patch_cache_control(response, max_age=3600, **_cacheable(portal))
    return response
