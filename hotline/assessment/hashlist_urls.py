from django.urls import path

from hotline.assessment import hashlist_views as views

# The senior analysts' hash list is analyst UI (assessment, layer 9) over the hash list
# (layer 5), like the takedown board.
app_name = "hashlist_staff"
urlpatterns = [
    path("hashlist/", views.entry_list, name="list"),
    path("hashlist/add/", views.add, name="add"),
    path("hashlist/add/upload/", views.upload, name="upload"),
    path("hashlist/add/paste/", views.paste, name="paste"),
    path("hashlist/entries/<int:entry_id>/", views.entry_detail, name="entry"),
    path("hashlist/entries/<int:entry_id>/remove/", views.remove, name="remove"),
    path("hashlist/entries/<int:entry_id>/category/", views.correct, name="correct"),
    path("hashlist/entries/<int:entry_id>/reactivate/", views.reactivate, name="reactivate"),
]
