"""The predictions API, under /api/ (included from config/api_urls.py)."""

from django.urls import path

from predictions import api

app_name = "predictions_api"
urlpatterns = [
    path("odds/<int:category_id>/", api.OddsApi.as_view(), name="odds"),
    path("ballots/<int:category_id>/", api.BallotApi.as_view(), name="ballot"),
    path("ceremonies/<int:ceremony_id>/ballots/", api.CeremonyBallotsApi.as_view(), name="ceremony_ballots"),
    path("auth/token/", api.TokenObtainApi.as_view(), name="token"),
]
