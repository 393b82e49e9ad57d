import hashlib
from itertools import groupby

from django.db.models import Count, Max, Min, Prefetch, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView, ListView

from films.models import AwardShow, Category, Ceremony, Contender, Film, Person, Round, ordinal

BEST_PICTURE = "best-picture"
# The odds the catalogue shows: the Combined segment (predictions.models.Segment.COMBINED).
COMBINED = "combined"
PEOPLE_CLASSES = (Category.AwardClass.ACTING, Category.AwardClass.DIRECTING)


def _odds_model():
    """predictions.Odds, reached through the related name: films never imports predictions (it sits above)."""
    return Category._meta.get_field("odds").related_model


def _odds_round(rounds, now):
    """The round whose odds to show: the open one, else the one that opened last (its final odds)."""
    opened = [r for r in rounds if r.opens_at <= now]
    pool = [r for r in opened if r.is_open(now)] or opened
    return max(pool, key=lambda r: r.opens_at) if pool else None


def _winners_pending(rounds, now) -> bool:
    """No spoilers: while a winners round has not closed, the ceremony's winners are not shown."""
    return any(r.kind == Round.Kind.WINNERS and r.closes_at > now for r in rounds)


def _short_name(contender) -> str:
    """A contender in a few words: its people for acting and directing, else its film (uses prefetched rows)."""
    if contender.category.award_class in PEOPLE_CLASSES:
        names = [person.name for person in contender.people.all()]
    else:
        names = [film.title for film in contender.films.all()]
    return ", ".join(names) or contender.name


def _hide_winners(contenders) -> None:
    # Display only: these instances are rendered, never saved.
    for contender in contenders:
        contender.is_winner = False


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


LIVE_POLL_SECONDS = 5


def _results_live(rounds, announced: int, total: int, now) -> bool:
    """The envelopes are opening: the winners round has closed and categories are left to announce."""
    return any(r.kind == Round.Kind.WINNERS and r.closes_at <= now for r in rounds) and total > 0 and announced < total


class CeremonyDetailView(DetailView):
    """A ceremony's categories, nominees and winners. While its results are being announced,
    static/js/live.js polls `?fragment=1` (the `categories` partial only) and swaps it in."""

    template_name = "films/ceremony_detail.html"
    context_object_name = "ceremony"

    @property
    def is_fragment(self) -> bool:
        return self.request.GET.get("fragment") == "1"

    def get_template_names(self):
        return [f"{self.template_name}#categories"] if self.is_fragment else [self.template_name]

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.is_fragment:
            add_never_cache_headers(response)
        return response

    def get_object(self, queryset=None):
        return get_object_or_404(
            Ceremony.objects.select_related("show").prefetch_related("rounds"),
            show__slug=self.kwargs["show"],
            number=self.kwargs["number"],
        )

    def get_context_data(self, **kwargs):
        ceremony = self.object
        now = timezone.now()
        rounds = list(ceremony.rounds.all())
        odds_round = _odds_round(rounds, now)
        winners_pending = _winners_pending(rounds, now)
        categories = ceremony.categories.with_contenders().order_by("order", "name")
        if odds_round is not None:
            favourites = _odds_model().objects.filter(round=odds_round, segment=COMBINED, rank=1)
            categories = categories.prefetch_related(Prefetch("odds", queryset=favourites, to_attr="favourite_odds"))
        categories = list(categories)
        for category in categories:
            contenders = category.contenders.all()
            if winners_pending:
                _hide_winners(contenders)
            by_id = {c.id: c for c in contenders}
            category.projected = [
                (_short_name(by_id[odds.contender_id]), odds)
                for odds in getattr(category, "favourite_odds", [])
                if odds.contender_id in by_id
            ]
        neighbours = Ceremony.objects.filter(
            show=ceremony.show, number__in=[ceremony.number - 1, ceremony.number + 1]
        ).select_related("show")
        by_number = {c.number: c for c in neighbours}
        competitive = [c for c in categories if c.is_competitive]
        winners = sorted(c.id for category in competitive for c in category.contenders.all() if c.is_winner)
        announced = sum(any(c.is_winner for c in category.contenders.all()) for category in competitive)
        return super().get_context_data(
            live=_results_live(rounds, announced, len(competitive), now),
            live_version=hashlib.sha1(",".join(map(str, winners)).encode()).hexdigest()[:12],
            live_summary=f"{announced} of {len(competitive)} categories announced",
            poll_seconds=LIVE_POLL_SECONDS,
            competitive=competitive,
            honorary=[c for c in categories if not c.is_competitive],
            nomination_count=sum(len(c.contenders.all()) for c in competitive),
            previous=by_number.get(ceremony.number - 1),
            next=by_number.get(ceremony.number + 1),
            odds_round=odds_round,
            odds_open=odds_round is not None and odds_round.is_open(now),
            winners_pending=winners_pending,
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
        now = timezone.now()
        contenders = list(_contenders_for(films=film).prefetch_related("category__ceremony__rounds"))
        ceremonies = {c.category.ceremony_id: c.category.ceremony for c in contenders}
        pending = {pk for pk, ceremony in ceremonies.items() if _winners_pending(ceremony.rounds.all(), now)}
        _hide_winners(c for c in contenders if c.category.ceremony_id in pending)
        credits = list(film.credits.select_related("person").order_by("role", "order", "id"))
        crew = [
            (role, list(items))
            for role, items in groupby((c for c in credits if c.role != "cast"), key=lambda c: c.get_role_display())
        ]
        return super().get_context_data(
            nominations=_nominations(contenders),
            nomination_count=len(contenders),
            win_count=sum(c.is_winner for c in contenders),
            decided_count=sum(c.category.ceremony_id not in pending for c in contenders),
            winners_pending=[ceremonies[pk] for pk in sorted(pending, key=lambda pk: -ceremonies[pk].number)],
            film_odds=self._film_odds(contenders, ceremonies, now),
            cast=[c for c in credits if c.role == "cast"],
            crew=crew,
            # forums.Thread through its related name (forums sits above films): one query, 6 to know if there are more.
            topic_threads=film.threads.visible().select_related("last_post_author").order_by("-last_post_at")[:6],
            topic_label=film.title,
            new_thread_url=f"{reverse('forums:thread_create')}?film={film.slug}",
            all_threads_url=f"{reverse('forums:search')}?film={film.slug}",
            **kwargs,
        )

    def _film_odds(self, contenders, ceremonies, now):
        """The film's Combined odds in each of its categories, per ceremony with an open (or last) round:
        [{"ceremony", "round", "open", "lines": [{"category", "contender", "odds", "rank", "who"}]}]. One query."""
        rounds = {pk: _odds_round(ceremony.rounds.all(), now) for pk, ceremony in ceremonies.items()}
        rounds = {pk: round_ for pk, round_ in rounds.items() if round_ is not None}
        if not rounds:
            return []
        odds = _odds_model().objects.filter(segment=COMBINED, round__in=list(rounds.values()))
        prefetch_related_objects(contenders, Prefetch("odds", queryset=odds, to_attr="combined_odds"))
        groups = {}
        for contender in sorted(contenders, key=lambda c: (-c.category.ceremony.number, c.category.order)):
            round_ = rounds.get(contender.category.ceremony_id)
            current = [o for o in contender.combined_odds if round_ is not None and o.round_id == round_.id]
            if not current:
                continue
            group = groups.setdefault(
                round_.id,
                {"ceremony": contender.category.ceremony, "round": round_, "open": round_.is_open(now), "lines": []},
            )
            group["lines"].append(
                {
                    "category": contender.category,
                    "contender": contender,
                    "odds": current[0],
                    "rank": ordinal(current[0].rank),
                    # which of the film's people, where the category honours people
                    "who": _short_name(contender) if contender.category.award_class in PEOPLE_CLASSES else "",
                }
            )
        return list(groups.values())


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
