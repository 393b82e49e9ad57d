from django.urls import path

from leaderboards import groups_views

app_name = "groups"

urlpatterns = [
    path("ceremonies/<slug:show>/<int:number>/groups/", groups_views.GroupsView.as_view(), name="groups"),
]
