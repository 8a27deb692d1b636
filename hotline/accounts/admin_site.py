"""The Django admin site: MFA-only, and signed into through the one staff sign-in page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from hotline.accounts.access import staff_user


class HotlineAdminSite(OTPAdminSite):
    """OTPAdminSite whose sign-in is /staff/login/: password and TOTP, audited, with lockout."""

    site_header = "Hotline administration"

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if staff_user(request) is not None:
            # Signed in with MFA but not an administrator: say no, rather than ask again.
            raise PermissionDenied
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        return redirect_to_login(next_url, login_url=reverse("accounts:login"))
