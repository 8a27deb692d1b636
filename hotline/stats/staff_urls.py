from django.urls import path

from hotline.stats import views

app_name = "figures"
urlpatterns = [
    path("figures/", views.figures, name="dashboard"),
    path("figures/network/", views.network_view, name="network"),
    path("figures/reports/<slug:portal_code>/<str:period>.pdf", views.report_pdf, name="report"),
]
