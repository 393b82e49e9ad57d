from itertools import groupby

from django.db.models import Count, Max, Min, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from films.models import AwardShow, Category, Ceremony, Contender, Film, Person

BEST_PICTURE = "best-picture"


def _nominations(contenders):
    """Group a person's or a film's contenders by ceremony, newest first: [(ceremony, [contender, ...])]."""
    ordered = sorted(contenders, key=lambda c: (-c.category.ceremony.number, c.category.order))
    return [(ceremony, list(items)) for ceremony, items in groupby(ordered, key=lambda c: c.category.ceremony)]


def _contenders_for(**filters):
    return (
        Contender.objects.filter(**filters)
        .select_related("category__ceremony__show")
        .prefetch_related("films", "people")
        .distinct()
    )


class ShowDetailView(DetailView):
    model = AwardShow
    template_name = "films/show_detail.html"
    context_object_name = "show"

    def get_context_data(self, **kwargs):
        show = self.object
        ceremonies = list(show.ceremonies.with_counts().select_related("show").order_by("-number"))
        winners = _contenders_for(
            category__ceremony__show=show, category__canonical_slug=BEST_PICTURE, is_winner=True
        ).order_by("category__ceremony__number", "order")
        best_picture = {}
        for contender in winners:
            best_picture.setdefault(contender.category.ceremony_id, []).append(contender)
        for ceremony in ceremonies:
            ceremony.best_picture = best_picture.get(ceremony.id, [])
        categories = (
            Category.objects.filter(ceremony__show=show)
            .competitive()
            .values("canonical_slug", "canonical_name")
            .annotate(
                times=Count("id"), first=Min("ceremony__held_in"), last=Max("ceremony__held_in"), rank=Min("order")
            )
            .order_by("-last", "rank", "canonical_name")
        )
        return super().get_context_data(ceremonies=ceremonies, categories=categories, **kwargs)


class CeremonyDetailView(DetailView):
    template_name = "films/ceremony_detail.html"
    context_object_name = "ceremony"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Ceremony.objects.select_related("show"), show__slug=self.kwargs["show"], number=self.kwargs["number"]
        )

    def get_context_data(self, **kwargs):
        ceremony = self.object
        categories = list(ceremony.categories.with_contenders().order_by("order", "name"))
        neighbours = Ceremony.objects.filter(show=ceremony.show, number__in=[ceremony.number - 1, ceremony.number + 1])
        by_number = {c.number: c for c in neighbours}
        competitive = [c for c in categories if c.is_competitive]
        return super().get_context_data(
            competitive=competitive,
            honorary=[c for c in categories if not c.is_competitive],
            nomination_count=sum(len(c.contenders.all()) for c in competitive),
            previous=by_number.get(ceremony.number - 1),
            next=by_number.get(ceremony.number + 1),
            **kwargs,
        )


class CategoryHistoryView(ListView):
    """Every year of one category (grouped by canonical name across renamings), newest first."""

    template_name = "films/category_history.html"
    context_object_name = "categories"
    paginate_by = 25

    def get_queryset(self):
        self.show = get_object_or_404(AwardShow, slug=self.kwargs["show"])
        categories = (
            Category.objects.filter(ceremony__show=self.show, canonical_slug=self.kwargs["slug"])
            .select_related("ceremony__show")
            .with_contenders()
            .order_by("-ceremony__number", "order")
        )
        if not categories.exists():
            raise Http404("No such category.")
        return categories

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        first = context["categories"][0]
        names = (
            Category.objects.filter(ceremony__show=self.show, canonical_slug=self.kwargs["slug"])
            .values("name")
            .annotate(first=Min("ceremony__held_in"), last=Max("ceremony__held_in"))
            .order_by("first")
        )
        context.update(show=self.show, title=first.canonical_display_name, names=names)
        return context


class FilmListView(ListView):
    template_name = "films/film_list.html"
    context_object_name = "films"
    paginate_by = 48

    def get_queryset(self):
        films = Film.objects.annotate(
            nominations=Count("contenders", distinct=True),
            wins=Count("contenders", filter=Q(contenders__is_winner=True), distinct=True),
        )
        year = self.request.GET.get("year", "")
        self.year = int(year) if year.isdigit() and len(year) == 4 else None
        if self.year:
            films = films.filter(year=self.year)
        return films.order_by("-year", "-nominations", "title")

    def get_context_data(self, **kwargs):
        years = Film.objects.values_list("year", flat=True).distinct().order_by("-year")
        query_prefix = f"year={self.year}" if self.year else ""
        return super().get_context_data(year=self.year, years=years, query_prefix=query_prefix, **kwargs)


class FilmDetailView(DetailView):
    model = Film
    template_name = "films/film_detail.html"
    context_object_name = "film"

    def get_context_data(self, **kwargs):
        film = self.object
        contenders = list(_contenders_for(films=film))
        credits = list(film.credits.select_related("person").order_by("role", "order", "id"))
        crew = [
            (role, list(items))
            for role, items in groupby((c for c in credits if c.role != "cast"), key=lambda c: c.get_role_display())
        ]
        return super().get_context_data(
            nominations=_nominations(contenders),
            nomination_count=len(contenders),
            win_count=sum(c.is_winner for c in contenders),
            cast=[c for c in credits if c.role == "cast"],
            crew=crew,
            **kwargs,
        )


class PersonDetailView(DetailView):
    model = Person
    template_name = "films/person_detail.html"
    context_object_name = "person"

    def get_context_data(self, **kwargs):
        person = self.object
        contenders = list(_contenders_for(people=person))
        credits = list(person.credits.select_related("film").order_by("-film__year", "film__title", "role"))
        return super().get_context_data(
            nominations=_nominations(contenders),
            nomination_count=len(contenders),
            win_count=sum(c.is_winner for c in contenders),
            credits=credits,
            **kwargs,
        )
