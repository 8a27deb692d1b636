"""The public pages of the figures (the staff dashboards' URLs live apart, under /staff/)."""

from django.urls import path

from hotline.stats import public_views

app_name = "stats_public"
urlpatterns = [
    path("<slug:portal_code>/<str:lang>/figures/", public_views.figures, name="figures"),
]
