from django.urls import include, path

# Predictions first: ballot saves and odds are the API's most frequent calls, and URLs are tried in order.
urlpatterns = [
    path("", include("predictions.api_urls")),
    path("", include("films.api_urls")),
    path("", include("leaderboards.api_urls")),
    path("", include("forums.api_urls")),
]
