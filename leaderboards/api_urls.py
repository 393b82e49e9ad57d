"""The leaderboards API, under /api/ (included from config/api_urls.py)."""

from django.urls import path

from leaderboards import api

app_name = "leaderboards_api"
urlpatterns = [
    path("ceremonies/<int:ceremony_id>/leaderboard/", api.LeaderboardApi.as_view(), name="leaderboard"),
    path("ceremonies/<int:ceremony_id>/leaderboard/<int:user_id>/", api.CardApi.as_view(), name="card"),
    path("categories/<int:category_id>/announcement/", api.AnnouncementApi.as_view(), name="announcement"),
]
