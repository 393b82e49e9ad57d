"""Results night: the editors' control room, the leaderboards (refreshed while the ceremony is live) and each
user's card. Views read and call `services.result_announce` / `services.result_undo`; every rule of an
announcement lives there, and the scoring rules in `scoring`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import TemplateView

from films.models import Category, Ceremony, Contender, Round, ordinal
from leaderboards import scoring
from leaderboards.boards import BoardRows, board_sizes, orders_for
from leaderboards.forms import AnnounceForm, UndoForm
from leaderboards.models import Announcement, LeaderboardState, Standing
from leaderboards.services import result_announce, result_undo
from predictions.models import Pick, Segment
from predictions.odds import fractional_odds
from predictions.views import CeremonyMixin, contender_label, with_credits

User = get_user_model()

PAGE_SIZE = 50
LIVE_POLL_SECONDS = 5
BOARD_SEGMENTS = [segment for segment in Segment if segment != Segment.COMBINED]
DEFAULT_SEGMENT = Segment.ALL.value


class LiveFragmentMixin:
    """A page whose `table` partial static/js/live.js polls with `?fragment=1` while a ceremony is live:
    the partial alone, never cached."""

    @property
    def is_fragment(self) -> bool:
        return self.request.GET.get("fragment") == "1"

    def get_template_names(self):
        return [f"{self.template_name}#table"] if self.is_fragment else [self.template_name]

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.is_fragment:
            add_never_cache_headers(response)
        return response


# --- where the results stand ---------------------------------------------------------------------------------------


@dataclass
class Results:
    """A ceremony's announcements (undone ones too, for the control room's history) and rounds."""

    rounds: dict[str, Round]
    total: int  # competitive categories
    now: datetime
    standing: dict[int, list[Announcement]] = field(default_factory=dict)  # category id -> winners in force
    undone: dict[int, list[Announcement]] = field(default_factory=dict)
    latest: str = ""  # the last thing that happened: "Best Picture announced"

    @property
    def winners_round(self) -> Round | None:
        return self.rounds.get(Round.Kind.WINNERS)

    @property
    def announced(self) -> int:
        return len(self.standing)

    @property
    def predictions_closed(self) -> bool:
        return self.winners_round is not None and self.winners_round.closes_at <= self.now

    @property
    def live(self) -> bool:
        """The envelopes are opening: predictions closed, categories left to announce."""
        return self.predictions_closed and self.announced < self.total


def load_results(ceremony: Ceremony, *, now=None, announcements=None) -> Results:
    """Three queries: rounds, the count of competitive categories, the announcements (`announcements` may
    narrow or extend the QuerySet, e.g. with credits)."""
    now = now or timezone.now()
    results = Results(
        rounds={r.kind: r for r in ceremony.rounds.all()},
        total=ceremony.categories.competitive().count(),
        now=now,
    )
    queryset = announcements if announcements is not None else Announcement.objects.select_related("category")
    rows = list(
        queryset.filter(category__ceremony=ceremony, category__award_class__in=Category.COMPETITIVE_CLASSES).order_by(
            "announced_at", "id"
        )
    )
    events = []
    for row in rows:
        target = results.undone if row.undone_at else results.standing
        target.setdefault(row.category_id, []).append(row)
        events.append((row.announced_at, row.id, f"{row.category.display_name} announced"))
        if row.undone_at:
            events.append((row.undone_at, row.id, f"{row.category.display_name} undone"))
    if events:
        results.latest = max(events)[2]
    return results


def points_text(points: float) -> str:
    """+400, −100, +66.7, 0."""
    value = round(points, 1)
    if value == 0:
        return "0"
    text = f"{abs(value):,.1f}".removesuffix(".0")
    return f"+{text}" if value > 0 else f"−{text}"


def accuracy_text(accuracy: float) -> str:
    return f"{accuracy * 100:.1f}".removesuffix(".0") + "%"


def names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


# --- control room ---------------------------------------------------------------------------------------------------


class ControlRoomView(CeremonyMixin, TemplateView):
    """Editors announce each category's winner (or tied winners) as the envelopes open, and undo a mistake.
    Posts redirect back here (post/redirect/get); a refused one shows the service's message and changes nothing."""

    template_name = "leaderboards/control_room.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_editor:
            ceremony = self.get_ceremony()
            return render(request, "leaderboards/forbidden.html", {"ceremony": ceremony}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def _load(self) -> None:
        self.ceremony = self.get_ceremony()
        nominees = with_credits(Contender.objects.nominees().order_by("order", "id"))
        self.categories = list(
            self.ceremony.categories.competitive()
            .order_by("order", "name")
            .prefetch_related(Prefetch("contenders", queryset=nominees))
        )
        self.results = load_results(
            self.ceremony,
            announcements=Announcement.objects.select_related("category", "announced_by", "undone_by"),
        )

    def _labels(self, category: Category) -> dict[int, str]:
        return {c.id: contender_label(c, category.award_class)[0] for c in category.contenders.all()}

    def _render(self, *, errors=(), error_category=None, selected=(), confirm_undo=None, status=200):
        results = self.results
        rows = []
        for category in self.categories:
            winners = results.standing.get(category.id, [])
            by_contender = {a.contender_id: a for a in winners}
            labels = self._labels(category)
            undone = results.undone.get(category.id, [])
            rows.append(
                {
                    "category": category,
                    "nominees": [
                        {
                            "contender": contender,
                            "label": label,
                            "sub": sub,
                            "announcement": by_contender.get(contender.id),
                            "checked": category == error_category and contender.id in selected,
                        }
                        for contender in category.contenders.all()
                        for label, sub in [contender_label(contender, category.award_class)]
                    ],
                    "winners": [(labels.get(a.contender_id, str(a.contender_id)), a) for a in winners],
                    "winner_names": names([labels.get(a.contender_id, "?") for a in winners]) if winners else "",
                    "history": [(labels.get(a.contender_id, str(a.contender_id)), a) for a in undone],
                    "confirm_undo": category == confirm_undo,
                    "has_error": category == error_category,
                }
            )
        winners_round = results.winners_round
        if winners_round is None:
            closed_reason = "This ceremony has no winners round: there are no predictions to score."
        elif not results.predictions_closed:
            closed_reason = "Predictions for the winners round are still open. Close predictions before announcing."
        else:
            closed_reason = ""
        context = self.get_context_data(
            ceremony=self.ceremony,
            rows=rows,
            results=results,
            winners_round=winners_round,
            closed_reason=closed_reason,
            errors=list(errors),
            error_category=error_category,
            leaderboard_url=reverse("leaderboards:leaderboard", kwargs=self.ceremony_kwargs()),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        self._load()
        return self._render()

    def _category(self, category_id: int | None) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def post(self, request, *args, **kwargs):
        self._load()
        action = request.POST.get("action")
        if action == "announce":
            return self._announce()
        if action == "undo":
            return self._undo()
        return self._render(errors=["Choose “Announce” or “Undo” for a category."], status=400)

    def _announce(self):
        category = self._category(_int(self.request.POST.get("category")))
        if category is None:
            return self._render(errors=["Choose a category of this ceremony."], status=400)
        form = AnnounceForm(self.request.POST)
        if not form.is_valid():
            errors = [f"{category.display_name}: {message}" for message in form.errors.get("contenders", [])]
            return self._render(errors=errors, error_category=category)
        ids = form.cleaned_data["contenders"]
        try:
            announced = result_announce(editor=self.request.user, category=category, contender_ids=ids)
        except ValidationError as error:
            return self._render(
                errors=[f"{category.display_name}: {message}" for message in error.messages],
                error_category=category,
                selected=ids,
            )
        labels = self._labels(category)
        chosen = [labels.get(a.contender_id, str(a.contender)) for a in announced]
        tie = " (tied)" if len(chosen) > 1 else ""
        messages.success(self.request, f"Announced {names(chosen)}{tie} for {category.display_name}.")
        return redirect(f"{self.request.path}#{category.slug}")

    def _undo(self):
        form = UndoForm(self.request.POST)
        category = self._category(form.cleaned_data["category"]) if form.is_valid() else None
        if category is None:
            return self._render(errors=["Choose a category of this ceremony."], status=400)
        if not form.cleaned_data["confirm"]:
            # First step: ask, showing what will be undone.
            return self._render(confirm_undo=category)
        winners = self._labels(category)
        was = [winners.get(a.contender_id, "?") for a in self.results.standing.get(category.id, [])]
        try:
            result_undo(editor=self.request.user, category=category)
        except ValidationError as error:
            return self._render(
                errors=[f"{category.display_name}: {message}" for message in error.messages], error_category=category
            )
        what = f" ({names(was)} is no longer the winner)" if len(was) == 1 else f" ({names(was)} are no longer winners)"
        messages.success(self.request, f"Undid the announcement of {category.display_name}{what if was else ''}.")
        return redirect(f"{self.request.path}#{category.slug}")


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdecimal() and len(value) < 19 else None


# --- leaderboard ----------------------------------------------------------------------------------------------------


def parse_round(value: str | None, rounds: dict[str, Round]) -> tuple[str, str]:
    default = Round.Kind.WINNERS.value if Round.Kind.WINNERS in rounds or not rounds else Round.Kind.NOMINATIONS.value
    value = (value or "").strip()
    if not value:
        return default, ""
    if value in Round.Kind.values:
        return value, ""
    return default, f"There is no round “{value[:40]}”. Showing the {Round.Kind(default).label.lower()} round."


def parse_segment(value: str | None) -> tuple[str, str]:
    value = (value or "").strip()
    if not value:
        return DEFAULT_SEGMENT, ""
    if value == Segment.COMBINED:
        return (
            DEFAULT_SEGMENT,
            "Combined has no leaderboard: it blends the segments’ odds, it is not a group of people.",
        )
    if value in Segment.values:
        return value, ""
    return DEFAULT_SEGMENT, f"There is no segment “{value[:40]}”. Showing {Segment(DEFAULT_SEGMENT).label}."


class LeaderboardView(LiveFragmentMixin, CeremonyMixin, TemplateView):
    """One round's leaderboard for one segment, 50 to a page, in a constant number of queries. While the
    ceremony is live, static/js/live.js polls `?fragment=1` (the `table` partial only) and swaps it in."""

    template_name = "leaderboards/leaderboard.html"

    def _url(self, *, round_kind: str, segment: str, page: int | None = None, anchor: str = "") -> str:
        query = {"round": round_kind, "segment": segment}
        if page and page > 1:
            query["page"] = page
        return f"{self.request.path}?{urlencode(query)}{anchor}"

    def get_context_data(self, **kwargs):
        ceremony = self.get_ceremony()
        results = load_results(ceremony)
        round_kind, round_error = parse_round(self.request.GET.get("round"), results.rounds)
        segment, segment_error = parse_segment(self.request.GET.get("segment"))
        round_ = results.rounds.get(round_kind)
        state = LeaderboardState.objects.filter(ceremony=ceremony).first()
        user = self.request.user

        page_obj, sizes, mine, my_page = None, {}, None, None
        if round_ is not None:
            orders = orders_for(round_)
            sizes = {name: order.size for name, order in orders.items()}
            page_obj = Paginator(BoardRows(orders.get(segment)), PAGE_SIZE).get_page(self.request.GET.get("page"))
            if user.is_authenticated:
                mine = Standing.objects.filter(round=round_, segment=segment, user=user).first()
            if mine is not None:
                my_page = (mine.position - 1) // PAGE_SIZE + 1

        winners_board = round_kind == Round.Kind.WINNERS
        live = winners_board and results.predictions_closed and (results.live or bool(state and state.is_stale))
        show_bounds = False
        rows = list(page_obj) if page_obj else []
        for standing in rows:
            standing.is_me = user.is_authenticated and standing.user_id == user.id
            standing.card_url = reverse(
                "leaderboards:card", kwargs={**self.ceremony_kwargs(), "user_id": standing.user_id}
            )
            standing.accuracy_text = accuracy_text(standing.accuracy)
            standing.points_text = points_text(standing.points)
            if standing.best_rank is not None and standing.worst_rank is not None:
                show_bounds = True
                standing.bounds_text = (
                    str(standing.best_rank)
                    if standing.best_rank == standing.worst_rank
                    else f"{standing.best_rank}–{standing.worst_rank}"
                )
            else:
                standing.bounds_text = "–"
        show_bounds = show_bounds and results.live

        total = page_obj.paginator.count if page_obj else 0
        updated = timezone.localtime(state.computed_at) if state and state.computed_at else None
        summary = ""
        if updated:
            summary = f"Updated {updated:%H:%M:%S}"
            if results.latest:
                summary += f" — {results.latest}"
        if state and state.is_stale:
            summary = f"{results.latest or 'Results changed'}: updating the standings…"

        return super().get_context_data(
            ceremony=ceremony,
            results=results,
            round=round_,
            round_kind=round_kind,
            round_label=Round.Kind(round_kind).label,
            round_error=round_error,
            segment=segment,
            segment_label=Segment(segment).label,
            segment_error=segment_error,
            rounds=[
                {
                    "label": f"{kind.label} round",
                    "url": self._url(round_kind=kind.value, segment=segment),
                    "current": kind.value == round_kind,
                    "exists": kind.value in results.rounds,
                }
                for kind in (Round.Kind.WINNERS, Round.Kind.NOMINATIONS)
            ],
            segments=[
                {
                    "label": s.label,
                    "count": sizes.get(s.value, 0),
                    "url": self._url(round_kind=round_kind, segment=s.value),
                    "current": s.value == segment,
                }
                for s in BOARD_SEGMENTS
            ],
            page_obj=page_obj,
            rows=rows,
            total=total,
            any_standings=bool(sizes),
            mine=mine,
            my_rank=ordinal(mine.rank) if mine else "",
            my_page_url=self._url(round_kind=round_kind, segment=segment, page=my_page, anchor="#you") if mine else "",
            my_row_here=bool(mine and page_obj and page_obj.number == my_page),
            page_query=urlencode({"round": round_kind, "segment": segment}),
            live=live,
            show_bounds=show_bounds,
            poll_seconds=LIVE_POLL_SECONDS,
            version=f"{results.announced}.{state.version}.{state.computed_version}" if state else "0",
            summary=summary,
            updated=updated,
            stale=bool(state and state.is_stale),
            stake=scoring.POINTS_STAKE,
            examples=[
                (price, points_text(scoring.POINTS_STAKE * num / den))
                for price, (num, den) in (("4/1", (4, 1)), ("EVEN", (1, 1)), ("4/6", (4, 6)))
            ],
            control_room_url=(
                reverse("leaderboards:control_room", kwargs=self.ceremony_kwargs())
                if user.is_authenticated and user.is_editor
                else ""
            ),
        )


# --- a user's card --------------------------------------------------------------------------------------------------


@dataclass
class CardRow:
    category: Category
    pick: str = ""  # their first pick, as named
    pick_sub: str = ""
    winners: str = ""  # the announced winner(s), as named
    result: str = "none"  # right | wrong | missed (decided, no pick) | pending | none
    odds: str = ""
    points: float | None = None
    to_win: float | None = None  # pending: what a right pick would earn

    @property
    def points_text(self) -> str:
        return points_text(self.points) if self.points is not None else ""

    @property
    def to_win_text(self) -> str:
        return points_text(self.to_win) if self.to_win is not None else ""

    @property
    def result_label(self) -> str:
        return {"right": "Right", "wrong": "Wrong", "missed": "No pick", "pending": "Pending", "none": "—"}[self.result]


class CardView(CeremonyMixin, TemplateView):
    """One user's standings in a ceremony and every first pick of theirs in its winners round, right or wrong,
    with the odds it was locked at and the points it won or lost. Public, once predictions have closed (experts'
    and editors' picks are public all along; anyone sees their own)."""

    template_name = "leaderboards/card.html"

    def get_context_data(self, **kwargs):
        ceremony = self.get_ceremony()
        member = get_object_or_404(User, pk=self.kwargs["user_id"])
        results = load_results(
            ceremony,
            announcements=with_credits(
                Announcement.objects.standing().select_related("category", "contender"), "contender__"
            ),
        )
        winners_round = results.winners_round
        standings = list(
            Standing.objects.filter(user=member, round__ceremony=ceremony)
            .select_related("round")
            .order_by("round__opens_at", "segment")
        )
        if standings:
            sizes = board_sizes(standings)
            order = {s.value: i for i, s in enumerate(BOARD_SEGMENTS)}
            standings.sort(key=lambda s: (s.round.kind != Round.Kind.WINNERS, order.get(s.segment, 99)))
            for s in standings:
                s.size = sizes.get((s.round_id, s.segment), 0)
                s.rank_text = ordinal(s.rank)
                s.segment_label = Segment(s.segment).label
                s.accuracy_text = accuracy_text(s.accuracy)
                s.points_text = points_text(s.points)
                s.board_url = (
                    reverse("leaderboards:leaderboard", kwargs=self.ceremony_kwargs())
                    + "?"
                    + urlencode({"round": s.round.kind, "segment": s.segment})
                )
                s.live_bounds = (
                    f"{s.best_rank}–{s.worst_rank}" if s.best_rank is not None and s.worst_rank is not None else ""
                )

        viewer = self.request.user
        is_self = viewer.is_authenticated and viewer.pk == member.pk
        picks_public = results.predictions_closed or member.predicts_publicly or is_self
        rows: list[CardRow] = []
        if winners_round is not None and picks_public:
            picks = Pick.objects.filter(user=member, round=winners_round, rank=1).select_related("contender")
            by_category = {p.category_id: p for p in with_credits(picks, "contender__")}
            for category in ceremony.categories.competitive().order_by("order", "name"):
                rows.append(self._row(category, by_category.get(category.id), results.standing.get(category.id, [])))

        decided = [r for r in rows if r.result in ("right", "wrong", "missed")]
        return super().get_context_data(
            ceremony=ceremony,
            member=member,
            is_self=is_self,
            results=results,
            winners_round=winners_round,
            picks_public=picks_public,
            standings=standings,
            rows=rows,
            has_picks=any(r.pick for r in rows),
            right=sum(1 for r in rows if r.result == "right"),
            decided=len(decided),
            points_total=points_text(sum(r.points or 0 for r in decided)),
            stake=scoring.POINTS_STAKE,
            leaderboard_url=reverse("leaderboards:leaderboard", kwargs=self.ceremony_kwargs()),
            **kwargs,
        )

    @staticmethod
    def _row(category: Category, pick: Pick | None, winners: list[Announcement]) -> CardRow:
        row = CardRow(category=category)
        if winners:
            row.winners = names([contender_label(a.contender, category.award_class)[0] for a in winners])
        if pick is not None:
            row.pick, row.pick_sub = contender_label(pick.contender, category.award_class)
            row.odds = fractional_odds(pick.locked_probability)
        if winners and pick is not None:
            correct = pick.contender_id in {a.contender_id for a in winners}
            row.result = "right" if correct else "wrong"
            row.points = scoring.pick_points(pick.locked_probability, correct=correct)
        elif winners:
            row.result, row.points = "missed", 0.0
        elif pick is not None:
            row.result = "pending"
            row.to_win = scoring.pick_points(pick.locked_probability, correct=True)
        return row
