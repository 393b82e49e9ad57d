from django.urls import include, path

urlpatterns = [
    path("", include("films.api_urls")),
    path("", include("predictions.api_urls")),
    path("", include("leaderboards.api_urls")),
    path("", include("forums.api_urls")),
]
