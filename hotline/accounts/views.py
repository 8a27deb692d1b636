"""Staff sign-in (password and TOTP in one step) and sign-out."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from hotline.accounts import actions
from hotline.accounts.access import sign_in_locked
from hotline.accounts.forms import StaffSignInForm
from hotline.accounts.models import StaffUser


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@csrf_protect
@sensitive_post_parameters("password", "otp_token")
def sign_in(request: HttpRequest) -> HttpResponse:
    form = StaffSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        locked = sign_in_locked(username)
        # The password is checked even on a locked account, and the answer thrown away: a
        # locked account that answered without hashing would answer faster, and so tell that
        # the account exists.
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if locked:
            user = None
        device = None
        if isinstance(user, StaffUser):
            device = match_token(user, form.cleaned_data["otp_token"].strip())
        if isinstance(user, StaffUser) and device is not None:
            login(request, user)
            otp_login(request, device)
            actions.record_sign_in(user=user)
            return HttpResponseRedirect(_next_url(request))
        reason = "locked" if locked else "password" if user is None else "otp"
        actions.record_failed_sign_in(username=username, reason=reason)
        # One message for every failure: it must not tell which part was wrong.
        form.add_error(None, _("The username, password or authenticator code is not right."))
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(resolve_url("accounts:login"))
