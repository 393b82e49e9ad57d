from django.contrib import admin

from films.models import (
    AwardShow,
    Category,
    Ceremony,
    Contender,
    ContenderFilm,
    ContenderPerson,
    Credit,
    Film,
    Person,
    Round,
)


class CreditInline(admin.TabularInline):
    model = Credit
    extra = 1
    autocomplete_fields = ["person"]
    fields = ["role", "person", "character", "order"]


@admin.register(Film)
class FilmAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "imdb_id", "critics_score", "streaming_service"]
    list_filter = ["year", "theatrical_release_kind"]
    search_fields = ["title", "imdb_id"]
    prepopulated_fields = {"slug": ["title", "year"]}
    inlines = [CreditInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "year", "imdb_id", "synopsis", "runtime_minutes", "poster_url"]}),
        (
            "Release",
            {
                "fields": [
                    ("festival_premiere", "festival_premiere_date"),
                    ("theatrical_release", "theatrical_release_kind"),
                    ("streaming_release", "streaming_service"),
                    "critics_score",
                ]
            },
        ),
    ]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "imdb_id"]
    search_fields = ["name", "imdb_id"]
    prepopulated_fields = {"slug": ["name"]}


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0


@admin.register(AwardShow)
class AwardShowAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Ceremony)
class CeremonyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "held_in", "date", "film_year_label"]
    list_filter = ["show"]
    list_select_related = ["show"]
    search_fields = ["number", "film_year_label"]
    inlines = [RoundInline]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "opens_at", "closes_at"]
    list_filter = ["kind", "ceremony__show"]
    list_select_related = ["ceremony__show"]
    autocomplete_fields = ["ceremony"]


class ContenderInline(admin.TabularInline):
    model = Contender
    extra = 0
    fields = ["name", "detail", "is_nominee", "is_winner", "order"]
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "ceremony", "canonical_name", "award_class", "slots", "order"]
    list_filter = ["award_class", "ceremony__show"]
    list_select_related = ["ceremony__show"]
    search_fields = ["name", "canonical_name", "ceremony__number"]
    autocomplete_fields = ["ceremony"]
    inlines = [ContenderInline]


class ContenderFilmInline(admin.TabularInline):
    model = ContenderFilm
    extra = 1
    autocomplete_fields = ["film"]


class ContenderPersonInline(admin.TabularInline):
    model = ContenderPerson
    extra = 1
    autocomplete_fields = ["person"]


@admin.register(Contender)
class ContenderAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_nominee", "is_winner"]
    list_filter = ["is_winner", "is_nominee", "category__award_class"]
    list_select_related = ["category__ceremony__show"]
    search_fields = ["name", "detail", "category__name"]
    autocomplete_fields = ["category"]
    exclude = ["import_key"]
    inlines = [ContenderFilmInline, ContenderPersonInline]
