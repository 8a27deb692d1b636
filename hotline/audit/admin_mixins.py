"""Admin bases: read-only for audited models, or audited edits (admin edits are state changes)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from hotline.audit.actions import record_event


class ReadOnlyAdmin(admin.ModelAdmin):
    """For models that change only through audited actions (commands, launch files, the app)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Each save or delete in this admin is one transaction with an `admin.*` audit event."""

    def _record(self, request: HttpRequest, obj: models.Model, action: str, **data: Any) -> None:
        record_event(
            actor=f"staff:{request.user.pk}",
            action=action,
            target=obj,
            data={"model": obj._meta.label_lower, **data},
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = sorted(form.changed_data) if change else []
            # Never put secrets (password hashes) in the log: field names only.
            self._record(request, obj, "admin.changed" if change else "admin.added", fields=changed)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._record(request, obj, "admin.deleted")
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The admin's "delete selected" action: one event per object, one transaction.
        with transaction.atomic():
            for obj in queryset:
                self._record(request, obj, "admin.deleted")
            super().delete_queryset(request, queryset)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Many-to-many fields (a user's groups and permissions, a group's permissions) are saved
        # here, after save_model: who gained or lost which is a privileged change of its own,
        # so each changed field gets an `admin.relations_changed` event naming them.
        obj = form.instance
        fields = [f for f in obj._meta.many_to_many if f.name in form.changed_data]
        before = {f.name: self._related(obj, f.name) if change else set() for f in fields}
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            for field in fields:
                after = self._related(obj, field.name)
                added, removed = after - before[field.name], before[field.name] - after
                if added or removed:
                    self._record(
                        request,
                        obj,
                        "admin.relations_changed",
                        field=field.name,
                        added=sorted(added),
                        removed=sorted(removed),
                    )

    @staticmethod
    def _related(obj: models.Model, field: str) -> set[str]:
        return {str(related) for related in getattr(obj, field).all()}

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                self._record(request, obj, "admin.added")
            for obj, fields in formset.changed_objects:
                self._record(request, obj, "admin.changed", fields=sorted(fields))
            for obj in formset.deleted_objects:
                self._record(request, obj, "admin.deleted")
