from django.urls import path

from hotline.assessment import takedown_views as views

# The takedown board is analyst UI (assessment, layer 9) over the takedown app (layer 7).
app_name = "takedown"
urlpatterns = [
    path("takedown/", views.board, name="board"),
    path("takedown/notices/<int:notice_id>/", views.notice_detail, name="notice"),
    path(
        "takedown/notices/<int:notice_id>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
    ),
    path("takedown/notices/<int:notice_id>/route/", views.route_by_hand, name="route"),
    # Under welfare.PREVIEW_PATH_PREFIX: the case page shows these grey and blurred.
    path("previews/case-<int:case_id>/<int:image_id>.png", views.preview, name="preview"),
]
