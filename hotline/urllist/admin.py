from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from hotline.audit.admin_mixins import ReadOnlyAdmin
from hotline.urllist.actions import request_url_list_publication
from hotline.urllist.models import UrlListChange, UrlListEntry, UrlListSnapshot

# The list changes only through its audited actions (outcomes, analysts' domain decisions,
# `hotline urllist publish`); the admin shows it.


@admin.register(UrlListEntry)
class UrlListEntryAdmin(ReadOnlyAdmin):
    list_display = ["url", "kind", "category", "case_id", "added_at", "removed_at"]
    list_filter = ["kind", "category", "removal_reason"]
    search_fields = ["url", "domain", "=url_sha256", "=case_id"]
    exclude = ["added_in", "removed_in"]
    show_full_result_count = False  # a million rows: no COUNT(*) on every page


@admin.register(UrlListChange)
class UrlListChangeAdmin(ReadOnlyAdmin):
    list_display = ["version", "change", "entry", "category", "reason", "at"]
    list_filter = ["change"]
    list_select_related = ["entry"]
    raw_id_fields = ["entry"]
    show_full_result_count = False


@admin.register(UrlListSnapshot)
class UrlListSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["version", "format", "published_at", "count", "size", "sha256"]
    list_filter = ["format"]
    exclude = ["manifest"]
    readonly_fields = ["signed_manifest"]

    # A "Publish now" button above the list (templates/admin/urllist/urllistsnapshot/).
    change_list_template = "admin/urllist/urllistsnapshot/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        publish = path(
            "publish/",
            self.admin_site.admin_view(require_POST(self.publish_now)),
            name="urllist_urllistsnapshot_publish",
        )
        return [publish, *super().get_urls()]

    def publish_now(self, request: HttpRequest) -> HttpResponse:
        request_url_list_publication(actor=f"staff:{request.user.pk}")
        self.message_user(
            request,
            "Publication requested: the worker publishes the feeds within a minute (nothing "
            "is published if nothing changed since the last version).",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:urllist_urllistsnapshot_changelist"))

    @admin.display(description="Manifest (the bytes the signature covers)")
    def signed_manifest(self, obj: UrlListSnapshot) -> str:
        return bytes(obj.manifest).decode()
