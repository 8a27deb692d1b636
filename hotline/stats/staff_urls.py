from django.urls import path

from hotline.stats import views

app_name = "figures"
urlpatterns = [
    path("figures/", views.figures, name="dashboard"),
    path("figures/network/", views.network_view, name="network"),
]
