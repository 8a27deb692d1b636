from django.urls import path

from hotline.assessment import views, welfare_views

app_name = "assessment"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/claim/", views.claim, name="claim"),
    path("cases/<int:case_id>/release/", views.release, name="release"),
    path("cases/<int:case_id>/lease/", views.renew_lease, name="lease"),
    path("next/", views.next_case, name="next"),
    path("welfare/", welfare_views.overview, name="welfare"),
    path("welfare/heartbeat/", welfare_views.heartbeat, name="welfare_heartbeat"),
    path("welfare/reminder/dismiss/", welfare_views.dismiss_reminder, name="welfare_dismiss"),
    path(
        "welfare/analysts/<int:analyst_id>/lift-limit/",
        welfare_views.lift_limit,
        name="welfare_lift_limit",
    ),
    # Quality assurance, appeals and corrections (assessment/qa.py).
    path("qa/", views.qa_figures, name="qa"),
    path("qa/second/", views.qa_queue, name="qa_queue"),
    path("qa/senior/", views.senior_queue, name="senior_queue"),
    path("cases/<int:case_id>/second/", views.second_assessment, name="second_assessment"),
    path("cases/<int:case_id>/decide/", views.decide_disagreement, name="decide_disagreement"),
    path("cases/<int:case_id>/appeal/", views.record_appeal, name="record_appeal"),
    path("cases/<int:case_id>/appeal/decide/", views.decide_appeal, name="decide_appeal"),
    path("cases/<int:case_id>/correct/", views.correct_result, name="correct_result"),
    path("cases/<int:case_id>/domain/", views.list_whole_domain, name="list_whole_domain"),
]
