from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import views
from config.health import healthz

admin.site.site_header = "Frontrunner administration"
admin.site.site_title = "Frontrunner admin"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    # The API first: its calls are the most frequent, and URLs are tried in order.
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("accounts/", include("accounts.urls")),
    path("", include("predictions.urls")),
    path("", include("predictions.odds_urls")),
    path("", include("leaderboards.urls")),
    path("", include("leaderboards.groups_urls")),
    path("", include("leaderboards.history_urls")),
    path("", include("leaderboards.newsletter_urls")),
    path("", include("forums.urls")),
    path("", include("films.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
