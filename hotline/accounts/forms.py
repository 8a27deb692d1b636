from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class StaffSignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), max_length=1024, widget=forms.PasswordInput)
    otp_token = forms.RegexField(
        label=_("Authenticator code"),
        regex=r"^\s*\d{6,8}\s*$",
        max_length=16,
        help_text=_("The 6-digit code your authenticator app shows now."),
        error_messages={"invalid": _("Enter the 6-digit code from your authenticator app.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
