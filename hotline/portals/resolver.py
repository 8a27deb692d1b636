"""The one resolver of a request's portal and language (GlobaLeaks resolves its tenant once).

`PortalMiddleware` runs it for every request and sets `request.portal` (a Portal or None),
`request.language` (always one of settings.LANGUAGES) and `request.portal_preview` (a staff
member looking at a draft), and activates the language for the whole request, error pages
included. Views, templates and error handlers read these; none of them parses the path again.

Where the portal comes from, in order: the first path segment (`/tn/...`), else a host name of
the portal's own (`PortalHost`). Where the language comes from: the second path segment when
the portal offers it, else the best match in Accept-Language among the portal's languages (or
all shipped languages off a portal), else the portal's default.

Staff pages (`/staff/...`) belong to no portal and never speak a portal's language: they speak
the staff member's own choice (`StaffUser.language`), else the browser's best match among
settings.STAFF_LANGUAGES, else English. The admin stays in English, as Django ships it here.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from hotline.portals.models import Portal, PortalHost, PortalStatus

# Path prefixes that are not portal pages. The staff side speaks its own languages (below);
# the API speaks JSON.
NOT_PORTAL_PREFIXES = frozenset({"admin", "api", "assets", "healthz", "staff", "static"})
STAFF_PREFIX = "staff"
PREVIEW_PERMISSION = "portals.preview_portal"


def shipped_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def best_language(accept_language: str, offered: list[str], default: str) -> str:
    """The first language in the Accept-Language header that is offered, else `default`.

    `fr-CA` matches `fr`; quality values order the header (parse_accept_lang_header sorts them).
    """
    try:
        wanted = parse_accept_lang_header(accept_language[:1000])
    except ValueError:
        wanted = ()
    for tag, _quality in wanted:
        tag = tag.lower()
        for candidate in (tag, tag.split("-")[0]):
            if candidate in offered:
                return candidate
    return default


def may_see(request: HttpRequest, portal: Portal) -> bool:
    """Live and suspended portals are public; a draft only to staff allowed to preview it.

    Staff rights live in `accounts`, above this layer: we ask Django's permission system,
    which the accounts backend answers (MFA-verified staff with a role on the portal).
    """
    if portal.status != PortalStatus.DRAFT:
        return True
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    # Only a session that passed the TOTP step counts (django_otp marks it on the user).
    verified = getattr(user, "is_verified", None)
    return bool(verified is not None and verified() and user.has_perm(PREVIEW_PERMISSION, portal))


# Every public request names its portal: each web process keeps the portals it has read for
# this long, so a page costs no query for them. A change (status, options) made in this process
# is seen at once (the cache is cleared on save); other processes see it within this time.
PORTAL_CACHE_SECONDS = 2.0
_portals: dict[str, tuple[float, Portal]] = {}


def portal_by_code(code: str) -> Portal | None:
    """The portal with this code, from this process's short-lived cache when it is fresh.

    Each caller gets its own copy. Only portals that exist are kept, so a flood of made-up
    codes cannot grow the cache.
    """
    now = time.monotonic()
    cached = _portals.get(code)
    if cached is None or cached[0] <= now:
        portal = Portal.objects.filter(code=code).first()
        if portal is None:
            _portals.pop(code, None)
            return None
        cached = (now + PORTAL_CACHE_SECONDS, portal)
        _portals[code] = cached
    return copy.copy(cached[1])


def forget_portals(**_: object) -> None:
    """Empty the cache of portals (on every save or delete of one, and between tests)."""
    _portals.clear()


def _host_portal(request: HttpRequest) -> Portal | None:
    host = request.META.get("HTTP_HOST", "").split(":")[0].strip().lower().rstrip(".")
    if not host:
        return None
    link = PortalHost.objects.select_related("portal").filter(host=host).first()
    return link.portal if link else None


def staff_language(request: HttpRequest) -> str:
    """The language of a staff page: the signed-in user's choice, else the browser's best.

    The choice lives on the staff account, a layer above this one: it is read as the user's
    `language` attribute (blank until they choose), so nothing here imports accounts.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = getattr(user, "language", "")
        if chosen in settings.STAFF_LANGUAGES:
            return str(chosen)
    accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    return best_language(accept, list(settings.STAFF_LANGUAGES), settings.LANGUAGE_CODE)


def is_staff_path(request: HttpRequest) -> bool:
    return request.path_info.strip("/").split("/")[0] == STAFF_PREFIX


def is_portal_path(request: HttpRequest) -> bool:
    first = request.path_info.strip("/").split("/")[0]
    return bool(first) and first not in NOT_PORTAL_PREFIXES


def resolve(request: HttpRequest) -> tuple[Portal | None, str, bool]:
    """(portal or None, language, language came from the path) for this request."""
    segments = request.path_info.strip("/").split("/")
    first = segments[0]
    second = segments[1] if len(segments) > 1 else ""
    accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if first == STAFF_PREFIX:
        return None, staff_language(request), False
    if first in NOT_PORTAL_PREFIXES:
        return None, settings.LANGUAGE_CODE, False
    portal: Portal | None = None
    if first:
        portal = portal_by_code(first)
    elif host_portal := _host_portal(request):
        portal = host_portal
    if portal is not None and not may_see(request, portal):
        portal = None
    if portal is None:
        if second in shipped_languages() and first:
            return None, second, True
        if not first and (chosen := request.GET.get("lang", "")) in shipped_languages():
            return None, chosen, True  # the language switcher of the list of portals
        return None, best_language(accept, shipped_languages(), settings.LANGUAGE_CODE), False
    if second in portal.languages:
        return portal, second, True
    return portal, best_language(accept, portal.languages, portal.default_language), False


class PortalMiddleware:
    """Resolves the portal and language once, and speaks that language for the whole request.

    Must come after the authentication and OTP middleware (a draft's preview needs the user).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        portal, language, from_path = resolve(request)
        request.portal = portal  # type: ignore[attr-defined]
        request.language = language  # type: ignore[attr-defined]
        request.portal_preview = bool(portal and portal.status == PortalStatus.DRAFT)  # type: ignore[attr-defined]
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        if not from_path:
            # The answer depended on the browser's languages: caches must keep them apart.
            patch_vary_headers(response, ("Accept-Language",))
        if is_staff_path(request):
            # A staff page speaks its user's chosen language: one session's page is not another's.
            patch_vary_headers(response, ("Cookie",))
        elif is_portal_path(request) and not same_for_everyone(response):
            # Whether a portal answers can depend on who asks (a draft's staff): always say so,
            # so that the headers of a 404 do not tell a draft from no portal at all.
            patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


def same_for_everyone(response: HttpResponse) -> bool:
    """Whether the view said its answer is the same whoever asks (`Cache-Control: public`, as
    the public figures page of a live portal does): then a cookie changes nothing, and
    `Vary: Cookie` would only keep shared caches from sharing it."""
    directives = response.get("Cache-Control", "").split(",")
    return "public" in {d.split("=")[0].strip().lower() for d in directives}


def portal_of(request: HttpRequest) -> Portal | None:
    return getattr(request, "portal", None)


def language_of(request: HttpRequest) -> str:
    return str(getattr(request, "language", settings.LANGUAGE_CODE))


def portal_kwargs(portal: Portal, language: str, **extra: Any) -> dict[str, Any]:
    """The URL kwargs of a portal page, for reverse()."""
    return {"portal_code": portal.code, "lang": language, **extra}
