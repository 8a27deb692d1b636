from django.urls import path, re_path

from hotline.portals import views
from hotline.portals.pages import not_found

app_name = "portals"
urlpatterns = [
    path("", views.index, name="index"),
    path("favicon.ico", views.favicon_ico, name="favicon-ico"),
    re_path(r"^assets/(?P<sha256>[0-9a-f]{64})\.png$", views.asset, name="asset"),
    path("<slug:portal_code>/", views.choose_language, name="portal"),
    path("<slug:portal_code>/favicon.svg", views.favicon, name="favicon"),
    path("<slug:portal_code>/<str:lang>/", views.home, name="home"),
    path("<slug:portal_code>/<str:lang>/partners/", views.partners, name="partners"),
    path("<slug:portal_code>/<str:lang>/help/", views.help_page, name="help"),
    path("<slug:portal_code>/<str:lang>/privacy/", views.privacy, name="privacy"),
    path("<slug:portal_code>/<str:lang>/accessibility/", views.accessibility, name="accessibility"),
    re_path(
        r"^(?P<portal_code>[-\w]+)/(?P<lang>[-\w]+)/flyer\.(?P<kind>pdf|png)$",
        views.flyer,
        name="flyer",
    ),
]

# Any other address ending in "/" gets the public 404 page, even with DEBUG on.
catch_all = [re_path(r"^(?:.*/)?$", not_found, name="not-found")]
