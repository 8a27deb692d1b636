from django.contrib import admin

from hotline.audit.admin_mixins import ReadOnlyAdmin
from hotline.hashlist.models import HashListChange, HashListEntry, HashListSnapshot

# The list changes only through its audited actions (hotline/hashlist/actions.py: confirmed
# cases, seniors, `hotline hashlist import|publish`); the admin shows it to administrators.


@admin.register(HashListEntry)
class HashListEntryAdmin(ReadOnlyAdmin):
    list_display = ["signal_type", "value", "category", "state", "source", "case_id", "added_at"]
    list_filter = ["state", "signal_type", "source", "category"]
    search_fields = ["=value", "=case_id"]
    exclude = ["added_in", "removed_in"]
    show_full_result_count = False  # millions of rows: no COUNT(*) on every page


@admin.register(HashListChange)
class HashListChangeAdmin(ReadOnlyAdmin):
    list_display = ["version", "change", "entry", "category", "reason", "at"]
    list_filter = ["change"]
    list_select_related = ["entry"]
    raw_id_fields = ["entry"]
    show_full_result_count = False


@admin.register(HashListSnapshot)
class HashListSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["version", "format", "published_at", "count", "size", "sha256"]
    list_filter = ["format"]
    exclude = ["manifest"]
    readonly_fields = ["signed_manifest"]

    @admin.display(description="Manifest (the bytes the signature covers)")
    def signed_manifest(self, obj: HashListSnapshot) -> str:
        return bytes(obj.manifest).decode()
