from django.contrib import admin

from predictions.models import Ballot, Odds, OddsState, Pick, Top24Member
from predictions.services import ballots_delete


class PickInline(admin.TabularInline):
    model = Pick
    extra = 0
    fields = ["rank", "contender", "rationale"]
    readonly_fields = fields
    can_delete = False


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin):
    """Read-only: ballots are the users' own; nobody edits another person's picks."""

    list_display = ["user", "category", "round", "saved_at"]
    list_select_related = ["user", "category__ceremony__show", "round__ceremony__show"]
    list_filter = ["round__kind", "round__ceremony"]
    search_fields = ["user__display_name", "user__email"]
    inlines = [PickInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    # Deleting (a spam account's ballots, say) goes through the service, which bumps the categories' ballot versions.
    def delete_model(self, request, obj):
        ballots_delete(ballots=Ballot.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        ballots_delete(ballots=queryset)


@admin.register(OddsState)
class OddsStateAdmin(admin.ModelAdmin):
    list_display = ["category", "round", "ballot_version", "odds_version", "recomputed_at"]
    list_select_related = ["category__ceremony__show", "round__ceremony__show"]
    readonly_fields = ["round", "category", "ballot_version", "odds_version", "recomputed_at"]


@admin.register(Odds)
class OddsAdmin(admin.ModelAdmin):
    list_display = ["contender", "category", "segment", "probability", "rank", "ballots", "computed_at"]
    list_filter = ["segment", "round__ceremony"]
    list_select_related = ["contender", "category__ceremony__show"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Top24Member)
class Top24MemberAdmin(admin.ModelAdmin):
    list_display = ["ceremony", "rank", "user"]
    list_select_related = ["ceremony__show", "user"]
    autocomplete_fields = ["user"]
