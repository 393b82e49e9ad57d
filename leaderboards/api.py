"""The leaderboards API, under /api/ (see leaderboards/api_urls.py): leaderboards, users' cards, announcing results.

Thin views in the style of predictions/api.py: they validate the input with their InputSerializer, call one
service or QuerySet, and render with their OutputSerializer; every 400 is {"detail": [message, ...]}. The rules
live elsewhere: announcing in `services.result_announce` / `services.result_undo`, scoring in `scoring`, and what a
card shows (and hides while the winners round is open) in leaderboards/views.py, whose helpers these views reuse.

Each view runs a fixed number of queries whatever the board or the card holds.
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    BAD_REQUEST,
    NOT_AUTHENTICATED,
    ErrorDetailSerializer,
    Pagination,
    not_found,
    request_data,
    validated,
)
from films.api import CeremonyRefSerializer
from films.models import Category, Ceremony, Round
from leaderboards import scoring
from leaderboards.boards import BoardRows, board_sizes
from leaderboards.models import Announcement, LeaderboardOrder, LeaderboardState, Standing
from leaderboards.services import result_announce, result_undo
from leaderboards.views import BOARD_SEGMENTS, DEFAULT_SEGMENT, CardView, load_results, parse_round
from predictions.api import AuthenticatedApi, RoundSerializer
from predictions.models import Pick
from predictions.views import with_credits

User = get_user_model()

SEGMENT_CHOICES = [(segment.value, segment.label) for segment in BOARD_SEGMENTS]
SEGMENT_VALUES = ", ".join(value for value, _ in SEGMENT_CHOICES)
MAX_ANNOUNCED = 10  # tied winners: two in practice

CEREMONY_ID = OpenApiParameter("ceremony_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A ceremony's id.")
CATEGORY_ID = OpenApiParameter("category_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A category's id.")
USER_ID = OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A user's id.")
NOT_EDITOR = OpenApiResponse(
    ErrorDetailSerializer,
    description="Not an editor (or session authentication without a valid CSRF token).",
)

# ---------------------------------------------------------------------------------------------
# Shared pieces


class IsEditor(permissions.BasePermission):
    message = "Only editors announce results."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_editor)


@extend_schema_serializer(component_name="LeaderboardUser")
class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


@extend_schema_serializer(component_name="LeaderboardStanding")
class StandingSerializer(serializers.ModelSerializer):
    """One user's place on one leaderboard. Needs `user` selected."""

    user = UserRefSerializer()
    accuracy = serializers.FloatField(help_text="correct / decided, 0 to 1; an unpredicted decided category is wrong.")
    points = serializers.FloatField(
        help_text=f"The tie-break: each pick stakes {scoring.POINTS_STAKE} at its locked odds; right earns "
        f"{scoring.POINTS_STAKE} x the fractional odds, wrong loses the stake."
    )
    best_rank = serializers.IntegerField(
        allow_null=True, help_text="While categories are undecided: the best final rank still reachable; else null."
    )
    worst_rank = serializers.IntegerField(
        allow_null=True, help_text="While categories are undecided: the worst final rank still possible; else null."
    )

    class Meta:
        model = Standing
        fields = ["rank", "user", "correct", "decided", "predicted", "accuracy", "points", "best_rank", "worst_rank"]


# ---------------------------------------------------------------------------------------------
# Leaderboard


class LeaderboardApi(APIView):
    """One round's leaderboard for one segment, paginated, with the caller's own standing."""

    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        round = serializers.ChoiceField(
            choices=Round.Kind.choices,
            required=False,
            help_text="Which round: winners (the default when the ceremony has one) or nominations.",
            error_messages={
                "invalid_choice": f'"{{input}}" is not a round: use one of {", ".join(Round.Kind.values)}.'
            },
        )
        segment = serializers.ChoiceField(
            choices=SEGMENT_CHOICES,
            default=DEFAULT_SEGMENT,
            help_text="Who is ranked: " + ", ".join(f"{value} ({label})" for value, label in SEGMENT_CHOICES) + ".",
            error_messages={
                "invalid_choice": f'"{{input}}" is not a leaderboard: use one of {SEGMENT_VALUES} '
                "(Combined blends the segments' odds; it has no leaderboard)."
            },
        )
        page = serializers.IntegerField(min_value=1, default=1, help_text="1 = the top of the board.")
        page_size = serializers.IntegerField(
            min_value=1, max_value=Pagination.max_page_size, default=Pagination.page_size, help_text="Rows per page."
        )

    @extend_schema_serializer(component_name="Leaderboard")
    class OutputSerializer(serializers.Serializer):
        ceremony = CeremonyRefSerializer()
        round = RoundSerializer(allow_null=True, help_text="Null when the ceremony has no round of that kind.")
        segment = serializers.CharField(help_text=f"One of {SEGMENT_VALUES}.")
        count = serializers.IntegerField(help_text="Users on this leaderboard.")
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = StandingSerializer(many=True, help_text="Rank order; equal ranks by earliest final save.")
        me = StandingSerializer(allow_null=True, help_text="The caller's standing; null if anonymous or not ranked.")
        my_page = serializers.IntegerField(allow_null=True, help_text="The page that holds `me` (this page size).")
        computed_at = serializers.DateTimeField(allow_null=True, help_text="When the standings were last rebuilt.")
        updating = serializers.BooleanField(help_text="A result changed and the standings are being rebuilt.")

    @extend_schema(
        operation_id="leaderboard_retrieve",
        summary="A ceremony's leaderboard",
        description=(
            "The standings of one round (winners or nominations) for one segment (all users, experts, editors, "
            "Top 24), best first, with competition ranking (1, 2, 2, 4): accuracy first, then points, then the "
            "earliest final save. `me` is the signed-in caller's own row. Public."
        ),
        parameters=[CEREMONY_ID, InputSerializer],
        responses={
            200: OutputSerializer,
            400: BAD_REQUEST,
            404: not_found("No such ceremony, or no such page."),
        },
    )
    def get(self, request, ceremony_id: int):
        ceremony = get_object_or_404(Ceremony.objects.select_related("show"), pk=ceremony_id)
        params = validated(self.InputSerializer(data=request.query_params))
        rounds = {r.kind: r for r in ceremony.rounds.all()}
        round_kind = params.get("round") or parse_round(None, rounds)[0]
        segment, size = params["segment"], params["page_size"]
        round_ = rounds.get(round_kind)
        state = LeaderboardState.objects.filter(ceremony=ceremony).first()

        order = None
        if round_ is not None:
            order = LeaderboardOrder.objects.filter(round=round_, segment=segment).defer("users").first()
        board = BoardRows(order)
        paginator = Pagination()
        paginator.page_size = size
        rows = paginator.paginate_queryset(board, request, view=self)  # a page past the end: 404

        mine, my_page = None, None
        if round_ is not None and request.user.is_authenticated:
            mine = Standing.objects.filter(round=round_, segment=segment, user=request.user).select_related("user")
            mine = mine.first()
        if mine is not None:
            my_page = (mine.position - 1) // size + 1
        data = {
            "ceremony": ceremony,
            "round": round_,
            "segment": segment,
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": rows,
            "me": mine,
            "my_page": my_page,
            "computed_at": state.computed_at if state else None,
            "updating": bool(state and state.is_stale),
        }
        return Response(self.OutputSerializer(data, context={"request": request}).data)


# ---------------------------------------------------------------------------------------------
# A user's card


@extend_schema_serializer(component_name="CardStanding")
class CardStandingSerializer(StandingSerializer):
    round = serializers.CharField(source="round.kind", help_text="winners or nominations.")
    segment = serializers.CharField(help_text=f"One of {SEGMENT_VALUES}.")
    size = serializers.IntegerField(help_text="Users on that leaderboard.")

    class Meta(StandingSerializer.Meta):
        fields = ["round", "segment", "size", *StandingSerializer.Meta.fields]


@extend_schema_serializer(component_name="CardPick")
class CardPickSerializer(serializers.Serializer):
    category = serializers.IntegerField(source="category.id")
    category_name = serializers.CharField(source="category.display_name")
    contender = serializers.IntegerField(help_text="Their first pick.")
    contender_name = serializers.CharField(source="pick", help_text="The pick as named: the film, the performer.")
    winners = serializers.ListField(
        source="winner_ids", child=serializers.IntegerField(), help_text="The announced winner(s); [] if none."
    )
    winner_names = serializers.CharField(source="winners", help_text='As named: "Nomadland"; "" if none.')
    result = serializers.ChoiceField(choices=["right", "wrong", "pending"])
    locked_probability = serializers.FloatField(help_text="The Combined probability when the pick was saved.")
    odds = serializers.CharField(help_text='The fractional odds it was locked at: "9/2", "EVEN".')
    points = serializers.FloatField(allow_null=True, help_text="What it won or lost; null while pending.")
    to_win = serializers.FloatField(allow_null=True, help_text="Pending: what a right pick would earn; else null.")


class CardApi(APIView):
    """One user's standings in a ceremony and every first pick of theirs in its winners round."""

    permission_classes = [permissions.AllowAny]

    @extend_schema_serializer(component_name="LeaderboardCard")
    class OutputSerializer(serializers.Serializer):
        ceremony = CeremonyRefSerializer()
        user = UserRefSerializer()
        winners_round = RoundSerializer(allow_null=True)
        standings = CardStandingSerializer(many=True, help_text="Winners round first, then by segment.")
        picks_public = serializers.BooleanField(
            help_text="False while the winners round is open and the user is a fan other than the caller: their "
            "picks are hidden until predictions close (experts' and editors' are public all along)."
        )
        picks = CardPickSerializer(many=True, help_text="In category order; [] when hidden.")

    @extend_schema(
        operation_id="leaderboard_card_retrieve",
        summary="A user's card for a ceremony",
        description=(
            "The user's place on every leaderboard of the ceremony, and each of their winners-round picks (their "
            "first choice per category), right, wrong or pending, with its locked odds and points. Public; a fan's "
            "picks are shown to others once predictions have closed."
        ),
        parameters=[CEREMONY_ID, USER_ID],
        responses={200: OutputSerializer, 404: not_found("No such ceremony or user.")},
    )
    def get(self, request, ceremony_id: int, user_id: int):
        ceremony = get_object_or_404(Ceremony.objects.select_related("show"), pk=ceremony_id)
        member = get_object_or_404(User, pk=user_id)
        results = load_results(
            ceremony,
            announcements=with_credits(
                Announcement.objects.standing().select_related("category", "contender"), "contender__"
            ),
        )
        standings = list(Standing.objects.filter(user=member, round__ceremony=ceremony).select_related("round", "user"))
        sizes = board_sizes(standings)
        order = {s.value: i for i, s in enumerate(BOARD_SEGMENTS)}
        standings.sort(key=lambda s: (s.round.kind != Round.Kind.WINNERS, order.get(s.segment, 99)))
        for standing in standings:
            standing.size = sizes.get((standing.round_id, standing.segment), 0)

        viewer = request.user
        is_self = viewer.is_authenticated and viewer.pk == member.pk
        # The card page's rule (CardView): a fan's picks are public once predictions close.
        picks_public = results.predictions_closed or member.predicts_publicly or is_self
        picks = []
        winners_round = results.winners_round
        if winners_round is not None and picks_public:
            chosen = Pick.objects.filter(user=member, round=winners_round, rank=1).select_related("contender")
            by_category = {p.category_id: p for p in with_credits(chosen, "contender__")}
            for category in ceremony.categories.competitive().order_by("order", "name"):
                pick = by_category.get(category.id)
                if pick is None:
                    continue
                winners = results.standing.get(category.id, [])
                row = CardView._row(category, pick, winners)
                row.contender = pick.contender_id
                row.winner_ids = [a.contender_id for a in winners]
                row.locked_probability = pick.locked_probability
                picks.append(row)
        data = {
            "ceremony": ceremony,
            "user": member,
            "winners_round": winners_round,
            "standings": standings,
            "picks_public": picks_public,
            "picks": picks,
        }
        return Response(self.OutputSerializer(data, context={"request": request}).data)


# ---------------------------------------------------------------------------------------------
# Announcing results (editors)


@extend_schema_serializer(component_name="ResultAnnouncement")
class AnnouncementSerializer(serializers.ModelSerializer):
    contender = serializers.IntegerField(source="contender_id")
    announced_by = serializers.IntegerField(source="announced_by_id", help_text="The editor's user id.")

    class Meta:
        model = Announcement
        fields = ["id", "contender", "announced_by", "announced_at"]


class AnnouncementApi(AuthenticatedApi):
    """Announce a category's winner (or tied winners), or undo its announcement. Editors only."""

    permission_classes = [permissions.IsAuthenticated, IsEditor]

    @extend_schema_serializer(component_name="AnnouncementInput")
    class InputSerializer(serializers.Serializer):
        contender_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            allow_empty=False,
            max_length=MAX_ANNOUNCED,
            help_text="The winner's contender id, or the tied winners' ids. Nominees of the category only.",
        )

    @extend_schema_serializer(component_name="AnnouncementResult")
    class OutputSerializer(serializers.Serializer):
        category = serializers.IntegerField()
        announced = AnnouncementSerializer(many=True, help_text="The announcements of the contenders asked for.")
        winners = serializers.ListField(
            child=serializers.IntegerField(), help_text="Every winner of the category now announced."
        )

    @extend_schema_serializer(component_name="AnnouncementUndone")
    class UndoOutputSerializer(serializers.Serializer):
        category = serializers.IntegerField()
        undone = serializers.IntegerField(help_text="How many winners were withdrawn (tied winners: 2).")

    @extend_schema(
        operation_id="announcement_create",
        summary="Announce a category's winner",
        description=(
            "Records the winner (or tied winners) and queues the ceremony's leaderboard recompute. Announcing a "
            "winner already announced changes nothing; another nominee of a decided category is a tied winner. "
            "Refused, changing nothing, while the winners round is open or for a contender that is not a nominee "
            "of the category. Editors only."
        ),
        parameters=[CATEGORY_ID],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: NOT_EDITOR,
            404: not_found("No such category."),
        },
    )
    def post(self, request, category_id: int):
        category = get_object_or_404(Category.objects.select_related("ceremony"), pk=category_id)
        data = validated(self.InputSerializer(data=request_data(request)))
        announced = result_announce(editor=request.user, category=category, contender_ids=data["contender_ids"])
        winners = list(
            Announcement.objects.standing()
            .filter(category=category)
            .order_by("contender__order", "contender_id")
            .values_list("contender_id", flat=True)
        )
        body = {"category": category.id, "announced": announced, "winners": winners}
        return Response(self.OutputSerializer(body).data)

    @extend_schema(
        operation_id="announcement_destroy",
        summary="Undo a category's announcement",
        description=(
            "Withdraws the category's announced winner(s), so that it is undecided again, and queues the "
            "leaderboard recompute. Editors only."
        ),
        parameters=[CATEGORY_ID],
        request=None,
        responses={
            200: UndoOutputSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: NOT_EDITOR,
            404: not_found("No such category."),
        },
    )
    def delete(self, request, category_id: int):
        category = get_object_or_404(Category.objects.select_related("ceremony"), pk=category_id)
        undone = result_undo(editor=request.user, category=category)
        return Response(self.UndoOutputSerializer({"category": category.id, "undone": undone}).data)
