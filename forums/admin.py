"""The admin shows forum content read-mostly: moderation goes through the site (forums.services), which keeps
the counters and the moderation log right; boards are created and ordered here."""

from django.contrib import admin

from forums.models import Board, ModerationAction, Post, Report, Thread


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "is_default", "thread_count", "post_count", "last_post_at"]
    list_editable = ["position", "is_default"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["thread_count", "post_count", "last_post_at", "last_thread"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "board", "author", "post_count", "last_post_at", "is_pinned", "is_locked", "removed_at"]
    list_filter = ["board", "is_pinned", "is_locked"]
    search_fields = ["title"]
    raw_id_fields = ["author", "film", "category", "last_post_author", "removed_by"]
    readonly_fields = [f.name for f in Thread._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["thread", "number", "author", "created_at", "edited_at", "deleted_at", "removed_at"]
    search_fields = ["source", "thread__title"]
    readonly_fields = [f.name for f in Post._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["post", "reason", "reporter", "created_at", "resolution", "resolved_by"]
    list_filter = ["reason", "resolution"]
    readonly_fields = [f.name for f in Report._meta.fields]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "moderator", "kind", "thread", "post", "reason"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in ModerationAction._meta.fields]

    def has_add_permission(self, request):
        return False
