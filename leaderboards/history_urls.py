from django.urls import path

from leaderboards import history_views

app_name = "history"

urlpatterns = [
    path("shows/<slug:show>/leaderboard/", history_views.AllTimeView.as_view(), name="all_time"),
    path("shows/<slug:show>/champions/", history_views.ChampionsView.as_view(), name="champions"),
]
