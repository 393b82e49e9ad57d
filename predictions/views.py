"""Ballot pages: the signed-in user's ranking of each category, the ceremony overview, and the public
experts' picks. Views read and call `services.ballot_save`; every rule of a save lives there.

No ballot URL names a user: the ballot pages only ever read and write `request.user`'s ballot.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.generic import TemplateView

from films.models import Category, Ceremony, Film, Person, Round
from predictions.forms import CategoryBallotForm
from predictions.models import RATIONALE_MAX, Ballot, Pick
from predictions.services import ballot_save, eligible_contenders

User = get_user_model()
PUBLIC_ROLES = ("expert", "editor")

# Column headings of the experts' grid; the full name is the heading's title. Others use the full name.
SHORT_NAMES = {
    "best-picture": "Picture",
    "directing": "Director",
    "actor-in-a-leading-role": "Actor",
    "actress-in-a-leading-role": "Actress",
    "actor-in-a-supporting-role": "Supp. Actor",
    "actress-in-a-supporting-role": "Supp. Actress",
    "writing-original-screenplay": "Original Screenplay",
    "writing-adapted-screenplay": "Adapted Screenplay",
    "international-feature-film": "International",
    "animated-feature-film": "Animated",
    "documentary-feature": "Documentary",
    "cinematography": "Cinematography",
    "film-editing": "Editing",
    "documentary-short-subject": "Doc. Short",
    "short-film-animated": "Animated Short",
    "short-film-live-action": "Live-Action Short",
    "costume-design": "Costumes",
    "makeup-and-hairstyling": "Makeup",
    "production-design": "Production Design",
    "sound": "Sound",
    "visual-effects": "Visual Effects",
    "music-original-score": "Score",
    "music-original-song": "Song",
}


@dataclass(frozen=True)
class RoundState:
    """Which round a ceremony's pages are about: the open one, else the last one that opened (read-only)."""

    round: Round | None
    is_open: bool
    upcoming: Round | None  # the next round to open, if any


def round_state(ceremony: Ceremony, now=None) -> RoundState:
    """One query. Agrees with services.round_open_for: the latest-opening open round wins."""
    now = now or timezone.now()
    rounds = list(ceremony.rounds.order_by("opens_at", "id"))
    open_rounds = [r for r in rounds if r.is_open(now)]
    upcoming = next((r for r in rounds if r.opens_at > now), None)
    if open_rounds:
        return RoundState(open_rounds[-1], True, upcoming)
    started = [r for r in rounds if r.opens_at <= now]
    return RoundState(started[-1] if started else None, False, upcoming)


def with_credits(queryset, prefix: str = ""):
    """Contenders (or rows with a `contender`, given prefix "contender__") with their films and people."""
    return queryset.prefetch_related(
        Prefetch(f"{prefix}films", queryset=Film.objects.order_by("contenderfilm__order")),
        Prefetch(f"{prefix}people", queryset=Person.objects.order_by("contenderperson__order")),
    )


def contender_label(contender, award_class: str) -> tuple[str, str]:
    """What a pick is called (the film, the performer, the song) and a line that places it.
    Uses prefetched films and people."""
    films = ", ".join(film.title for film in contender.films.all())
    people = ", ".join(person.name for person in contender.people.all())
    if award_class in (Category.AwardClass.ACTING, Category.AwardClass.DIRECTING):
        label, sub = people or contender.name, films
        if contender.detail:
            role = f"as {contender.detail}" if award_class == Category.AwardClass.ACTING else contender.detail
            sub = f"{sub} · {role}" if sub else role
    elif award_class == Category.AwardClass.MUSIC and contender.detail:
        label, sub = contender.detail, films
    else:
        label = films or contender.name
        sub = contender.name if contender.name != label else ""
    return label, sub


def odds_url(name: str, **kwargs) -> str | None:
    """The odds pages are their own URLconf; a page links to them only once they exist."""
    try:
        return reverse(f"odds:{name}", kwargs=kwargs)
    except NoReverseMatch:
        return None


class CeremonyMixin:
    def get_ceremony(self) -> Ceremony:
        return get_object_or_404(
            Ceremony.objects.select_related("show"), show__slug=self.kwargs["show"], number=self.kwargs["number"]
        )

    def ceremony_kwargs(self) -> dict:
        return {"show": self.kwargs["show"], "number": self.kwargs["number"]}


class BallotView(LoginRequiredMixin, CeremonyMixin, TemplateView):
    """Every competitive category of a ceremony with the user's pick: what is done and what is left.
    A constant number of queries, however many categories."""

    template_name = "predictions/ballot.html"

    def get_context_data(self, **kwargs):
        ceremony = self.get_ceremony()
        state = round_state(ceremony)
        categories = ceremony.categories.competitive().order_by("order", "name")
        ballots, top_picks = {}, {}
        if state.round:
            nominees_only = state.round.kind == Round.Kind.WINNERS
            categories = categories.annotate(
                eligible=Count("contenders", filter=Q(contenders__is_nominee=True) if nominees_only else Q())
            )
            mine = Ballot.objects.filter(user=self.request.user, round=state.round)
            ballots = {b.category_id: b for b in mine.annotate(ranked=Count("picks"))}
            picks = Pick.objects.filter(user=self.request.user, round=state.round, rank=1).select_related("contender")
            top_picks = {p.category_id: p for p in with_credits(picks, "contender__")}
        rows = []
        for category in categories:
            pick = top_picks.get(category.id)
            rows.append(
                {
                    "category": category,
                    "url": reverse(
                        "predictions:category_ballot", kwargs={**self.ceremony_kwargs(), "category": category.slug}
                    ),
                    "ballot": ballots.get(category.id),
                    "pick": contender_label(pick.contender, category.award_class)[0] if pick else None,
                }
            )
        done = sum(1 for row in rows if row["ballot"])
        return super().get_context_data(
            ceremony=ceremony,
            state=state,
            rows=rows,
            done=done,
            total=len(rows),
            left=[row for row in rows if not row["ballot"]],
            odds_url=odds_url("ceremony_odds", **self.ceremony_kwargs()),
            **kwargs,
        )


class CategoryBallotView(LoginRequiredMixin, CeremonyMixin, TemplateView):
    """Rank one category: GET shows the form (or, once the round is closed, the saved ranking),
    POST saves through services.ballot_save and redirects back here (post/redirect/get)."""

    template_name = "predictions/category_ballot.html"

    def _load(self) -> None:
        self.ceremony = self.get_ceremony()
        self.state = round_state(self.ceremony)
        self.category = get_object_or_404(self.ceremony.categories.competitive(), slug=self.kwargs["category"])
        self.category.ceremony = self.ceremony
        self.picks: list[Pick] = []
        self.contenders: list = []  # (contender, label, sub), in the page's default order
        round_ = self.state.round
        if round_ is None:
            return
        picks = Pick.objects.filter(user=self.request.user, round=round_, category=self.category).order_by("rank")
        if not self.state.is_open:
            self.picks = list(with_credits(picks.select_related("contender", "ballot"), "contender__"))
            return
        self.picks = list(picks.select_related("ballot"))
        contenders = list(with_credits(eligible_contenders(self.category, round_).order_by("order", "id")))
        saved = {pick.contender_id: pick.rank for pick in self.picks}
        # The saved ranking first, then the rest in the category's order.
        contenders.sort(key=lambda c: (0, saved[c.id]) if c.id in saved else (1, 0))
        award_class = self.category.award_class
        self.contenders = [(c, *contender_label(c, award_class)) for c in contenders]

    @property
    def with_rationales(self) -> bool:
        return self.request.user.predicts_publicly

    def _form(self, data=None, initial=None) -> CategoryBallotForm:
        return CategoryBallotForm(
            data,
            initial=initial,
            contenders=[(contender, label) for contender, label, _sub in self.contenders],
            with_rationales=self.with_rationales,
        )

    def _saved_initial(self) -> dict:
        initial = {}
        for pick in self.picks:
            initial[f"rank_{pick.contender_id}"] = str(pick.rank)
            initial[f"rationale_{pick.contender_id}"] = pick.rationale
        return initial

    def _posted_order(self) -> list | None:
        """The list order the page was posted in (hidden `order` fields, which the script keeps in
        step with the list), if it names exactly this page's contenders."""
        by_id = {entry[0].id: entry for entry in self.contenders}
        posted = self.request.POST.getlist("order")
        if not all(value.isdigit() for value in posted):
            return None
        ids = [int(value) for value in posted]
        if len(ids) != len(by_id) or set(ids) != set(by_id):
            return None
        return [by_id[i] for i in ids]

    def _items(self, form: CategoryBallotForm, order: list | None = None) -> list[dict]:
        entries = order or self.contenders
        total = len(entries)
        items = []
        for position, (contender, label, sub) in enumerate(entries, start=1):
            rationale = f"rationale_{contender.id}"
            items.append(
                {
                    "contender": contender,
                    "label": label,
                    "sub": sub,
                    "position": position,
                    "total": total,
                    "rank_field": form[f"rank_{contender.id}"],
                    "rationale_field": form[rationale] if rationale in form.fields else None,
                }
            )
        return items

    def _next_unranked(self) -> tuple[Category | None, int, int]:
        """The next category (after this one, wrapping) that the user has not ranked, and the progress."""
        categories = list(self.ceremony.categories.competitive().order_by("order", "name").only("id", "slug", "name"))
        ranked = set(
            Ballot.objects.filter(user=self.request.user, round=self.state.round).values_list("category_id", flat=True)
        )
        here = next(i for i, c in enumerate(categories) if c.id == self.category.id)
        following = categories[here + 1 :] + categories[:here]
        upcoming = next((c for c in following if c.id not in ranked), None)
        return upcoming, sum(1 for c in categories if c.id in ranked), len(categories)

    def _category_url(self, category: Category) -> str:
        return reverse("predictions:category_ballot", kwargs={**self.ceremony_kwargs(), "category": category.slug})

    def _render(self, *, form=None, order=None, errors=(), notice="", status=200):
        context = {
            "ceremony": self.ceremony,
            "category": self.category,
            "state": self.state,
            "errors": list(errors),
            "notice": notice,
            "ballot": self.picks[0].ballot if self.picks else None,
            "odds_url": odds_url("category_odds", **self.ceremony_kwargs(), category=self.category.slug),
            "overview_url": reverse("predictions:ballot", kwargs=self.ceremony_kwargs()),
            "rationale_max": RATIONALE_MAX,
        }
        if self.state.is_open:
            form = form or self._form(initial=self._saved_initial())
            upcoming, done, total = self._next_unranked()
            context.update(
                form=form,
                items=self._items(form, order),
                with_rationales=self.with_rationales,
                next_category=upcoming,
                next_url=upcoming and self._category_url(upcoming),
                done=done,
                total=total,
            )
        else:
            award_class = self.category.award_class
            context["saved"] = [(pick, *contender_label(pick.contender, award_class)) for pick in self.picks]
        return self.render_to_response(self.get_context_data(**context), status=status)

    def get(self, request, *args, **kwargs):
        self._load()
        return self._render()

    def post(self, request, *args, **kwargs):
        self._load()
        if not self.state.is_open:
            verb = "are closed" if self.state.round else "are not open yet"
            return self._render(errors=[f"Predictions for {self.category.display_name} {verb}."])
        move = request.POST.get("move_up") or request.POST.get("move_down")
        if move:
            return self._move(move, up="move_up" in request.POST)
        form = self._form(data=request.POST)
        if not form.is_valid():
            return self._render(form=form, order=self._posted_order(), errors=self._form_errors(form))
        try:
            ballot_save(user=request.user, category=self.category, ranking=form.ranking, rationales=form.rationales)
        except ValidationError as error:
            if error.code == "closed":  # the round closed while the page was open
                self._load()
                return self._render(errors=error.messages)
            return self._render(form=form, order=self._posted_order(), errors=error.messages)
        messages.success(request, f"Saved your ranking of {self.category.display_name}.")
        return redirect(request.path)

    def _move(self, contender_id: str, *, up: bool):
        """Without JavaScript: move one contender up or down and show the list unsaved, every
        contender ranked in list order (as the script does)."""
        order = self._posted_order() or list(self.contenders)
        ids = [contender.id for contender, _label, _sub in order]
        if contender_id.isdigit() and int(contender_id) in ids:
            i = ids.index(int(contender_id))
            j = i - 1 if up else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
        initial = {f"rank_{contender.id}": str(n) for n, (contender, _label, _sub) in enumerate(order, start=1)}
        for contender, _label, _sub in order:
            text = self.request.POST.get(f"rationale_{contender.id}", "")
            initial[f"rationale_{contender.id}"] = text[:RATIONALE_MAX]
        return self._render(
            form=self._form(initial=initial),
            order=order,
            notice="Order changed but not saved yet: press “Save ranking” to keep it.",
        )

    @staticmethod
    def _form_errors(form: CategoryBallotForm) -> list[str]:
        errors = list(form.non_field_errors())
        for name, field_errors in form.errors.items():
            if name != "__all__":
                errors += [f"{form.fields[name].label}: {message}" for message in field_errors]
        return errors


class ExpertsView(CeremonyMixin, TemplateView):
    """The public grid: a row per expert or editor with a ballot in the ceremony's current (or last)
    round, a column per competitive category, each cell their first pick. Constant queries."""

    template_name = "predictions/experts.html"

    def get_context_data(self, **kwargs):
        ceremony = self.get_ceremony()
        state = round_state(ceremony)
        categories = list(ceremony.categories.competitive().order_by("order", "name"))
        for category in categories:
            category.short_name = SHORT_NAMES.get(category.slug, category.display_name)
        rows = []
        if state.round:
            picks = (
                Pick.objects.filter(
                    round=state.round,
                    rank=1,
                    user__role__in=PUBLIC_ROLES,
                    user__is_active=True,
                    category__award_class__in=Category.COMPETITIVE_CLASSES,
                )
                .select_related("user", "contender")
                .order_by(Lower("user__display_name"), "user_id")
            )
            award_classes = {c.id: c.award_class for c in categories}
            by_user: dict = {}
            for pick in with_credits(picks, "contender__"):
                pick.label = contender_label(pick.contender, award_classes[pick.category_id])[0]
                by_user.setdefault(pick.user_id, (pick.user, {}))[1][pick.category_id] = pick
            rows = [(member, [cells.get(c.id) for c in categories]) for member, cells in by_user.values()]
        return super().get_context_data(
            ceremony=ceremony,
            state=state,
            categories=categories,
            rows=rows,
            odds_url=odds_url("ceremony_odds", **self.ceremony_kwargs()),
            **kwargs,
        )


class ExpertPicksView(CeremonyMixin, TemplateView):
    """One expert's or editor's picks for the ceremony's current (or last) round, with rationales."""

    template_name = "predictions/expert_picks.html"

    def get_context_data(self, **kwargs):
        ceremony = self.get_ceremony()
        member = get_object_or_404(User, pk=self.kwargs["user_id"], role__in=PUBLIC_ROLES, is_active=True)
        state = round_state(ceremony)
        categories = list(ceremony.categories.competitive().order_by("order", "name"))
        by_category: dict = {}
        if state.round:
            picks = Pick.objects.filter(user=member, round=state.round).select_related("contender").order_by("rank")
            award_classes = {c.id: c.award_class for c in categories}
            for pick in with_credits(picks, "contender__"):
                if pick.category_id in award_classes:
                    pick.label, pick.sub = contender_label(pick.contender, award_classes[pick.category_id])
                    by_category.setdefault(pick.category_id, []).append(pick)
        sections = [(category, by_category.get(category.id, [])) for category in categories]
        return super().get_context_data(
            ceremony=ceremony,
            member=member,
            state=state,
            sections=sections,
            has_picks=bool(by_category),
            **kwargs,
        )
