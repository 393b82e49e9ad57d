from django import forms
from django.db.models import Count, Q
from django.shortcuts import render
from django.views.generic import TemplateView

from films.models import Category, Ceremony, Contender, Film, Person
from forums.models import Thread

SEARCH_LIMIT = 30
FEATURED_CEREMONY = 93  # The demo season: the "Sound of Metal" year.


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        ceremonies = Ceremony.objects.select_related("show").order_by("-number")
        featured = ceremonies.filter(number=FEATURED_CEREMONY).first() or ceremonies.first()
        latest = ceremonies.first()
        best_picture = (
            Contender.objects.filter(category__canonical_slug="best-picture", is_winner=True)
            .select_related("category__ceremony__show")
            .prefetch_related("films")
            .order_by("-category__ceremony__number")[:6]
        )
        featured_categories = []
        open_round = featured.rounds.open().first() if featured else None
        if featured:
            featured_categories = list(featured.categories.competitive().with_contenders().order_by("order")[:6])
        stats = {
            "ceremonies": Ceremony.objects.count(),
            "films": Film.objects.count(),
            "people": Person.objects.count(),
            "nominations": Contender.objects.filter(category__award_class__in=Category.COMPETITIVE_CLASSES).count(),
        }
        return super().get_context_data(
            featured=featured,
            open_round=open_round,
            latest=latest,
            best_picture=best_picture,
            featured_categories=featured_categories,
            stats=stats,
            latest_threads=Thread.objects.visible()
            .select_related("board", "author", "last_post_author", "film", "category__ceremony")
            .with_read_state(self.request.user)
            .order_by("-last_post_at", "-id")[:5],
            **kwargs,
        )


class SearchForm(forms.Form):
    # CharField refuses NUL characters, which PostgreSQL cannot compare.
    q = forms.CharField(max_length=200, required=False, strip=True)


class SearchView(TemplateView):
    template_name = "search.html"

    def get_context_data(self, **kwargs):
        form = SearchForm(self.request.GET)
        q = " ".join(form.cleaned_data["q"].split())[:100] if form.is_valid() else ""
        films = people = []
        if len(q) >= 2:
            films = list(
                Film.objects.filter(title__icontains=q)
                .annotate(
                    nominations=Count("contenders", distinct=True),
                    wins=Count("contenders", filter=Q(contenders__is_winner=True), distinct=True),
                )
                .order_by("-nominations", "-year")[:SEARCH_LIMIT]
            )
            people = list(
                Person.objects.filter(name__icontains=q)
                .annotate(nominations=Count("contenders", distinct=True))
                .order_by("-nominations", "name")[:SEARCH_LIMIT]
            )
        return super().get_context_data(form=form, q=q, films=films, people=people, limit=SEARCH_LIMIT, **kwargs)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
