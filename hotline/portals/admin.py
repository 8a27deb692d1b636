"""Portals, partners and help resources in the admin: every edit audited, logos checked.

Launch files (`hotline portal launch`) are the usual way to create and change a portal; the
admin is for the quick fix (a new helpline number, a partner's logo, suspending a portal).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from hotline.audit.admin_mixins import AuditedAdmin
from hotline.portals import checks
from hotline.portals.actions import store_logo
from hotline.portals.checks import CheckError
from hotline.portals.logos import LogoError, check_logo
from hotline.portals.models import HelpResource, Partner, Partnership, Portal
from hotline.portals.options import PORTAL_OPTIONS, OptionError
from hotline.portals.spec import RESERVED_CODES


class LogoUploadForm(forms.ModelForm):
    """Adds a logo upload: checked (type, size, dimensions; SVG refused) and re-encoded."""

    logo_file = forms.FileField(
        required=False,
        label="Upload a logo",
        help_text="PNG or JPEG, under 1 MB, 16 to 4000 pixels a side. SVG is not accepted.",
    )

    def clean_logo_file(self) -> Any:
        upload = self.cleaned_data.get("logo_file")
        if upload is None:
            return None
        try:
            return check_logo(upload.read(1_000_001))
        except LogoError as exc:
            raise forms.ValidationError(f"This logo cannot be used: {exc}.") from None


class PortalAdminForm(LogoUploadForm):
    class Meta:
        model = Portal
        fields = [
            "code",
            "country",
            "status",
            "languages",
            "default_language",
            "names",
            "taglines",
            "owner",
            "authority",
            "options",
        ]

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).lower()
        if code in RESERVED_CODES:
            raise forms.ValidationError(f"'{code}' is used by the site itself; choose another.")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        known = {code for code, _ in settings.LANGUAGES}
        languages = data.get("languages") or []
        if not isinstance(languages, list) or not languages or set(languages) - known:
            self.add_error("languages", f"Give a list drawn from {sorted(known)}.")
            return data
        if data.get("default_language") not in languages:
            self.add_error("default_language", "The default language must be one of languages.")
        for field, check in [
            ("names", lambda v: checks.texts(v, languages, every=True)),
            ("taglines", lambda v: checks.texts(v, languages, every=False)),
            ("owner", checks.contact),
            ("authority", checks.contact),
        ]:
            if field in data:
                try:
                    data[field] = check(data[field])
                except CheckError as exc:
                    self.add_error(field, f"{str(exc)[0].upper()}{str(exc)[1:]}.")
        options = data.get("options") or {}
        if not isinstance(options, dict):
            self.add_error("options", 'Give a JSON object, e.g. {"primary_colour": "#0b5cad"}.')
            return data
        for key, value in options.items():
            if key not in PORTAL_OPTIONS:
                self.add_error(
                    "options", f"Unknown option {key!r}; known: {sorted(PORTAL_OPTIONS)}."
                )
                continue
            try:
                options[key] = PORTAL_OPTIONS[key].parse(value)
            except OptionError as exc:
                self.add_error("options", f"{key}: {exc}.")
        return data


class PartnerAdminForm(LogoUploadForm):
    class Meta:
        model = Partner
        fields = ["name", "names", "kind", "website"]

    def clean_names(self) -> dict[str, str]:
        shipped = [code for code, _ in settings.LANGUAGES]
        return _checked(checks.texts, self.cleaned_data["names"], shipped, every=False)


class HelpResourceForm(forms.ModelForm):
    """The same rules as a launch file's [[help]] entries."""

    class Meta:
        model = HelpResource
        fields = ["kind", "name", "names", "phone", "website", "languages", "position"]

    def _languages(self) -> list[str]:
        portal = getattr(self.instance, "portal", None)
        return list(portal.languages) if portal else [c for c, _ in settings.LANGUAGES]

    def clean_names(self) -> dict[str, str]:
        return _checked(checks.texts, self.cleaned_data["names"], self._languages(), every=False)

    def clean_phone(self) -> str:
        return _checked(checks.phone, self.cleaned_data["phone"])

    def clean_languages(self) -> list[str]:
        return _checked(checks.help_languages, self.cleaned_data["languages"], self._languages())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and not data.get("website") and not self.errors:
            raise forms.ValidationError("Give a phone number or a website (or both).")
        return data


def _checked(check: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return check(*args, **kwargs)
    except CheckError as exc:
        raise forms.ValidationError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None


def _save_logo(obj: Any, form: forms.ModelForm) -> None:
    checked = form.cleaned_data.get("logo_file")
    if checked is not None:
        obj.logo = store_logo(checked)


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 0


class HelpResourceInline(admin.TabularInline):
    model = HelpResource
    form = HelpResourceForm
    extra = 0


@admin.register(Portal)
class PortalAdmin(AuditedAdmin):
    form = PortalAdminForm
    list_display = ["code", "country", "status", "default_language", "launched_at"]
    list_filter = ["status"]
    inlines = [PartnershipInline, HelpResourceInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Reports and cases belong to the portal for ever: suspend it instead.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The code is every URL of the portal and every report reference: fixed once made.
        return ["code", "launched_at"] if obj is not None else ["launched_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        _save_logo(obj, form)
        super().save_model(request, obj, form, change)


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    form = PartnerAdminForm
    list_display = ["name", "kind", "website"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        _save_logo(obj, form)
        super().save_model(request, obj, form, change)
