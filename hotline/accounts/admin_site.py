"""The Django admin site: MFA-only, and signed into through the one staff sign-in page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite

from hotline.accounts.access import staff_user
from hotline.audit.actions import record_event


class HotlineAdminSite(OTPAdminSite):
    """OTPAdminSite whose sign-in is /staff/login/: password and TOTP, audited, throttled."""

    site_header = "Hotline administration"

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        if self.has_permission(request):
            return HttpResponseRedirect(next_url)
        if staff_user(request) is not None:
            # Signed in with MFA but not an administrator: say no, rather than ask again.
            raise PermissionDenied
        return redirect_to_login(next_url, login_url=reverse("accounts:login"))

    def password_change(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One's own password is a privilege like any other: its change is audited in the same
        # transaction (the form applies the password rules, AUTH_PASSWORD_VALIDATORS).
        with transaction.atomic():
            response = super().password_change(request, extra_context)
            if request.method == "POST" and response.status_code == 302:
                record_event(
                    actor=f"staff:{request.user.pk}",
                    action="accounts.password_changed",
                    target=request.user,  # type: ignore[arg-type]
                )
        return response
