"""The forums API, under /api/ (included from config/api_urls.py)."""

from django.urls import path

from forums import api

app_name = "forums_api"
urlpatterns = [
    path("forums/boards/", api.BoardListApi.as_view(), name="boards"),
    path("forums/boards/<slug:slug>/threads/", api.BoardThreadsApi.as_view(), name="board_threads"),
    path("forums/threads/<int:thread_id>/", api.ThreadDetailApi.as_view(), name="thread"),
    path("forums/threads/<int:thread_id>/posts/", api.ThreadPostsApi.as_view(), name="thread_posts"),
    path("forums/threads/<int:thread_id>/moderation/", api.ThreadModerationApi.as_view(), name="thread_moderation"),
    path("forums/posts/<int:post_id>/", api.PostApi.as_view(), name="post"),
    path("forums/posts/<int:post_id>/reports/", api.PostReportApi.as_view(), name="post_reports"),
    path("forums/posts/<int:post_id>/moderation/", api.PostModerationApi.as_view(), name="post_moderation"),
    path("forums/reports/", api.ReportListApi.as_view(), name="reports"),
    path("forums/reports/<int:report_id>/dismiss/", api.ReportDismissApi.as_view(), name="report_dismiss"),
]
