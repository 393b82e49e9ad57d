from django.urls import path

from forums import views

app_name = "forums"

urlpatterns = [
    path("forums/", views.BoardListView.as_view(), name="boards"),
    path("forums/search/", views.ThreadSearchView.as_view(), name="search"),
    path("forums/new/", views.ThreadCreateView.as_view(), name="thread_create"),
    path("forums/moderation/", views.ModerationQueueView.as_view(), name="moderation"),
    path("forums/t/<int:pk>/", views.ThreadDetailView.as_view(), name="thread_short"),
    path("forums/t/<int:pk>/<slug:slug>/", views.ThreadDetailView.as_view(), name="thread"),
    path("forums/t/<int:pk>/reply", views.ReplyView.as_view(), name="reply"),
    path("forums/t/<int:pk>/unread", views.thread_unread, name="unread"),
    path("forums/t/<int:pk>/moderate", views.ThreadModerateView.as_view(), name="thread_moderate"),
    path("forums/p/<int:pk>/", views.post_redirect, name="post"),
    path("forums/p/<int:pk>/edit", views.PostEditView.as_view(), name="post_edit"),
    path("forums/p/<int:pk>/delete", views.PostDeleteView.as_view(), name="post_delete"),
    path("forums/p/<int:pk>/report", views.PostReportView.as_view(), name="post_report"),
    path("forums/p/<int:pk>/moderate", views.PostModerateView.as_view(), name="post_moderate"),
    path("forums/reports/<int:pk>/dismiss", views.ReportDismissView.as_view(), name="report_dismiss"),
    path("forums/<slug:slug>/", views.BoardDetailView.as_view(), name="board"),
]
