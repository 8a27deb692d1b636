from django.urls import path

from hotline.intake import views

app_name = "intake"
urlpatterns = [
    path("<slug:portal_code>/<str:lang>/report/", views.report_form, name="report"),
    path("<slug:portal_code>/<str:lang>/report/thanks/", views.receipt, name="receipt"),
    path("<slug:portal_code>/<str:lang>/report/challenge", views.challenge, name="challenge"),
    path("<slug:portal_code>/<str:lang>/status/", views.status, name="status"),
]
