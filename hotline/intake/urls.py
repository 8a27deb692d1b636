from django.urls import path

from hotline.intake import views

app_name = "intake"
urlpatterns = [
    path("<slug:portal_code>/<str:lang>/", views.report_form, name="report"),
    path("<slug:portal_code>/<str:lang>/thanks/", views.receipt, name="receipt"),
]
