from django.urls import path

from predictions import views

app_name = "predictions"

urlpatterns = [
    path("ceremonies/<slug:show>/<int:number>/ballot/", views.BallotView.as_view(), name="ballot"),
    path(
        "ceremonies/<slug:show>/<int:number>/ballot/<slug:category>/",
        views.CategoryBallotView.as_view(),
        name="category_ballot",
    ),
    path("ceremonies/<slug:show>/<int:number>/experts/", views.ExpertsView.as_view(), name="experts"),
    path(
        "ceremonies/<slug:show>/<int:number>/experts/<int:user_id>/",
        views.ExpertPicksView.as_view(),
        name="expert_picks",
    ),
]
