"""Members, their API keys and their downloads in the admin.

Members are edited here (audited, like every admin edit); a key is issued through the same
action as `hotline member key create` and its plaintext shown once, in the page's message;
keys are revoked with an admin action, never edited or deleted. Downloads are read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from hotline.audit.admin_mixins import AuditedAdmin, ReadOnlyAdmin
from hotline.members.actions import KeyNotIssued, check_key_terms, issue_api_key, revoke_api_key
from hotline.members.models import ApiKey, FeedDownload, Member, Scope


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    list_display = ["name", "kind", "country", "is_active", "is_demo", "joined_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    fields = ["name", "kind", "country", "is_active", "is_demo", "joined_at"]
    readonly_fields = ["is_demo", "joined_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # their downloads stay on record: suspend (not active) instead


class IssueKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The lists (or uses) the member is licensed for.",
    )

    class Meta:
        model = ApiKey
        fields = ["member", "label", "scopes", "expires_at", "requests_per_minute"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        try:
            check_key_terms(
                scopes=[Scope(s) for s in cleaned.get("scopes", [])],
                expires_at=cleaned.get("expires_at"),
                requests_per_minute=cleaned.get("requests_per_minute") or 0,
            )
        except KeyNotIssued as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "member",
        "label",
        "scopes",
        "requests_per_minute",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["member"]
    search_fields = ["prefix", "member__name", "label"]
    actions = ["revoke"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = IssueKeyForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return IssueKeyForm.Meta.fields
        return [*self.list_display, "member"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a key's terms are set when it is issued; revoke it and issue another

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked keys stay on record

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        key, plaintext = issue_api_key(
            member=form.cleaned_data["member"],
            scopes=[Scope(s) for s in form.cleaned_data["scopes"]],
            label=form.cleaned_data["label"],
            expires_at=form.cleaned_data["expires_at"],
            requests_per_minute=form.cleaned_data["requests_per_minute"],
            actor=f"staff:{request.user.pk}",
        )
        # The admin goes on with `obj` (its message, its history entry): make it the issued key.
        obj.pk = key.pk
        obj.prefix = key.prefix
        obj.scopes = key.scopes
        obj._state.adding = False
        self.message_user(
            request,
            f"API key for {key.member} (shown once: copy it now and send it to them safely): "
            f"{plaintext}",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected keys at once")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            revoke_api_key(key=key, actor=f"staff:{request.user.pk}")
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)


@admin.register(FeedDownload)
class FeedDownloadAdmin(ReadOnlyAdmin):
    list_display = ["at", "member", "key", "feed", "format", "version", "since", "not_modified"]
    list_filter = ["feed", "format", "member"]
    date_hierarchy = "at"
