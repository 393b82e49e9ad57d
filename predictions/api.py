"""The predictions API, under /api/ (see predictions/api_urls.py): odds, my ballots, a token.

Thin views: they validate the input with their InputSerializer, call one service or QuerySet,
and render with their OutputSerializer. Every 400 has one shape, {"detail": [message, ...]}:
a service's ValidationError reaches config.api.exception_handler as is, and the input
serializers' field errors are flattened into the same list ("ranking[0]: A valid integer is
required."). The user is always request.user: no endpoint accepts a user id.

Each view runs a fixed number of queries whatever the category or ceremony holds.
"""

import json
from datetime import datetime, time, timedelta

from django.core.exceptions import RequestDataTooBig
from django.db.models import Case, F, IntegerField, Prefetch, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import authentication, permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    BAD_REQUEST,
    FORBIDDEN,
    NOT_AUTHENTICATED,
    flat_messages,
    not_found,
    request_data,
    validated,
)
from config.authentication import TokenAuthentication
from config.negotiation import ContentNegotiation
from films.api import CeremonyRefSerializer, FilmRefSerializer
from films.models import Category, Ceremony, Film, Round
from predictions import odds as engine
from predictions.models import RATIONALE_MAX, Ballot, Odds, OddsHistory, Pick, Segment
from predictions.services import ballot_save, ballot_save_for_token, save_rules

MAX_RANKING = 100
# "Movement" compares the odds with what they were this long before.
MOVEMENT_WINDOW = timedelta(hours=24)

# ---------------------------------------------------------------------------------------------
# Shared pieces


# The 400/401/403 shapes and the input helpers are shared by every app's API: config.api.
_messages, _validated, _request_data, _not_found = flat_messages, validated, request_data, not_found


def _round_at(category: Category, moment: datetime) -> Round | None:
    """The round of the category's ceremony open at `moment`, else the last one opened before it."""
    open_then = Case(When(closes_at__gt=moment, then=Value(1)), default=Value(0), output_field=IntegerField())
    return (
        Round.objects.filter(ceremony_id=category.ceremony_id, opens_at__lte=moment)
        .annotate(open_then=open_then)
        .order_by("-open_then", "-opens_at")
        .first()
    )


class AuthenticatedApi(APIView):
    """Token first, so that a request without credentials gets a 401 with `WWW-Authenticate: Token`.
    Session authentication keeps DRF's CSRF check on unsafe methods."""

    authentication_classes = [TokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]


@extend_schema_serializer(component_name="PredictionRound")
class RoundSerializer(serializers.ModelSerializer):
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = ["id", "kind", "opens_at", "closes_at", "is_open"]

    def get_is_open(self, round_) -> bool:
        return round_.is_open()


# Plain serializers, not ModelSerializers: every saved ballot is rendered with them, and a ModelSerializer
# rebuilds its fields from the model on each use.
@extend_schema_serializer(component_name="Pick")
class PickSerializer(serializers.Serializer):
    contender = serializers.IntegerField(source="contender_id")
    rank = serializers.IntegerField(min_value=1)
    rationale = serializers.CharField(max_length=RATIONALE_MAX, allow_blank=True)


@extend_schema_serializer(component_name="Ballot")
class BallotSerializer(serializers.Serializer):
    """A user's ranking of one category in one round."""

    # Needs `picks` prefetched in rank order (_ballots()).
    category = serializers.IntegerField(source="category_id")
    round = serializers.IntegerField(source="round_id")
    ranking = serializers.SerializerMethodField(help_text="Contender ids, best first.")
    picks = PickSerializer(many=True, source="ranked_picks")
    saved_at = serializers.DateTimeField(help_text=Ballot._meta.get_field("saved_at").help_text)

    def get_ranking(self, ballot) -> list[int]:
        return [pick.contender_id for pick in ballot.ranked_picks]

    def to_representation(self, ballot):
        # What the declared fields give (they are the schema; a test compares the two), built directly: binding
        # a copy of every field for each ballot costs more than the rest of a save's Python.
        picks = ballot.ranked_picks
        return {
            "category": ballot.category_id,
            "round": ballot.round_id,
            "ranking": [pick.contender_id for pick in picks],
            "picks": [{"contender": p.contender_id, "rank": p.rank, "rationale": p.rationale} for p in picks],
            "saved_at": _SAVED_AT.to_representation(ballot.saved_at),
        }


_SAVED_AT = serializers.DateTimeField()  # formats only: shared, never bound


def _ballots():
    return Ballot.objects.prefetch_related(Prefetch("picks", queryset=Pick.objects.order_by("rank")))


# ---------------------------------------------------------------------------------------------
# Odds


@extend_schema_serializer(component_name="OddsContender")
class OddsContenderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    detail = serializers.CharField()
    films = FilmRefSerializer(many=True)


@extend_schema_serializer(component_name="OddsCategory")
class OddsCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    slots = serializers.IntegerField()
    ceremony = CeremonyRefSerializer()


@extend_schema_serializer(component_name="OddsLine")
class OddsLineSerializer(serializers.Serializer):
    contender = OddsContenderSerializer()
    probability = serializers.FloatField(help_text="0 to 1.")
    fractional = serializers.CharField(help_text='Racetrack odds against, from a fixed ladder: "9/2", "EVEN".')
    percent = serializers.CharField(help_text='"42%"; "<1%" and ">99%" near the ends.')
    rank = serializers.IntegerField(help_text="1 = favourite; ties share a rank.")
    ballots = serializers.IntegerField(help_text="Ballots counted in the segment.")
    movement = serializers.FloatField(
        allow_null=True, help_text="Change in percentage points over the 24 hours before; null without odds then."
    )


@extend_schema_serializer(component_name="OddsHistoryRow")
class OddsHistorySerializer(serializers.Serializer):
    contender_id = serializers.IntegerField()
    probability = serializers.FloatField()
    recorded_at = serializers.DateTimeField(help_text="The probability holds from this moment on.")


class OddsApi(APIView):
    """A category's odds in one segment, for the open round (or the latest one), with their history."""

    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        segment = serializers.ChoiceField(
            choices=Segment.choices,
            default=Segment.COMBINED,
            help_text="Whose ballots: " + ", ".join(f"{value} ({label})" for value, label in Segment.choices) + ".",
            error_messages={"invalid_choice": f'"{{input}}" is not a segment: use one of {", ".join(Segment.values)}.'},
        )
        history = serializers.BooleanField(
            default=False, help_text="1: add every change of the segment's odds in the round (up to as_of)."
        )
        as_of = serializers.DateField(
            required=False,
            help_text="Time machine: the odds as they stood at the end of this day (UTC), YYYY-MM-DD.",
        )

    @extend_schema_serializer(component_name="CategoryOdds")
    class OutputSerializer(serializers.Serializer):
        category = OddsCategorySerializer()
        round = RoundSerializer(allow_null=True, help_text="Null when no round of the ceremony has opened.")
        segment = serializers.ChoiceField(choices=Segment.choices)
        as_of = serializers.DateField(allow_null=True)
        odds = OddsLineSerializer(many=True, help_text="Favourite first.")
        history = OddsHistorySerializer(
            many=True, allow_null=True, help_text="Oldest first; null unless history=1 was asked for."
        )

    @extend_schema(
        operation_id="odds_retrieve",
        summary="A category's odds",
        description=(
            "The odds of every contender in one segment, for the round of the category's ceremony that is open "
            "(or, when none is, the last one that opened), favourite first. With `as_of`, the odds as they stood at "
            "the end of that day, in the round open then. Public."
        ),
        parameters=[
            OpenApiParameter("category_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A category's id."),
            InputSerializer,
        ],
        responses={200: OutputSerializer, 400: BAD_REQUEST, 404: _not_found("No such category.")},
    )
    def get(self, request, category_id: int):
        category = get_object_or_404(Category.objects.select_related("ceremony__show"), pk=category_id)
        params = _validated(self.InputSerializer(data=request.query_params))
        segment, as_of = params["segment"], params.get("as_of")
        now = timezone.now()
        moment = now
        if as_of is not None:
            moment = min(now, timezone.make_aware(datetime.combine(as_of, time.max), timezone.get_default_timezone()))
        round_ = _round_at(category, moment)
        odds, history = [], None
        if round_ is not None:
            rows = self._lines(round_, category, segment, moment if as_of else None)
            before = dict(
                self._history_at(round_, category, segment, moment - MOVEMENT_WINDOW).values_list(
                    "contender_id", "probability"
                )
            )
            odds = [
                {
                    "contender": row.contender,
                    "probability": row.probability,
                    "fractional": engine.fractional_odds(row.probability),
                    "percent": engine.percent(row.probability),
                    "rank": row.rank,
                    "ballots": row.ballots,
                    "movement": engine.movement(row.probability, before.get(row.contender_id)),
                }
                for row in rows
            ]
            if params["history"]:
                history = list(
                    OddsHistory.objects.filter(
                        round=round_, category=category, segment=segment, recorded_at__lte=moment
                    )
                    .order_by("recorded_at", "id")
                    .values("contender_id", "probability", "recorded_at")
                )
        elif params["history"]:
            history = []
        data = {
            "category": category,
            "round": round_,
            "segment": segment,
            "as_of": as_of,
            "odds": odds,
            "history": history,
        }
        return Response(self.OutputSerializer(data, context={"request": request}).data)

    @staticmethod
    def _history_at(round_: Round, category: Category, segment: str, moment: datetime):
        """Each contender's latest history row at or before `moment`: its odds as they stood then."""
        latest_first = Window(
            RowNumber(), partition_by=[F("contender_id")], order_by=[F("recorded_at").desc(), F("id").desc()]
        )
        return (
            OddsHistory.objects.filter(round=round_, category=category, segment=segment, recorded_at__lte=moment)
            .annotate(latest_first=latest_first)
            .filter(latest_first=1)
        )

    def _lines(self, round_: Round, category: Category, segment: str, moment: datetime | None):
        """The current odds, or with `moment` the odds as they stood then; favourite first."""
        if moment is None:
            rows = Odds.objects.filter(round=round_, category=category, segment=segment)
        else:
            rows = self._history_at(round_, category, segment, moment)
        films = Prefetch("contender__films", queryset=Film.objects.order_by("contenderfilm__order"))
        return (
            rows.select_related("contender")
            .prefetch_related(films)
            .order_by("rank", "contender__order", "contender_id")
        )


# ---------------------------------------------------------------------------------------------
# Ballots


class BallotApi(AuthenticatedApi):
    """My ballot for one category: read it, or replace it (PUT). Always the signed-in user's."""

    @extend_schema_serializer(component_name="BallotInput")
    class InputSerializer(serializers.Serializer):
        ranking = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            max_length=MAX_RANKING,
            help_text="Contender ids, best first.",
        )
        rationales = serializers.DictField(
            child=serializers.CharField(max_length=RATIONALE_MAX, allow_blank=True),
            required=False,
            default=dict,
            help_text=(
                f"Contender id -> why you picked it (at most {RATIONALE_MAX} characters). Experts and editors only."
            ),
        )

        def validate(self, attrs):
            # The ballot is always request.user's: a "user" (or any other key) is refused, not ignored.
            unknown = sorted(set(self.initial_data) - set(self.fields)) if hasattr(self.initial_data, "keys") else []
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown field(s): {', '.join(map(str, unknown))}. A ballot takes ranking and rationales only; "
                    "it is always yours."
                )
            return attrs

        def validate_rationales(self, value):
            try:
                return {int(key): text for key, text in value.items()}
            except ValueError:
                raise serializers.ValidationError("The keys are contender ids.") from None

    @extend_schema(
        operation_id="ballot_retrieve",
        summary="My ballot for a category",
        description="My ballot in the round that is open (or, when none is, the last one that opened).",
        parameters=[
            OpenApiParameter("category_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A category's id.")
        ],
        responses={
            200: BallotSerializer,
            401: NOT_AUTHENTICATED,
            404: _not_found("No such category, or you have not ranked it in that round."),
        },
    )
    def get(self, request, category_id: int):
        category = get_object_or_404(Category, pk=category_id)
        round_ = _round_at(category, timezone.now())
        ballot = None
        if round_ is not None:
            ballot = _ballots().filter(user=request.user, round=round_, category=category).first()
        if ballot is None:
            raise NotFound("You have not ranked this category yet.")
        return Response(BallotSerializer(ballot).data)

    def dispatch(self, request, *args, **kwargs):
        if request.method == "PUT" and kwargs.keys() == {"category_id"}:
            response = self._put_plain(request, kwargs["category_id"])
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def _put_plain(self, request, category_id: int) -> HttpResponse | None:
        """put() for the request nearly every save is (a token, a JSON ranking and no rationales, no Accept or
        format preference) without DRF's request, authentication, negotiation and response machinery: the same
        rules, the same bytes and headers (a test holds the two to the same answers), and the token checked by the
        statement that writes. None, having changed nothing, for any other request and for every refusal:
        dispatch() then answers it the DRF way, which explains it in the API's words. (About a third of a save's
        Python; benchmarks/README.md.)"""
        meta = request.META
        credentials = meta.get("HTTP_AUTHORIZATION", "").split()
        if (
            len(credentials) != 2
            or credentials[0].lower() != TokenAuthentication.keyword.lower()
            or meta.get("HTTP_ACCEPT", "").strip() not in ContentNegotiation.PLAIN
            or meta.get("QUERY_STRING")
            or request.content_type != "application/json"
            or request.content_params.get("charset", "utf-8").lower() != "utf-8"
            or self.renderer_classes[0].media_type != "application/json"
        ):
            return None
        try:
            data = _plain_ballot_input(json.loads(request.body.decode()))
        except (ValueError, RequestDataTooBig):  # ValueError: not JSON, or not UTF-8
            return None
        rules = save_rules(category_id)
        if data is None or rules is None:
            return None
        # The save statement authenticates the token itself; None for an unknown token, an inactive user or a
        # refused save, which DRF's path then answers (401, 400).
        ballot = ballot_save_for_token(token=credentials[1], category=rules.category, ranking=data["ranking"])
        if ballot is None:
            return None
        renderer = self.renderer_classes[0]()  # as ContentNegotiation chooses for such a request
        return HttpResponse(
            renderer.render(BallotSerializer(ballot).data),
            content_type=renderer.media_type,
            headers=self.default_response_headers,  # Allow, and Vary: Accept
        )

    @extend_schema(
        operation_id="ballot_update",
        summary="Save my ballot for a category",
        description=(
            "Replaces my ranking of the category for the open round. Refused, changing nothing, when the round is "
            "closed, a contender is not one of this round's or appears twice, or a rationale breaks the rules."
        ),
        parameters=[
            OpenApiParameter("category_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A category's id.")
        ],
        request=InputSerializer,
        responses={
            200: BallotSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
            404: _not_found("No such category."),
        },
    )
    def put(self, request, category_id: int):
        rules = save_rules(category_id)  # the category, from this process's cache (the save re-checks it)
        if rules is None:
            raise Http404("No Category matches the given query.")
        body = _request_data(request)
        data = _plain_ballot_input(body)
        if data is None:
            data = _validated(self.InputSerializer(data=body))
        ballot = ballot_save(
            user=request.user, category=rules.category, ranking=data["ranking"], rationales=data["rationales"]
        )
        return Response(BallotSerializer(ballot).data)  # the picks it just wrote: no second read


def _plain_ballot_input(body) -> dict | None:
    """What BallotApi.InputSerializer gives for the body nearly every save sends, a ranking of contender ids and no
    rationales, without binding a copy of its fields; None for anything else, which the serializer then checks and
    explains. (A test holds the two to the same answers.)"""
    if type(body) is not dict or not body.keys() <= {"ranking", "rationales"} or body.get("rationales", {}) != {}:
        return None
    ranking = body.get("ranking")
    if type(ranking) is not list or len(ranking) > MAX_RANKING:
        return None
    if not all(type(contender) is int and contender >= 1 for contender in ranking):  # not bool, not "12"
        return None
    return {"ranking": ranking, "rationales": {}}


class CeremonyBallotsApi(AuthenticatedApi):
    """Every ballot I saved for a ceremony, in every round."""

    @extend_schema_serializer(component_name="CeremonyBallots")
    class OutputSerializer(serializers.Serializer):
        ceremony = CeremonyRefSerializer()
        rounds = RoundSerializer(many=True)
        ballots = BallotSerializer(many=True, help_text="Round by round, in the ceremony's category order.")

    @extend_schema(
        operation_id="ceremony_ballots_list",
        summary="My ballots for a ceremony",
        parameters=[
            OpenApiParameter("ceremony_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A ceremony's id.")
        ],
        responses={200: OutputSerializer, 401: NOT_AUTHENTICATED, 404: _not_found("No such ceremony.")},
    )
    def get(self, request, ceremony_id: int):
        ceremony = get_object_or_404(Ceremony.objects.select_related("show"), pk=ceremony_id)
        rounds = list(Round.objects.filter(ceremony=ceremony).order_by("opens_at"))
        ballots = (
            _ballots()
            .filter(user=request.user, category__ceremony=ceremony)
            .order_by("round__opens_at", "category__order", "category__name", "id")
        )
        data = {"ceremony": ceremony, "rounds": rounds, "ballots": ballots}
        return Response(self.OutputSerializer(data, context={"request": request}).data)


# ---------------------------------------------------------------------------------------------
# Authentication


class TokenObtainApi(APIView):
    """DRF's obtain_auth_token with this API's error shape. The account is named by its e-mail
    address, in the field DRF calls `username` (authentication is by USERNAME_FIELD, the e-mail,
    case-insensitively). No authentication classes: the credentials are in the body."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = []

    @extend_schema_serializer(component_name="TokenInput")
    class InputSerializer(AuthTokenSerializer):
        username = serializers.CharField(
            label="E-mail", write_only=True, help_text="The account's e-mail address (any case)."
        )
        token = None  # AuthTokenSerializer's read-only echo: the answer carries the token

    @extend_schema_serializer(component_name="Token")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description="`username` is the account's e-mail address. The same token is returned until it is revoked.",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: BAD_REQUEST},
        auth=[],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=_request_data(request), context={"request": request})
        user = _validated(serializer)["user"]
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
