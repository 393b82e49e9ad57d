from django.urls import path

from predictions import odds_views

app_name = "odds"

urlpatterns = [
    path("ceremonies/<slug:show>/<int:number>/odds/", odds_views.CeremonyOddsView.as_view(), name="ceremony_odds"),
    path(
        "ceremonies/<slug:show>/<int:number>/odds/<slug:category>/",
        odds_views.CategoryOddsView.as_view(),
        name="category_odds",
    ),
]
