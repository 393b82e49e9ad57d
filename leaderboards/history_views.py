"""A show's history of predicting: the all-time leaderboard across its ceremonies and the "prediction champs"
(the winners of every past leaderboard). Both pages read stored standings only, in a constant number of queries."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, DecimalField, Exists, F, FloatField, OuterRef, Sum, Window
from django.db.models.functions import Cast, Coalesce, NullIf, Rank, Round
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import ListView, TemplateView

from films.models import AwardShow, Category, Ceremony
from films.models import Round as CeremonyRound
from leaderboards.boards import board_leaders
from leaderboards.models import Announcement, LeaderboardOrder, LeaderboardState, Standing
from leaderboards.views import accuracy_text, points_text
from predictions.models import Segment

PAGE_SIZE = 50
# The leaderboards whose winners the champions page lists, in this order (Top 24 is a team, not a race).
CHAMPION_ROUNDS = (CeremonyRound.Kind.WINNERS, CeremonyRound.Kind.NOMINATIONS)
CHAMPION_SEGMENTS = (Segment.ALL, Segment.EXPERTS, Segment.EDITORS)


class ShowMixin:
    def get_show(self) -> AwardShow:
        if not hasattr(self, "_show"):
            self._show = get_object_or_404(AwardShow, slug=self.kwargs["show"])
        return self._show


def all_time_board(show: AwardShow):
    """One row per user who is on the All users leaderboard of any winners round of the show: ceremonies played,
    total correct / total decided, overall accuracy (their sum over the sums, so that a ceremony with more
    categories weighs more), total points, and a competition rank by accuracy then points (to 0.1, as shown).
    One GROUP BY over Standing; ordered by rank, then name."""
    accuracy = Coalesce(Cast(Sum("correct"), FloatField()) / NullIf(Sum("decided"), 0), 0.0)
    # Rounded in SQL so that sums of the same points added in another order tie, as they look on the page.
    points = Round(Cast(Sum("points"), DecimalField(max_digits=18, decimal_places=2)), 1)
    return (
        Standing.objects.filter(round__ceremony__show=show, round__kind=CeremonyRound.Kind.WINNERS, segment=Segment.ALL)
        .order_by()
        .values("user_id", "user__display_name")
        .annotate(
            ceremonies=Count("id"),  # one winners round per ceremony, one row per user per board
            total_correct=Sum("correct"),
            total_decided=Sum("decided"),
            overall_accuracy=accuracy,
            total_points=points,
        )
        .annotate(place=Window(Rank(), order_by=[F("overall_accuracy").desc(), F("total_points").desc()]))
        .order_by("place", "user__display_name", "user_id")
    )


class AllTimeView(ShowMixin, ListView):
    template_name = "leaderboards/all_time.html"
    paginate_by = PAGE_SIZE
    context_object_name = "rows"

    def get_queryset(self):
        return all_time_board(self.get_show())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for row in context["rows"]:
            row["is_me"] = user.is_authenticated and row["user_id"] == user.id
            row["accuracy_text"] = accuracy_text(row["overall_accuracy"])
            row["points_text"] = points_text(float(row["total_points"] or 0))
            row["profile_url"] = reverse("accounts:profile", kwargs={"pk": row["user_id"]})
        context.update(
            show=self.get_show(),
            total=context["paginator"].count,
            champions_url=reverse("history:champions", kwargs={"show": self.kwargs["show"]}),
        )
        return context


@dataclass
class Board:
    round_kind: str
    segment: str
    url: str
    players: int = 0
    champions: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{CeremonyRound.Kind(self.round_kind).label} round · {Segment(self.segment).label}"


def final_ceremonies(show: AwardShow):
    """The show's ceremonies whose results are final (every competitive category has a winner announced, and the
    standings have caught up with the last announcement) and that have standings, newest first. One query."""
    competitive = Category.objects.filter(ceremony_id=OuterRef("pk"), award_class__in=Category.COMPETITIVE_CLASSES)
    announced = Exists(Announcement.objects.standing().filter(category_id=OuterRef("pk")))
    stale = LeaderboardState.objects.filter(ceremony_id=OuterRef("pk"), computed_version__lt=F("version"))
    return (
        Ceremony.objects.filter(show=show)
        .filter(Exists(competitive), ~Exists(competitive.filter(~announced)), ~Exists(stale))
        .filter(Exists(Standing.objects.filter(round__ceremony_id=OuterRef("pk"))))
        .select_related("show")
        .order_by("-number")
    )


class ChampionsView(ShowMixin, TemplateView):
    """For every past ceremony with final standings, who came first (ties: all of them) on each leaderboard."""

    template_name = "leaderboards/champions.html"

    def get_context_data(self, **kwargs):
        show = self.get_show()
        ceremonies = list(final_ceremonies(show))
        ids = [c.id for c in ceremonies]
        boards: dict[tuple[int, str, str], Board] = {}
        for ceremony in ceremonies:
            for kind in CHAMPION_ROUNDS:
                for segment in CHAMPION_SEGMENTS:
                    url = reverse("leaderboards:leaderboard", kwargs={"show": show.slug, "number": ceremony.number})
                    url += "?" + urlencode({"round": kind.value, "segment": segment.value})
                    boards[(ceremony.id, kind.value, segment.value)] = Board(kind.value, segment.value, url)
        orders = list(
            LeaderboardOrder.objects.filter(round__ceremony_id__in=ids, segment__in=CHAMPION_SEGMENTS).values_list(
                "round__ceremony_id", "round__kind", "round_id", "segment", "size", "leaders"
            )
        )
        for ceremony_id, kind, _round_id, segment, size, _leaders in orders:
            boards[(ceremony_id, kind, segment)].players = size
        firsts = board_leaders([(round_id, segment, leaders) for _c, _k, round_id, segment, _s, leaders in orders])
        for standing in firsts:
            standing.accuracy_text = accuracy_text(standing.accuracy)
            standing.points_text = points_text(standing.points)
            boards[(standing.round.ceremony_id, standing.round.kind, standing.segment)].champions.append(standing)
        by_number = {c.id: c.number for c in ceremonies}
        for (ceremony_id, _kind, _segment), board in boards.items():
            for standing in board.champions:
                standing.card_url = reverse(
                    "leaderboards:card",
                    kwargs={"show": show.slug, "number": by_number[ceremony_id], "user_id": standing.user_id},
                )
        past = [
            {
                "ceremony": ceremony,
                "boards": [
                    board
                    for (ceremony_id, _kind, _segment), board in boards.items()
                    if ceremony_id == ceremony.id and board.champions
                ],
            }
            for ceremony in ceremonies
        ]
        return super().get_context_data(
            show=show,
            past=past,
            all_time_url=reverse("history:all_time", kwargs={"show": show.slug}),
        )
