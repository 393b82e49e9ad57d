from django.urls import path

from leaderboards import views

app_name = "leaderboards"

urlpatterns = [
    path("ceremonies/<slug:show>/<int:number>/control-room/", views.ControlRoomView.as_view(), name="control_room"),
    path("ceremonies/<slug:show>/<int:number>/leaderboard/", views.LeaderboardView.as_view(), name="leaderboard"),
    path("ceremonies/<slug:show>/<int:number>/leaderboard/<int:user_id>/", views.CardView.as_view(), name="card"),
]
