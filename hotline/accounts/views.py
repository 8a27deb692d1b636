"""Staff sign-in (password and second factor in one step), sign-out, and the staff page
language."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts import actions
from hotline.accounts.access import landing_url, staff_user, verified_staff_required
from hotline.accounts.forms import StaffSignInForm
from hotline.accounts.models import StaffUser
from hotline.accounts.sessions import ENDED
from hotline.accounts.throttle import client_throttled_until
from hotline.core.ratelimit import client_key


def _next_url(request: HttpRequest, user: StaffUser | None = None) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return landing_url(user) if user is not None else resolve_url(settings.LOGIN_REDIRECT_URL)


def _held_back(until: datetime) -> str:
    return _(
        "Too many failed sign-ins from this connection. Try again after %(time)s UTC "
        "(in %(minutes)s min)."
    ) % {
        "time": until.astimezone(UTC).strftime("%H:%M:%S"),
        "minutes": max(1, math.ceil((until - timezone.now()).total_seconds() / 60)),
    }


def _second_factor(user: StaffUser, form: StaffSignInForm) -> Device | None:
    """The device that `user`'s code belongs to, spending it if it is a recovery code."""
    code = form.cleaned_data["otp_token"]
    if form.is_recovery_code():
        return actions.use_recovery_code(user=user, code=code)
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


@never_cache
@csrf_protect
@sensitive_post_parameters("password", "otp_token")
def sign_in(request: HttpRequest) -> HttpResponse:
    form = StaffSignInForm(request.POST or None)
    ended = request.session.pop(ENDED, None) if request.method == "GET" else None
    status = 400 if request.method == "POST" else 200
    retry_after = None
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        client = client_key(request)
        held_until = client_throttled_until(client)
        # The password is hashed even when the connection is held back, and the answer thrown
        # away: a refusal that answered without hashing would answer faster.
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if held_until is not None:
            actions.record_failed_sign_in(username=username, reason="throttled", client_key=client)
            # Said for every name alike: it is about the connection, never the account.
            form.add_error(None, _held_back(held_until))
            status, retry_after = 429, held_until
        else:
            device = _second_factor(user, form) if isinstance(user, StaffUser) else None
            if isinstance(user, StaffUser) and device is not None:
                login(request, user)
                otp_login(request, device)
                method = "recovery_code" if form.is_recovery_code() else "authenticator"
                actions.record_sign_in(user=user, method=method)
                return HttpResponseRedirect(_next_url(request, user))
            reason = "password" if user is None else "otp"
            held_until = actions.record_failed_sign_in(
                username=username, reason=reason, client_key=client
            )
            # One message for every failure: it must not tell which part was wrong.
            form.add_error(None, _("The username, password or authenticator code is not right."))
            if held_until is not None:
                form.add_error(None, _held_back(held_until))
    response = render(
        request,
        "accounts/sign_in.html",
        {
            "form": form,
            "next": request.GET.get("next", ""),
            "ended": ended,
            "idle_minutes": settings.HOTLINE_STAFF_IDLE_SECONDS // 60,
        },
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(
            max(1, math.ceil((retry_after - timezone.now()).total_seconds()))
        )
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(resolve_url("accounts:login"))


@require_POST
@verified_staff_required
def choose_language(request: HttpRequest) -> HttpResponse:
    """The staff header's language switcher: saved on the account, then back to the page."""
    user = staff_user(request)
    assert user is not None  # guaranteed by verified_staff_required
    language = request.POST.get("language", "")
    if language not in settings.STAFF_LANGUAGES:
        return HttpResponse(status=400)
    actions.set_staff_language(user=user, language=language)
    return HttpResponseRedirect(_next_url(request))
