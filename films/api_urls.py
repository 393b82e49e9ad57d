"""The catalogue API, under /api/ (see config/api_urls.py). Read-only: lists and details."""

from rest_framework.routers import DefaultRouter

from films import api

router = DefaultRouter()
router.register("shows", api.ShowViewSet, basename="show")
router.register("ceremonies", api.CeremonyViewSet, basename="ceremony")
router.register("categories", api.CategoryViewSet, basename="category")
router.register("films", api.FilmViewSet, basename="film")
router.register("people", api.PersonViewSet, basename="person")

urlpatterns = router.urls
