from django.urls import path

from leaderboards import newsletter_views as views

app_name = "newsletter"

urlpatterns = [
    path("newsletter/", views.SignupView.as_view(), name="signup"),
    path("newsletter/sent/", views.SentView.as_view(), name="sent"),
    path("newsletter/confirm/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
    path("newsletter/unsubscribe/<str:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
]
