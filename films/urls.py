from django.urls import path

from films import views

app_name = "films"

urlpatterns = [
    path("shows/<slug:slug>/", views.ShowDetailView.as_view(), name="show"),
    path("shows/<slug:show>/categories/<slug:slug>/", views.CategoryHistoryView.as_view(), name="category_history"),
    path("ceremonies/<slug:show>/<int:number>/", views.CeremonyDetailView.as_view(), name="ceremony"),
    path("films/", views.FilmListView.as_view(), name="film_list"),
    path("films/<slug:slug>/", views.FilmDetailView.as_view(), name="film"),
    path("people/<slug:slug>/", views.PersonDetailView.as_view(), name="person"),
]
