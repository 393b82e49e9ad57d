"""The predictions API end to end: tokens and sessions, my ballots, every rule of a save, the odds."""

import json
from datetime import timedelta

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from films.models import Round
from predictions import odds as engine
from predictions.models import Ballot, Odds, OddsHistory, Pick
from tests.factories import CategoryFactory, ContenderFactory, FilmFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py UserFactory


def ids(contenders):
    return [c.id for c in contenders]


def ballot_url(category):
    return f"/api/ballots/{category.id}/"


def odds_url(category):
    return f"/api/odds/{category.id}/"


def picks_of(user, category):
    return list(
        Pick.objects.filter(user=user, category=category).order_by("rank").values_list("contender_id", "rationale")
    )


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(django_capture_on_commit_callbacks):
    """An APIClient signed in (token) as `user`, whose calls run their on-commit callbacks (the eager recompute)."""

    class Client(APIClient):
        def generic(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return super().generic(*args, **kwargs)

    def make(user):
        client = Client()
        client.force_authenticate(user)
        return client

    return make


def put(client, category, body):
    return client.put(ballot_url(category), body, format="json")


# ---------------------------------------------------------------------------------------------
# Authentication


def test_a_token_is_obtained_with_the_email_and_saves_a_ballot(season, fan, django_capture_on_commit_callbacks):
    api = APIClient()
    response = api.post("/api/auth/token/", {"username": fan.email.upper(), "password": PASSWORD})
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    assert key == Token.objects.get(user=fan).key
    again = api.post("/api/auth/token/", {"username": fan.email, "password": PASSWORD}, format="json")
    assert again.json() == {"token": key}

    picture = season["nominees"]["picture"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with django_capture_on_commit_callbacks(execute=True):
        response = put(api, season["picture"], {"ranking": ids(picture[::-1])})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"] == season["picture"].id
    assert body["round"] == season["round"].id
    assert body["ranking"] == ids(picture[::-1])
    assert body["picks"] == [{"contender": c.id, "rank": i, "rationale": ""} for i, c in enumerate(picture[::-1], 1)]
    assert picks_of(fan, season["picture"]) == [(c.id, "") for c in picture[::-1]]
    assert Odds.objects.filter(category=season["picture"], segment="all").exists()  # the recompute ran


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"username": "user@example.com", "password": "wrong"}, ["Unable to log in with provided credentials."]),
        ({"username": "nobody@example.com", "password": PASSWORD}, ["Unable to log in with provided credentials."]),
        ({}, ["username: This field is required.", "password: This field is required."]),
    ],
)
def test_a_token_needs_the_right_credentials(api, db, body, detail):
    UserFactory(email="user@example.com")
    response = api.post("/api/auth/token/", body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert not Token.objects.exists()


def test_an_inactive_account_gets_no_token(api, fan):
    fan.is_active = False
    fan.save()
    response = api.post("/api/auth/token/", {"username": fan.email, "password": PASSWORD})
    assert response.status_code == 400
    assert not Token.objects.exists()


def _token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _my_ballots(client, season):
    return client.get(f"/api/ceremonies/{season['ceremony'].id}/ballots/")


def test_a_deleted_token_is_refused_at_once_though_its_user_was_cached(season, fan):
    client = _token_client(fan)
    assert _my_ballots(client, season).status_code == 200  # the token's user is now in the cache
    with CaptureQueriesContext(connection) as queries:
        assert _my_ballots(client, season).status_code == 200
    assert not any("authtoken_token" in q["sql"] for q in queries.captured_queries)  # from the cache
    Token.objects.filter(user=fan).delete()
    response = _my_ballots(client, season)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_deactivated_user_is_refused_at_once(season, fan):
    client = _token_client(fan)
    assert _my_ballots(client, season).status_code == 200
    fan.is_active = False
    fan.save()
    response = _my_ballots(client, season)
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_role_change_applies_at_once_to_a_cached_token(season, fan):
    client = _token_client(fan)
    rationale = {"ranking": ids(season["nominees"]["picture"]), "rationales": {}}
    assert put(client, season["picture"], rationale).status_code == 200
    rationale["rationales"] = {str(season["nominees"]["picture"][0].id): "Best film of the year."}
    refused = put(client, season["picture"], rationale)
    assert refused.status_code == 400
    assert refused.json() == {"detail": ["Only experts and editors add a rationale to their picks."]}
    fan.role = "expert"
    fan.save()
    assert put(client, season["picture"], rationale).status_code == 200


def test_a_deleted_user_s_token_is_refused(season, fan):
    client = _token_client(fan)
    assert _my_ballots(client, season).status_code == 200
    fan.delete()
    assert _my_ballots(client, season).status_code == 401


def test_the_token_cache_being_down_only_costs_the_query(season, fan, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    client = _token_client(fan)
    for name in ("get", "set", "delete_many"):
        monkeypatch.setattr(cache, name, down)
    assert _my_ballots(client, season).status_code == 200
    Token.objects.filter(user=fan).delete()  # the invalidation fails quietly
    assert _my_ballots(client, season).status_code == 401


def test_a_bad_token_is_refused(api, season):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = put(api, season["picture"], {"ranking": ids(season["nominees"]["picture"])})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert not Ballot.objects.exists()


def test_a_session_saves_only_with_its_csrf_token(season, fan):
    api = APIClient(enforce_csrf_checks=True)
    api.get("/accounts/login/")
    response = api.post(
        "/accounts/login/",
        {"username": fan.email, "password": PASSWORD, "csrfmiddlewaretoken": api.cookies["csrftoken"].value},
    )
    assert response.status_code == 302  # signed in (the login form itself checked CSRF)
    picture = season["nominees"]["picture"]

    refused = put(api, season["picture"], {"ranking": ids(picture)})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    assert not Ballot.objects.exists()

    forged = api.put(ballot_url(season["picture"]), {"ranking": ids(picture)}, format="json", HTTP_X_CSRFTOKEN="x" * 32)
    assert forged.status_code == 403
    assert not Ballot.objects.exists()

    saved = api.put(
        ballot_url(season["picture"]),
        {"ranking": ids(picture)},
        format="json",
        HTTP_X_CSRFTOKEN=api.cookies["csrftoken"].value,
    )
    assert saved.status_code == 200, saved.content
    assert picks_of(fan, season["picture"]) == [(c.id, "") for c in picture]
    # Reading needs no CSRF token.
    assert api.get(ballot_url(season["picture"])).json()["ranking"] == ids(picture)


def test_anonymous_callers_are_refused_and_nothing_is_saved(api, season):
    response = put(api, season["picture"], {"ranking": ids(season["nominees"]["picture"])})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert not Ballot.objects.exists()
    assert api.get(ballot_url(season["picture"])).status_code == 401
    assert api.get(f"/api/ceremonies/{season['ceremony'].id}/ballots/").status_code == 401


# ---------------------------------------------------------------------------------------------
# My ballot


def test_my_ballot_is_404_until_i_rank_the_category(season, fan, as_user):
    client = as_user(fan)
    response = client.get(ballot_url(season["picture"]))
    assert response.status_code == 404
    assert response.json() == {"detail": "You have not ranked this category yet."}

    picture = season["nominees"]["picture"]
    assert put(client, season["picture"], {"ranking": ids(picture[:2])}).status_code == 200
    body = client.get(ballot_url(season["picture"])).json()
    assert body["ranking"] == ids(picture[:2])
    assert [p["rank"] for p in body["picks"]] == [1, 2]
    assert body["saved_at"] == Ballot.objects.get(user=fan).saved_at.isoformat().replace("+00:00", "Z")


def test_saving_again_replaces_my_ranking(season, fan, as_user):
    client = as_user(fan)
    picture = season["nominees"]["picture"]
    put(client, season["picture"], {"ranking": ids(picture)})
    response = put(client, season["picture"], {"ranking": [picture[2].id]})
    assert response.json()["ranking"] == [picture[2].id]
    assert Ballot.objects.count() == 1
    assert picks_of(fan, season["picture"]) == [(picture[2].id, "")]


def test_an_expert_saves_rationales(season, expert, as_user):
    picture = season["nominees"]["picture"]
    body = {
        "ranking": ids(picture),
        "rationales": {str(picture[0].id): "  Swept the guilds.  ", str(picture[1].id): ""},
    }
    response = put(as_user(expert), season["picture"], body)
    assert response.status_code == 200, response.content
    assert response.json()["picks"][0] == {"contender": picture[0].id, "rank": 1, "rationale": "Swept the guilds."}
    assert picks_of(expert, season["picture"]) == [
        (picture[0].id, "Swept the guilds."),
        (picture[1].id, ""),
        (picture[2].id, ""),
    ]


def test_after_the_round_closes_my_ballot_is_read_but_not_changed(season, fan, as_user):
    client = as_user(fan)
    picture = season["nominees"]["picture"]
    put(client, season["picture"], {"ranking": ids(picture)})
    Round.objects.filter(pk=season["round"].pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    assert client.get(ballot_url(season["picture"])).json()["ranking"] == ids(picture)
    response = put(client, season["picture"], {"ranking": ids(picture[::-1])})
    assert response.status_code == 400
    assert response.json() == {"detail": ["Predictions for Best Picture are closed."]}
    assert picks_of(fan, season["picture"]) == [(c.id, "") for c in picture]


SERVICE_RULES = [
    (lambda s: [], "Rank at least one contender."),
    (lambda s: [s["nominees"]["picture"][0].id] * 2, "Rank each contender at most once."),
    (lambda s: [s["nominees"]["editing"][0].id], "Rank only the contenders of Best Picture in this round."),
    (lambda s: [s["long_list"].id], "Rank only the contenders of Best Picture in this round."),
    (lambda s: [10**20], "Rank only the contenders of Best Picture in this round."),
]


@pytest.mark.parametrize(("make_ranking", "message"), SERVICE_RULES)
@pytest.mark.parametrize("with_earlier_ballot", [False, True])
def test_every_rule_of_a_save_is_a_400_that_changes_nothing(
    season, fan, as_user, make_ranking, message, with_earlier_ballot
):
    client = as_user(fan)
    picture = season["nominees"]["picture"]
    if with_earlier_ballot:
        put(client, season["picture"], {"ranking": ids(picture)})
    before = picks_of(fan, season["picture"])
    saved_at = list(Ballot.objects.values_list("saved_at", flat=True))

    response = put(client, season["picture"], {"ranking": make_ranking(season)})
    assert response.status_code == 400
    assert response.json() == {"detail": [message]}
    assert picks_of(fan, season["picture"]) == before
    assert list(Ballot.objects.values_list("saved_at", flat=True)) == saved_at


def test_a_fans_rationale_is_refused(season, fan, as_user):
    picture = season["nominees"]["picture"]
    response = put(as_user(fan), season["picture"], {"ranking": ids(picture), "rationales": {str(picture[0].id): "Hm"}})
    assert response.status_code == 400
    assert response.json() == {"detail": ["Only experts and editors add a rationale to their picks."]}
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, ["ranking: This field is required."]),
        ({"ranking": "1,2"}, ['ranking: Expected a list of items but got type "str".']),
        ({"ranking": ["x", 2]}, ["ranking[0]: A valid integer is required."]),
        ({"ranking": [0]}, ["ranking[0]: Ensure this value is greater than or equal to 1."]),
        ({"ranking": list(range(1, 102))}, ["ranking: Ensure this field has no more than 100 elements."]),
        (
            {"ranking": [1], "rationales": {"1": "x" * 281}},
            ["rationales.1: Ensure this field has no more than 280 characters."],
        ),
        ({"ranking": [1], "rationales": {"one": "x"}}, ["rationales: The keys are contender ids."]),
        ({"ranking": [1], "rationales": ["x"]}, ['rationales: Expected a dictionary of items but got type "list".']),
        ([1, 2], ["Invalid data. Expected a dictionary, but got list."]),
    ],
)
def test_a_malformed_body_is_a_400_with_messages(season, expert, as_user, body, detail):
    response = put(as_user(expert), season["picture"], body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert not Ballot.objects.exists()


def test_malformed_json_is_a_400_in_the_same_shape(season, fan, as_user):
    response = as_user(fan).put(ballot_url(season["picture"]), '{"ranking": [', content_type="application/json")
    assert response.status_code == 400
    [message] = response.json()["detail"]
    assert message.startswith("JSON parse error")
    assert not Ballot.objects.exists()


def test_unknown_categories_and_ceremonies_are_404(season, fan, as_user):
    client = as_user(fan)
    for url in (
        "/api/ballots/999999/",
        "/api/ceremonies/999999/ballots/",
        "/api/odds/999999/",
        "/api/odds/99999999999999999999/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.put("/api/ballots/999999/", {"ranking": [1]}, format="json").status_code == 404


# ---------------------------------------------------------------------------------------------
# Nobody writes another user's ballot


def test_a_user_key_in_the_body_is_refused(season, fan, as_user):
    a, b = fan, UserFactory(display_name="Someone Else")
    picture = season["nominees"]["picture"]
    put(as_user(a), season["picture"], {"ranking": ids(picture)})

    response = put(as_user(b), season["picture"], {"ranking": ids(picture[::-1]), "user": a.id})
    assert response.status_code == 400
    assert response.json() == {
        "detail": ["Unknown field(s): user. A ballot takes ranking and rationales only; it is always yours."]
    }
    assert picks_of(a, season["picture"]) == [(c.id, "") for c in picture]
    assert not Ballot.objects.filter(user=b).exists()


def test_each_user_reads_and_writes_only_their_own_ballot(season, fan, as_user):
    a, b = fan, UserFactory(display_name="Someone Else")
    picture = season["nominees"]["picture"]
    put(as_user(a), season["picture"], {"ranking": ids(picture)})
    a_ballot = Ballot.objects.get(user=a)

    assert as_user(b).get(ballot_url(season["picture"])).status_code == 404  # A's ballot is not B's
    response = put(as_user(b), season["picture"], {"ranking": ids(picture[::-1])})
    assert response.status_code == 200
    assert response.json()["ranking"] == ids(picture[::-1])

    assert picks_of(a, season["picture"]) == [(c.id, "") for c in picture]
    assert Ballot.objects.get(user=a).saved_at == a_ballot.saved_at
    assert picks_of(b, season["picture"]) == [(c.id, "") for c in picture[::-1]]
    assert as_user(a).get(ballot_url(season["picture"])).json()["ranking"] == ids(picture)


# ---------------------------------------------------------------------------------------------
# My ballots for a ceremony


def test_my_ballots_for_a_ceremony_cover_every_round_and_only_mine(season, fan, as_user):
    client = as_user(fan)
    picture, editing = season["nominees"]["picture"], season["nominees"]["editing"]
    put(client, season["editing"], {"ranking": ids(editing[:1])})
    put(client, season["picture"], {"ranking": ids(picture)})
    put(as_user(UserFactory()), season["picture"], {"ranking": ids(picture[::-1])})
    # A ballot of the (closed) nominations round, written as the round left it.
    now = timezone.now()
    nominations = Round.objects.create(
        ceremony=season["ceremony"], kind=Round.Kind.NOMINATIONS, opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=30),
    )  # fmt: skip
    early = Ballot.objects.create(user=fan, round=nominations, category=season["picture"], created_at=now, saved_at=now)
    Pick.objects.create(
        ballot=early,
        contender=season["long_list"],
        rank=1,
        locked_probability=0.25,
        round=nominations,
        category=season["picture"],
        user=fan,
        saved_at=now,
    )

    response = client.get(f"/api/ceremonies/{season['ceremony'].id}/ballots/")
    assert response.status_code == 200
    body = response.json()
    assert body["ceremony"]["id"] == season["ceremony"].id
    assert body["ceremony"]["title"] == "93rd Academy Awards"
    assert [(r["id"], r["kind"], r["is_open"]) for r in body["rounds"]] == [
        (nominations.id, "nominations", False),
        (season["round"].id, "winners", True),
    ]
    order = sorted([season["picture"], season["editing"]], key=lambda c: (c.order, c.name))
    assert [(b["round"], b["category"], b["ranking"]) for b in body["ballots"]] == [
        (nominations.id, season["picture"].id, [season["long_list"].id]),
        *[(season["round"].id, c.id, ids(picture) if c == season["picture"] else ids(editing[:1])) for c in order],
    ]


def test_a_ceremony_without_my_ballots_is_an_empty_list(season, fan, as_user):
    body = as_user(fan).get(f"/api/ceremonies/{season['ceremony'].id}/ballots/").json()
    assert body["ballots"] == []
    assert [r["id"] for r in body["rounds"]] == [season["round"].id]


# ---------------------------------------------------------------------------------------------
# Odds


def _expected(season, hits, ballots):
    """The odds engine on hand-made counts, by segment: {segment: [(name, probability, rank, ballots)]}."""
    picture = season["nominees"]["picture"]
    frame = pd.DataFrame(hits, columns=["segment", "contender_id", "hits"])
    result = engine.compute_odds(frame, ballots, ids(picture), slots=1)
    names = {c.id: c.name for c in picture}
    return {
        segment: [(names[r.contender_id], r.probability, r.rank, r.ballots) for r in rows.itertuples()]
        for segment, rows in result.groupby("segment")
    }


def _lines(body):
    return [(o["contender"]["name"], o["probability"], o["rank"], o["ballots"]) for o in body["odds"]]


@pytest.fixture
def voted(season, fan, expert, as_user):
    """Two fans put Nomadland first and an expert Minari; the first fan's odds are backdated two days."""
    nomadland, father, minari = season["nominees"]["picture"]
    film = FilmFactory(title="Nomadland", year=2020)
    nomadland.films.add(film)
    put(as_user(fan), season["picture"], {"ranking": [nomadland.id, father.id]})
    OddsHistory.objects.update(recorded_at=timezone.now() - timedelta(days=2))
    put(as_user(UserFactory()), season["picture"], {"ranking": [nomadland.id, minari.id]})
    put(as_user(expert), season["picture"], {"ranking": [minari.id, nomadland.id, father.id]})
    return {"nomadland": nomadland, "father": father, "minari": minari, "film": film}


def test_odds_are_the_engines_on_the_ballots_counts(api, season, voted):
    nomadland, minari = voted["nomadland"], voted["minari"]
    expected = _expected(
        season,
        [("all", nomadland.id, 2), ("all", minari.id, 1), ("experts", minari.id, 1)],
        {"all": 3, "experts": 1},
    )
    for segment in ("all", "experts", "combined"):
        body = api.get(odds_url(season["picture"]), {"segment": segment}).json()
        assert body["segment"] == segment
        assert _lines(body) == [pytest.approx(line) for line in expected[segment]], segment
        for line in body["odds"]:
            assert line["fractional"] == engine.fractional_odds(line["probability"])
            assert line["percent"] == engine.percent(line["probability"])
    assert api.get(odds_url(season["picture"])).json()["segment"] == "combined"  # the default
    assert api.get(odds_url(season["picture"]), {"segment": "editors"}).json()["odds"] == []  # no editor voted


def test_odds_show_fractions_percentages_and_movement(api, season, voted):
    body = api.get(odds_url(season["picture"]), {"segment": "all"}).json()
    assert body["category"]["id"] == season["picture"].id
    assert body["category"]["display_name"] == "Best Picture"
    assert body["category"]["ceremony"]["number"] == 93
    assert body["round"]["id"] == season["round"].id
    assert body["round"]["is_open"] is True
    assert body["as_of"] is None
    assert body["history"] is None
    # All users, 3 ballots, 1 pseudo-count at 1/3: Nomadland (2 + 1/3) / 4 = 7/12, Minari 1/3, The Father 1/12.
    # Two days ago (1 ballot): Nomadland (1 + 1/3) / 2 = 2/3, the others 1/6.
    assert [
        (
            o["contender"]["name"],
            o["probability"],
            o["fractional"],
            o["percent"],
            o["rank"],
            o["ballots"],
            o["movement"],
        )
        for o in body["odds"]
    ] == [
        ("Nomadland", pytest.approx(7 / 12), "8/11", "58%", 1, 3, -8.3),
        ("Minari", pytest.approx(1 / 3), "2/1", "33%", 2, 3, 16.7),
        ("The Father", pytest.approx(1 / 12), "11/1", "8%", 3, 3, -8.3),
    ]
    [film] = body["odds"][0]["contender"]["films"]
    assert film["slug"] == voted["film"].slug
    assert film["title"] == "Nomadland"


def test_history_lists_every_change_of_the_segment(api, season, voted):
    body = api.get(odds_url(season["picture"]), {"segment": "all", "history": "1"}).json()
    rows = OddsHistory.objects.filter(category=season["picture"], segment="all").order_by("recorded_at", "id")
    assert len(body["history"]) == rows.count() == 9  # three recomputes, each changing all three contenders
    assert [(h["contender_id"], h["probability"]) for h in body["history"]] == [
        (r.contender_id, pytest.approx(r.probability)) for r in rows
    ]
    assert body["history"][0]["probability"] == pytest.approx(2 / 3)
    assert body["history"][-1]["probability"] == pytest.approx(
        rows.last().probability
    )  # newest last, as the current odds


def test_the_time_machine_shows_the_odds_of_a_past_day(api, season, voted):
    day = (timezone.now() - timedelta(days=2)).date()
    body = api.get(odds_url(season["picture"]), {"segment": "all", "as_of": day.isoformat(), "history": "1"}).json()
    assert body["as_of"] == day.isoformat()
    assert [
        (o["contender"]["name"], o["probability"], o["rank"], o["ballots"], o["movement"]) for o in body["odds"]
    ] == [
        ("Nomadland", pytest.approx(2 / 3), 1, 1, None),
        ("The Father", pytest.approx(1 / 6), 2, 1, None),
        ("Minari", pytest.approx(1 / 6), 2, 1, None),
    ]  # a tie shares its rank and keeps the category's order
    assert len(body["history"]) == 3  # nothing after that day

    today = api.get(odds_url(season["picture"]), {"segment": "all", "as_of": timezone.now().date().isoformat()})
    assert _lines(today.json()) == _lines(api.get(odds_url(season["picture"]), {"segment": "all"}).json())

    before = api.get(odds_url(season["picture"]), {"as_of": (timezone.now() - timedelta(days=30)).date().isoformat()})
    assert before.json()["round"] is None  # the round had not opened
    assert before.json()["odds"] == []


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"segment": "nope"}, ['segment: "nope" is not a segment: use one of all, experts, editors, top24, combined.']),
        ({"as_of": "2021-02-30"}, ["as_of: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]),
        ({"as_of": "yesterday"}, ["as_of: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]),
        ({"history": "maybe"}, ["history: Must be a valid boolean."]),
    ],
)
def test_bad_odds_parameters_are_a_400_with_a_message(api, season, params, detail):
    response = api.get(odds_url(season["picture"]), params)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_far_dates_do_not_break_the_time_machine(api, season, voted):
    for day in ("0001-01-01", "9999-12-31"):
        response = api.get(odds_url(season["picture"]), {"as_of": day, "history": "1"})
        assert response.status_code == 200, day


def test_odds_of_a_category_without_ballots_are_empty(api, season):
    body = api.get(odds_url(season["editing"]), {"history": "1"}).json()
    assert body["round"]["id"] == season["round"].id
    assert body["odds"] == []
    assert body["history"] == []


def test_the_odds_take_the_same_number_of_queries_whatever_the_category_holds(api, season, fan, as_user):
    small = season["editing"]
    put(as_user(fan), small, {"ranking": [season["nominees"]["editing"][0].id]})

    big = CategoryFactory(ceremony=season["ceremony"], name="BEST ACTRESS")
    contenders = [ContenderFactory(category=big, name=f"Actress {i}") for i in range(8)]
    for c in contenders:
        c.films.add(FilmFactory(), FilmFactory())
    for i in range(6):
        put(as_user(UserFactory()), big, {"ranking": ids(contenders[i:] + contenders[:i])})
    OddsHistory.objects.filter(category=big).update(recorded_at=timezone.now() - timedelta(days=1, hours=1))
    put(as_user(UserFactory(role="expert")), big, {"ranking": ids(contenders[::-1])})

    today = timezone.now().date().isoformat()
    for params in ({}, {"history": "1"}, {"as_of": today, "history": "1", "segment": "all"}):
        counts = []
        for category in (small, big):
            with CaptureQueriesContext(connection) as queries:
                response = api.get(odds_url(category), params)
            assert response.status_code == 200
            assert response.json()["odds"]
            counts.append(len(queries))
        assert counts[0] == counts[1] <= 6, (params, counts)
    assert len(api.get(odds_url(big), {"segment": "all"}).json()["odds"]) == 8


def test_my_ballots_take_the_same_number_of_queries_whatever_i_ranked(season, fan, as_user):
    client = as_user(fan)
    url = f"/api/ceremonies/{season['ceremony'].id}/ballots/"
    put(client, season["editing"], {"ranking": [season["nominees"]["editing"][0].id]})
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    put(client, season["picture"], {"ranking": ids(season["nominees"]["picture"])})
    with CaptureQueriesContext(connection) as two:
        body = client.get(url).json()
    assert len(body["ballots"]) == 2
    assert len(one) == len(two)


# ---------------------------------------------------------------------------------------------
# Schema


def test_the_schema_documents_the_predictions_api(api, db):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    assert set(paths["/api/odds/{category_id}/"]) == {"get"}
    assert set(paths["/api/ballots/{category_id}/"]) == {"get", "put"}
    assert set(paths["/api/ceremonies/{ceremony_id}/ballots/"]) == {"get"}
    assert set(paths["/api/auth/token/"]) == {"post"}
    put_op = paths["/api/ballots/{category_id}/"]["put"]
    assert set(put_op["responses"]) == {"200", "400", "401", "403", "404"}
    assert put_op["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationErrors"
    }
    odds_params = {p["name"] for p in paths["/api/odds/{category_id}/"]["get"]["parameters"]}
    assert odds_params == {"category_id", "segment", "history", "as_of"}
    assert set(schema["components"]["schemas"]["BallotInput"]["properties"]) == {"ranking", "rationales"}
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_ballot_answer_is_what_its_declared_fields_give(season, expert, as_user):
    """BallotSerializer builds its answer directly; the declared fields are the schema. They must agree."""
    from rest_framework import serializers

    from predictions.api import BallotSerializer, _ballots

    picture = season["nominees"]["picture"]
    body = {"ranking": ids(picture[::-1]), "rationales": {str(picture[-1].id): "Zhao's <b>film</b>."}}
    answer = put(as_user(expert), season["picture"], body)
    assert answer.status_code == 200, answer.content
    for ballot in (_ballots().get(user=expert), Ballot.objects.get(user=expert)):  # prefetched picks, or a query
        fast = BallotSerializer(ballot).data
        declared = serializers.Serializer.to_representation(BallotSerializer(), ballot)
        assert fast == declared
        assert json.loads(json.dumps(fast)) == answer.json()
    assert answer.json()["picks"][0] == {"contender": picture[-1].id, "rank": 1, "rationale": "Zhao's <b>film</b>."}


@pytest.mark.parametrize(
    "body",
    [
        {"ranking": [3, 1, 2]},
        {"ranking": [3, 1, 2], "rationales": {}},
        {"ranking": []},
        {"ranking": list(range(1, 101))},
        {"ranking": list(range(1, 102))},
        {"ranking": [1, 0]},
        {"ranking": [1, -2]},
        {"ranking": [1, True]},
        {"ranking": [1, "2"]},
        {"ranking": [1, 2.0]},
        {"ranking": [1, None]},
        {"ranking": [10**30]},
        {"ranking": "1,2"},
        {"ranking": {"1": 1}},
        {"ranking": None},
        {},
        {"ranking": [1], "user": 7},
        {"ranking": [1], "rationales": {"1": "Because."}},
        {"ranking": [1], "rationales": {"1": "x" * 281}},
        {"ranking": [1], "rationales": []},
        {"ranking": [1], "rationales": None},
        [1, 2, 3],
        "ranking",
    ],
)
def test_the_plain_ballot_input_shortcut_answers_as_the_serializer_does(body):
    from predictions.api import BallotApi, _plain_ballot_input

    serializer = BallotApi.InputSerializer(data=body)
    valid = serializer.is_valid()
    fast = _plain_ballot_input(body)
    if fast is not None:  # the shortcut only accepts, and only what the serializer accepts, with the same result
        assert valid, serializer.errors
        assert fast == serializer.validated_data
    plain = [{"ranking": [3, 1, 2]}, {"ranking": [3, 1, 2], "rationales": {}}, {"ranking": []}, {"ranking": [10**30]}]
    plain.append({"ranking": list(range(1, 101))})
    assert (fast is not None) == (body in plain)  # and it does take every plain ranking


# ---------------------------------------------------------------------------------------------
# The plain PUT (BallotApi._put_plain) answers as DRF's path does


def _state():
    """Everything a save may change."""
    from predictions.models import OddsState

    return (
        sorted(Ballot.objects.values_list("user_id", "round_id", "category_id", "saved_at")),
        sorted(Pick.objects.values_list("user_id", "category_id", "contender_id", "rank", "rationale")),
        sorted(OddsState.objects.values_list("category_id", "ballot_version")),
    )


@pytest.fixture
def both_ways(monkeypatch, django_capture_on_commit_callbacks):
    """Send a request twice from the same database state: once as it comes (the plain path where it applies) and
    once with the plain path turned off (DRF's path). Returns both answers, the state each left, and whether the
    plain path answered the first."""
    from django.db import transaction

    from predictions.api import BallotApi

    plain_put = BallotApi._put_plain
    mode = {"off": False, "answered": False}

    def spied(self, request, category_id):
        if mode["off"]:
            return None
        response = plain_put(self, request, category_id)
        mode["answered"] = response is not None
        return response

    monkeypatch.setattr(BallotApi, "_put_plain", spied)

    def send(make):
        answers = []
        for off in (False, True):
            mode.update(off=off, answered=False)
            with transaction.atomic():
                with django_capture_on_commit_callbacks(execute=True):
                    response = make()
                answers.append((response, _state()))
                transaction.set_rollback(True)  # the second request starts from the same state
            if not off:
                answered = mode["answered"]
        return answers, answered

    return send


def _answer(response):
    if response["Content-Type"] != "application/json":  # the browsable API: a page with a CSRF token of its own
        return response.status_code, dict(response.headers)
    body = response.json()
    if isinstance(body, dict) and "saved_at" in body:
        assert body.pop("saved_at")  # a time of its own each way
    return response.status_code, dict(response.headers), body


def _ballots_saved_at_dropped(state):
    ballots, picks, versions = state
    return [row[:3] for row in ballots], picks, versions


def _with_rationale(season):
    picture = season["nominees"]["picture"]
    return {"ranking": ids(picture), "rationales": {str(picture[0].id): "Yes"}}


PLAIN_PUTS = [
    # (what, user, category, body, extra request headers, the plain path answers it)
    ("a ranking", "fan", "picture", lambda s: {"ranking": ids(s["nominees"]["picture"])}, {}, True),
    (
        "no rationales",
        "fan",
        "picture",
        lambda s: {"ranking": ids(s["nominees"]["picture"][:1]), "rationales": {}},
        {},
        True,
    ),
    (
        "the keyword in lower case",
        "fan",
        "editing",
        lambda s: {"ranking": ids(s["nominees"]["editing"])},
        {"keyword": "token"},
        True,
    ),
    (
        "an explicit JSON Accept and charset",
        "fan",
        "picture",
        lambda s: {"ranking": ids(s["nominees"]["picture"])},
        {"HTTP_ACCEPT": "application/json", "content_type": "application/json; charset=utf-8"},
        True,
    ),
    (
        "an expert's rationale",
        "expert",
        "picture",
        _with_rationale,
        {},
        False,
    ),
    (
        "a fan's rationale",
        "fan",
        "picture",
        _with_rationale,
        {},
        False,
    ),
    ("another category's contender", "fan", "picture", lambda s: {"ranking": ids(s["nominees"]["editing"])}, {}, False),
    ("a contender twice", "fan", "picture", lambda s: {"ranking": [s["nominees"]["picture"][0].id] * 2}, {}, False),
    ("a long-list contender", "fan", "picture", lambda s: {"ranking": [s["long_list"].id]}, {}, False),
    ("an empty ranking", "fan", "picture", lambda s: {"ranking": []}, {}, False),
    ("a user key", "fan", "picture", lambda s: {"ranking": ids(s["nominees"]["picture"]), "user": 1}, {}, False),
    ("a string id", "fan", "picture", lambda s: {"ranking": [str(s["nominees"]["picture"][0].id)]}, {}, False),
    ("no such category", "fan", None, lambda s: {"ranking": [1]}, {}, False),
    ("a bad token", "fan", "picture", lambda s: {"ranking": ids(s["nominees"]["picture"])}, {"token": "nope"}, False),
    ("a token with a third word", "fan", "picture", lambda s: {"ranking": [1]}, {"token": "a b"}, False),
    ("an inactive user", "inactive", "picture", lambda s: {"ranking": ids(s["nominees"]["picture"])}, {}, False),
    (
        "a format override",
        "fan",
        "picture",
        lambda s: {"ranking": ids(s["nominees"]["picture"])},
        {"query": "?format=json"},
        False,
    ),
    (
        "an HTML Accept",
        "fan",
        "picture",
        lambda s: {"ranking": ids(s["nominees"]["picture"])},
        {"HTTP_ACCEPT": "text/html"},
        False,
    ),
    (
        "another charset",
        "fan",
        "picture",
        lambda s: {"ranking": ids(s["nominees"]["picture"])},
        {"content_type": "application/json; charset=latin-1"},
        False,
    ),
    (
        "a form body",
        "fan",
        "picture",
        lambda s: {"ranking": ids(s["nominees"]["picture"])},
        {"content_type": "application/x-www-form-urlencoded"},
        False,
    ),
    ("malformed JSON", "fan", "picture", lambda s: '{"ranking": [', {}, False),
    ("an empty body", "fan", "picture", lambda s: "", {}, False),
]


@pytest.mark.parametrize(
    ("user_name", "category_name", "make_body", "extra", "plain"),
    [case[1:] for case in PLAIN_PUTS],
    ids=[case[0] for case in PLAIN_PUTS],
)
@pytest.mark.parametrize("round_open", [True, False], ids=["open", "closed"])
def test_the_plain_put_answers_as_drf_does(
    season, fan, expert, both_ways, user_name, category_name, make_body, extra, plain, round_open
):
    users = {"fan": fan, "expert": expert, "inactive": UserFactory(is_active=False)}
    key = Token.objects.get_or_create(user=users[user_name])[0].key
    # An earlier ballot of the fan's in each category: a save replaces it.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=fan)[0].key}")
    for category in ("picture", "editing"):
        assert put(client, season[category], {"ranking": ids(season["nominees"][category][::-1])}).status_code == 200
    if not round_open:
        Round.objects.filter(pk=season["round"].pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    extra = dict(extra)
    url = ballot_url(season[category_name]) if category_name else "/api/ballots/999999/"
    url += extra.pop("query", "")
    authorization = f"{extra.pop('keyword', 'Token')} {extra.pop('token', key)}"
    content_type = extra.pop("content_type", "application/json")
    body = make_body(season)
    body = body if isinstance(body, str) else json.dumps(body)

    def send():
        return APIClient().generic(
            "PUT", url, body, content_type=content_type, HTTP_AUTHORIZATION=authorization, **extra
        )

    before = _state()
    ((response, state), (drf_response, drf_state)), answered = both_ways(send)
    # A refusal is always DRF's to explain; the plain path saves on PostgreSQL only (its statement authenticates).
    assert answered == (plain and round_open and connection.vendor == "postgresql")
    assert _answer(response) == _answer(drf_response)
    assert _ballots_saved_at_dropped(state) == _ballots_saved_at_dropped(drf_state)
    if response.status_code != 200:
        assert state == before  # a refusal changes nothing
    else:
        assert state != before
