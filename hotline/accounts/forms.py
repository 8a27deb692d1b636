from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

# What the code field takes: an authenticator's code, or a recovery code (four groups of four
# letters and digits, spaces and hyphens optional). Anything else is a typing slip, not a guess.
AUTHENTICATOR_CODE = re.compile(r"\d{6,8}")
RECOVERY_CODE = re.compile(r"[a-z0-9]{4}(?:[-\s]?[a-z0-9]{4}){3}", re.IGNORECASE)


class StaffSignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), max_length=1024, widget=forms.PasswordInput)
    otp_token = forms.CharField(
        label=_("Authenticator code"),
        max_length=32,
        help_text=_(
            "The 6-digit code your authenticator app shows now; if you have lost it, one of "
            "your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean_otp_token(self) -> str:
        code = str(self.cleaned_data["otp_token"]).strip()
        if not (AUTHENTICATOR_CODE.fullmatch(code) or RECOVERY_CODE.fullmatch(code)):
            raise forms.ValidationError(
                _("Enter the 6-digit code from your authenticator app, or a recovery code."),
                code="invalid",
            )
        return code

    def is_recovery_code(self) -> bool:
        return RECOVERY_CODE.fullmatch(self.cleaned_data["otp_token"]) is not None
