"""URL map: public portals under /<portal>/<lang>/, staff under /staff/, API under /api/v1/.

The project sits above every app, so this is the one place that names them all."""

from django.contrib import admin
from django.urls import include, path

from hotline.accounts.admin_site import HotlineAdminSite
from hotline.api import api
from hotline.core import views as core_views
from hotline.portals.pages import not_found
from hotline.portals.urls import catch_all

# The Django admin asks for the TOTP code too (no staff page without MFA), through the one staff
# sign-in page. Swapping the default site's class keeps every app's admin.register working.
admin.site.__class__ = HotlineAdminSite
admin.site.site_header = HotlineAdminSite.site_header

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = not_found
handler500 = core_views.server_error

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("staff/", include("hotline.accounts.urls")),
    path("staff/", include("hotline.assessment.urls")),
    path("staff/", include("hotline.assessment.takedown_urls")),
    path("staff/", include("hotline.assessment.hashlist_urls")),
    path("staff/", include("hotline.stats.staff_urls")),
    path("api/v1/", api.urls),
    path("", include("hotline.portals.urls")),
    path("", include("hotline.intake.urls")),
    path("", include("hotline.stats.public_urls")),
    *catch_all,
]
