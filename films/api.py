"""The read-only catalogue API: shows, ceremonies, categories, films and people.

Every list and detail runs a fixed number of queries whatever the page holds: the querysets
below select and prefetch everything the serializers touch. A serializer that reads a new
relation needs a matching select_related/prefetch_related here.
"""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers, viewsets

from films.models import AwardShow, Category, Ceremony, Contender, Credit, Film, Person

# ---------------------------------------------------------------------------------------------
# Serializers


@extend_schema_field(OpenApiTypes.URI)
class PageUrlField(serializers.Field):
    """The object's page on the site (its get_absolute_url), as an absolute URL."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        path = value.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ShowRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="show-detail", lookup_field="slug")

    class Meta:
        model = AwardShow
        fields = ["url", "slug", "name", "short_name"]


class CeremonyRefSerializer(serializers.ModelSerializer):
    """A ceremony named in passing. Needs `show` selected."""

    url = serializers.HyperlinkedIdentityField(view_name="ceremony-detail")
    show = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title = serializers.CharField(read_only=True, help_text='e.g. "93rd Academy Awards"')
    page_url = PageUrlField()

    class Meta:
        model = Ceremony
        fields = ["url", "id", "show", "number", "title", "held_in", "film_year", "film_year_label", "page_url"]


class CategoryRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="category-detail")
    display_name = serializers.CharField(read_only=True)
    is_competitive = serializers.BooleanField(read_only=True)

    class Meta:
        model = Category
        fields = ["url", "id", "slug", "name", "display_name", "canonical_slug", "award_class", "is_competitive"]


class FilmRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="film-detail", lookup_field="slug")
    page_url = PageUrlField()

    class Meta:
        model = Film
        fields = ["url", "slug", "title", "year", "page_url"]


class PersonRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="person-detail", lookup_field="slug")
    page_url = PageUrlField()

    class Meta:
        model = Person
        fields = ["url", "slug", "name", "page_url"]


class ContenderSerializer(serializers.ModelSerializer):
    """One entry of a category. Needs `films` and `people` prefetched (Category.with_contenders)."""

    films = FilmRefSerializer(many=True, read_only=True)
    people = PersonRefSerializer(many=True, read_only=True)

    class Meta:
        model = Contender
        fields = ["id", "name", "detail", "note", "citation", "is_nominee", "is_winner", "order", "films", "people"]


class CategoryInCeremonySerializer(serializers.ModelSerializer):
    """A category inside its ceremony, with its contenders."""

    url = serializers.HyperlinkedIdentityField(view_name="category-detail")
    display_name = serializers.CharField(read_only=True)
    canonical_display_name = serializers.CharField(read_only=True)
    is_competitive = serializers.BooleanField(read_only=True)
    contenders = ContenderSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = [
            "url",
            "id",
            "slug",
            "name",
            "display_name",
            "canonical_name",
            "canonical_display_name",
            "canonical_slug",
            "award_class",
            "is_competitive",
            "slots",
            "order",
            "contenders",
        ]


class CategorySerializer(CategoryInCeremonySerializer):
    """A category with its ceremony and contenders. Needs `ceremony__show` selected."""

    ceremony = CeremonyRefSerializer(read_only=True)
    page_url = PageUrlField()

    class Meta(CategoryInCeremonySerializer.Meta):
        fields = [
            "url",
            "id",
            "ceremony",
            "slug",
            "name",
            "display_name",
            "canonical_name",
            "canonical_display_name",
            "canonical_slug",
            "award_class",
            "is_competitive",
            "slots",
            "order",
            "page_url",
            "contenders",
        ]


class FilmNominationSerializer(serializers.ModelSerializer):
    """A film's nomination: the category, the ceremony and who was nominated."""

    category = CategoryRefSerializer(read_only=True)
    ceremony = CeremonyRefSerializer(source="category.ceremony", read_only=True)
    people = PersonRefSerializer(many=True, read_only=True)

    class Meta:
        model = Contender
        fields = ["id", "category", "ceremony", "name", "detail", "is_winner", "people"]


class PersonNominationSerializer(serializers.ModelSerializer):
    """A person's nomination: the category, the ceremony and the films it was for."""

    category = CategoryRefSerializer(read_only=True)
    ceremony = CeremonyRefSerializer(source="category.ceremony", read_only=True)
    films = FilmRefSerializer(many=True, read_only=True)

    class Meta:
        model = Contender
        fields = ["id", "category", "ceremony", "name", "detail", "is_winner", "films"]


class FilmCreditSerializer(serializers.ModelSerializer):
    person = PersonRefSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Credit
        fields = ["person", "role", "role_display", "character", "order"]


class PersonCreditSerializer(serializers.ModelSerializer):
    film = FilmRefSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Credit
        fields = ["film", "role", "role_display", "character", "order"]


class ShowSerializer(ShowRefSerializer):
    page_url = PageUrlField()

    class Meta(ShowRefSerializer.Meta):
        fields = [*ShowRefSerializer.Meta.fields, "description", "page_url"]


class ShowDetailSerializer(ShowSerializer):
    ceremonies = CeremonyRefSerializer(many=True, read_only=True)

    class Meta(ShowSerializer.Meta):
        fields = [*ShowSerializer.Meta.fields, "ceremonies"]


class CeremonySerializer(CeremonyRefSerializer):
    competitive_category_count = serializers.IntegerField(source="category_count", read_only=True)

    class Meta(CeremonyRefSerializer.Meta):
        fields = [*CeremonyRefSerializer.Meta.fields, "date", "competitive_category_count"]


class CeremonyDetailSerializer(CeremonySerializer):
    categories = CategoryInCeremonySerializer(many=True, read_only=True)

    class Meta(CeremonySerializer.Meta):
        fields = [*CeremonySerializer.Meta.fields, "categories"]


class FilmSerializer(FilmRefSerializer):
    class Meta(FilmRefSerializer.Meta):
        fields = [*FilmRefSerializer.Meta.fields, "imdb_id"]


class FilmDetailSerializer(FilmSerializer):
    credits = FilmCreditSerializer(many=True, read_only=True)
    nominations = FilmNominationSerializer(many=True, read_only=True)

    class Meta(FilmSerializer.Meta):
        fields = [
            *FilmSerializer.Meta.fields,
            "synopsis",
            "runtime_minutes",
            "festival_premiere",
            "festival_premiere_date",
            "theatrical_release",
            "theatrical_release_kind",
            "streaming_release",
            "streaming_service",
            "critics_score",
            "poster_url",
            "credits",
            "nominations",
        ]


class PersonSerializer(PersonRefSerializer):
    class Meta(PersonRefSerializer.Meta):
        fields = [*PersonRefSerializer.Meta.fields, "imdb_id"]


class PersonDetailSerializer(PersonSerializer):
    credits = PersonCreditSerializer(many=True, read_only=True)
    nominations = PersonNominationSerializer(many=True, read_only=True)

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "bio", "credits", "nominations"]


# ---------------------------------------------------------------------------------------------
# Filters


class FilmFilter(filters.FilterSet):
    year = filters.NumberFilter(help_text="Film year, e.g. 2020.")
    year_min = filters.NumberFilter(field_name="year", lookup_expr="gte", help_text="Film year from (inclusive).")
    year_max = filters.NumberFilter(field_name="year", lookup_expr="lte", help_text="Film year to (inclusive).")
    imdb_id = filters.CharFilter(help_text="IMDb id, e.g. tt5363618.")

    class Meta:
        model = Film
        fields = ["year", "year_min", "year_max", "imdb_id"]


class PersonFilter(filters.FilterSet):
    imdb_id = filters.CharFilter(help_text="IMDb id, e.g. nm0000531.")

    class Meta:
        model = Person
        fields = ["imdb_id"]


class CeremonyFilter(filters.FilterSet):
    show = filters.CharFilter(field_name="show__slug", help_text="The show's slug, e.g. academy-awards.")
    number = filters.NumberFilter(help_text="The ceremony's number, e.g. 93.")
    held_in = filters.NumberFilter(help_text="Calendar year of the ceremony.")

    class Meta:
        model = Ceremony
        fields = ["show", "number", "held_in"]


class CategoryFilter(filters.FilterSet):
    show = filters.CharFilter(field_name="ceremony__show__slug", help_text="The show's slug, e.g. academy-awards.")
    ceremony = filters.NumberFilter(field_name="ceremony__number", help_text="The ceremony's number, e.g. 93.")
    canonical_slug = filters.CharFilter(help_text="The category across renamings, e.g. best-picture.")
    competitive = filters.BooleanFilter(
        method="filter_competitive", help_text="true: competitive categories only; false: honorary, special, sci-tech."
    )

    class Meta:
        model = Category
        fields = ["show", "ceremony", "canonical_slug", "award_class", "competitive"]

    def filter_competitive(self, queryset, name, value):
        return queryset.competitive() if value else queryset.non_competitive()


# ---------------------------------------------------------------------------------------------
# Views


def _nominations(*, related: str) -> Prefetch:
    """A film's or a person's nominations, oldest first, with `related` (films or people) in order."""
    order = {"films": "contenderfilm__order", "people": "contenderperson__order"}[related]
    model = Film if related == "films" else Person
    return Prefetch(
        "contenders",
        queryset=Contender.objects.nominees()
        .select_related("category__ceremony__show")
        .prefetch_related(Prefetch(related, queryset=model.objects.order_by(order)))
        .order_by("category__ceremony__held_in", "category__ceremony__number", "category__order", "order", "id"),
        to_attr="nominations",
    )


class CatalogueViewSet(viewsets.ReadOnlyModelViewSet):
    """Lists with `serializer_class`, details with `detail_serializer_class`.

    Open to everyone: only safe methods are routed, so a write is a 405 for anonymous and
    signed-in callers alike (the default IsAuthenticatedOrReadOnly would answer 403 first).
    """

    permission_classes = [permissions.AllowAny]
    detail_serializer_class: type[serializers.Serializer] | None = None

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class:
            return self.detail_serializer_class
        return self.serializer_class


class ShowViewSet(CatalogueViewSet):
    """Awards shows; a show's detail lists its ceremonies, newest first."""

    serializer_class = ShowSerializer
    detail_serializer_class = ShowDetailSerializer
    lookup_field = "slug"
    search_fields = ["name", "short_name"]
    ordering_fields = ["name"]

    def get_queryset(self):
        queryset = AwardShow.objects.order_by("name")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("ceremonies", queryset=Ceremony.objects.select_related("show").order_by("-number"))
            )
        return queryset


class CeremonyViewSet(CatalogueViewSet):
    """Ceremonies, newest first; a ceremony's detail has every category with its contenders."""

    serializer_class = CeremonySerializer
    detail_serializer_class = CeremonyDetailSerializer
    filterset_class = CeremonyFilter
    ordering_fields = ["number", "held_in", "date"]

    def get_queryset(self):
        queryset = Ceremony.objects.select_related("show").with_counts().order_by("show__name", "-number")
        if self.action == "retrieve":
            categories = Category.objects.order_by("order", "name").with_contenders()
            queryset = queryset.prefetch_related(Prefetch("categories", queryset=categories))
        return queryset


class CategoryViewSet(CatalogueViewSet):
    """Categories with their ceremony and contenders, newest ceremony first."""

    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    search_fields = ["name", "canonical_name"]
    ordering_fields = ["order", "ceremony__number"]

    def get_queryset(self):
        return (
            Category.objects.select_related("ceremony__show")
            .with_contenders()
            .order_by("ceremony__show__name", "-ceremony__number", "order", "id")
        )


class FilmViewSet(CatalogueViewSet):
    """Films; a film's detail has its credits and its nominations, oldest first."""

    serializer_class = FilmSerializer
    detail_serializer_class = FilmDetailSerializer
    filterset_class = FilmFilter
    lookup_field = "slug"
    search_fields = ["title"]
    ordering_fields = ["title", "year"]

    def get_queryset(self):
        queryset = Film.objects.order_by("title", "year", "id")
        if self.action == "retrieve":
            credits = Credit.objects.select_related("person").order_by("order", "id")
            queryset = queryset.prefetch_related(Prefetch("credits", queryset=credits), _nominations(related="people"))
        return queryset


class PersonViewSet(CatalogueViewSet):
    """People (and the companies the Academy names); a person's detail has credits and nominations."""

    serializer_class = PersonSerializer
    detail_serializer_class = PersonDetailSerializer
    filterset_class = PersonFilter
    lookup_field = "slug"
    search_fields = ["name"]
    ordering_fields = ["name"]

    def get_queryset(self):
        queryset = Person.objects.order_by("name", "id")
        if self.action == "retrieve":
            credits = Credit.objects.select_related("film").order_by("film__year", "film__title", "order", "id")
            queryset = queryset.prefetch_related(Prefetch("credits", queryset=credits), _nominations(related="films"))
        return queryset
