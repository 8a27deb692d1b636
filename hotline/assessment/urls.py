from django.urls import path

from hotline.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/claim/", views.claim, name="claim"),
    path("cases/<int:case_id>/release/", views.release, name="release"),
]
