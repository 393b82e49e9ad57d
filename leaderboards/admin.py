from django.contrib import admin

from leaderboards.models import Announcement, LeaderboardState, Standing


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the services (announcements through the control room, standings by the recompute),
    so that every change bumps the leaderboard version and reaches the standings."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["contender", "category", "announced_by", "announced_at", "undone_by", "undone_at"]
    list_select_related = ["contender", "category__ceremony__show", "announced_by", "undone_by"]
    list_filter = [
        "category__ceremony__show",
        "category__ceremony",
        ("undone_at", admin.EmptyFieldListFilter),
        "announced_at",
    ]
    search_fields = ["contender__name", "category__name"]
    date_hierarchy = "announced_at"


@admin.register(Standing)
class StandingAdmin(ReadOnlyAdmin):
    list_display = ["rank", "user", "segment", "round", "accuracy", "points", "correct", "decided"]
    list_select_related = ["user", "round__ceremony__show"]
    list_filter = ["segment", "round__kind", "round__ceremony"]
    search_fields = ["user__display_name", "user__email"]


@admin.register(LeaderboardState)
class LeaderboardStateAdmin(admin.ModelAdmin):
    list_display = ["ceremony", "version", "computed_version", "is_stale", "computed_at"]
    list_select_related = ["ceremony__show"]
    readonly_fields = ["ceremony", "version", "computed_version", "computed_at"]

    @admin.display(boolean=True, description="stale")
    def is_stale(self, obj):
        return obj.is_stale

    def has_add_permission(self, request):
        return False
