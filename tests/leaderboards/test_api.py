"""The leaderboards API end to end: who may announce, the boards an announcement produces, undo, cards, pages.

The ballots are saved with ballot_save while the winners round is open, running their on-commit odds recomputes, so
each pick is locked at the odds of the moment; the points are checked against those locked odds. The ranks below
are decided by accuracy (and, for the two users at 0%, by points: one wrong pick loses 100, two lose 200).
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from films.models import Contender
from leaderboards import scoring
from leaderboards.models import Announcement, LeaderboardState, Standing
from leaderboards.services import result_announce
from predictions.models import Pick
from predictions.odds import fractional_odds
from predictions.services import ballot_save
from tests.factories import CategoryFactory, ContenderFactory, UserFactory
from tests.leaderboards.conftest import index_boards

pytestmark = pytest.mark.django_db


def nominee(season, category, name):
    return next(c for c in season["nominees"][category] if c.name == name)


def board_url(season, **params):
    return f"/api/ceremonies/{season['ceremony'].id}/leaderboard/", params


def card_url(season, user):
    return f"/api/ceremonies/{season['ceremony'].id}/leaderboard/{user.id}/"


def announcement_url(category):
    return f"/api/categories/{category.id}/announcement/"


def close(season):
    season["round"].closes_at = timezone.now() - timedelta(seconds=1)
    season["round"].save(update_fields=["closes_at"])


def expected_points(user, round_, winners: dict[int, set[int]]) -> float:
    """The rules applied to the user's locked first picks: +100 x odds when right, -100 when wrong."""
    total = 0.0
    for pick in Pick.objects.filter(user=user, round=round_, rank=1):
        if pick.category_id in winners:
            total += scoring.pick_points(
                pick.locked_probability, correct=pick.contender_id in winners[pick.category_id]
            )
    return total


@pytest.fixture
def client_for(django_capture_on_commit_callbacks):
    """An APIClient signed in as `user` (None: anonymous), whose calls run their on-commit callbacks (the eager
    leaderboard recompute), as a real commit would."""

    class Client(APIClient):
        def generic(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return super().generic(*args, **kwargs)

    def make(user=None):
        client = Client()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def ballots(season, fan, expert, editor, django_capture_on_commit_callbacks):
    """Winners: Best Picture Nomadland, Film Editing Sound of Metal. The expert gets both, the editor one, "Solo"
    ranks Best Picture only (wrong), the fan gets both wrong. Saved while the round is open."""
    solo = UserFactory(display_name="Solo")
    plan = [
        (expert, "picture", ["Nomadland", "Minari"]),
        (expert, "editing", ["Sound of Metal"]),
        (editor, "picture", ["Nomadland"]),
        (editor, "editing", ["Promising"]),
        (solo, "picture", ["Minari"]),
        (fan, "picture", ["The Father", "Nomadland"]),
        (fan, "editing", ["Nomadland"]),
    ]
    for user, category, names in plan:
        with django_capture_on_commit_callbacks(execute=True):
            ballot_save(user=user, category=season[category], ranking=[nominee(season, category, n).id for n in names])
    return {"solo": solo}


def announce(client, season, category, *names):
    ids = [nominee(season, category, n).id for n in names]
    return client.post(announcement_url(season[category]), {"contender_ids": ids}, format="json")


def get_board(client, season, **params):
    url, query = board_url(season, **params)
    response = client.get(url, query)
    assert response.status_code == 200, response.content
    return response.json()


def ranks(body):
    return [(row["user"]["display_name"], row["rank"]) for row in body["results"]]


# --- who may announce ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("fan", 403), ("expert", 403), ("moderator", 403)])
def test_only_editors_announce(season, ballots, client_for, role, status):
    close(season)
    client = client_for(UserFactory(role=role) if role else None)
    response = announce(client, season, "picture", "Nomadland")
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"detail": "Only editors announce results."}
    assert not Announcement.objects.exists()
    assert not Contender.objects.filter(is_winner=True).exists()
    assert not LeaderboardState.objects.exists()
    assert not Standing.objects.exists()


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("fan", 403), ("expert", 403), ("moderator", 403)])
def test_only_editors_undo(season, ballots, editor, client_for, role, status):
    close(season)
    assert announce(client_for(editor), season, "picture", "Nomadland").status_code == 200
    version = LeaderboardState.objects.get().version
    response = client_for(UserFactory(role=role) if role else None).delete(announcement_url(season["picture"]))
    assert response.status_code == status
    assert Announcement.objects.standing().count() == 1
    assert Contender.objects.get(pk=nominee(season, "picture", "Nomadland").pk).is_winner
    assert LeaderboardState.objects.get().version == version


# --- announcing, the leaderboard, undoing --------------------------------------------------------------------------


def test_announcing_fills_the_leaderboards(season, ballots, fan, expert, editor, client_for):
    close(season)
    as_editor = client_for(editor)
    response = announce(as_editor, season, "picture", "Nomadland")
    assert response.status_code == 200, response.content
    body = response.json()
    nomadland = nominee(season, "picture", "Nomadland")
    assert body["category"] == season["picture"].id
    assert body["winners"] == [nomadland.id]
    assert [(a["contender"], a["announced_by"]) for a in body["announced"]] == [(nomadland.id, editor.id)]
    assert announce(as_editor, season, "editing", "Sound of Metal").status_code == 200
    assert Contender.objects.filter(is_winner=True).count() == 2

    winners = {
        season["picture"].id: {nomadland.id},
        season["editing"].id: {nominee(season, "editing", "Sound of Metal").id},
    }
    board = get_board(client_for(fan), season)
    assert board["round"]["id"] == season["round"].id
    assert board["segment"] == "all"
    assert board["count"] == 4
    assert board["updating"] is False
    assert ranks(board) == [("An Expert", 1), ("An Editor", 2), ("Solo", 3), ("A Fan", 4)]
    rows = {row["user"]["display_name"]: row for row in board["results"]}
    assert [rows["An Expert"][k] for k in ("correct", "decided", "predicted", "accuracy")] == [2, 2, 2, 1.0]
    assert [rows["An Editor"][k] for k in ("correct", "decided", "accuracy")] == [1, 2, 0.5]
    assert [rows["Solo"][k] for k in ("correct", "predicted", "accuracy", "points")] == [0, 1, 0.0, -100.0]
    assert rows["A Fan"]["points"] == -200.0
    for user, name in ((expert, "An Expert"), (editor, "An Editor")):
        assert rows[name]["points"] == pytest.approx(expected_points(user, season["round"], winners))
    assert rows["An Expert"]["points"] > 200  # two right picks, each at odds better than evens
    assert all(row["best_rank"] is None and row["worst_rank"] is None for row in board["results"])
    assert board["me"]["user"] == {"id": fan.id, "display_name": "A Fan"}
    assert board["me"]["rank"] == 4
    assert board["my_page"] == 1

    experts = get_board(APIClient(), season, segment="experts")
    assert ranks(experts) == [("An Expert", 1)]
    assert experts["me"] is None and experts["my_page"] is None
    assert ranks(get_board(APIClient(), season, segment="editors")) == [("An Editor", 1)]
    assert get_board(APIClient(), season, segment="top24")["results"] == []
    nominations = get_board(APIClient(), season, round="nominations")
    assert nominations["round"] is None and nominations["count"] == 0 and nominations["results"] == []


def test_live_bounds_while_categories_are_undecided(season, ballots, editor, client_for):
    close(season)
    assert announce(client_for(editor), season, "picture", "Nomadland").status_code == 200
    rows = {row["user"]["display_name"]: row for row in get_board(APIClient(), season)["results"]}
    # Correct so far / most still possible: expert 1/2, editor 1/2, fan 0/1, Solo 0/0.
    assert {name: (row["best_rank"], row["worst_rank"]) for name, row in rows.items()} == {
        "An Expert": (1, 2),
        "An Editor": (1, 2),
        "A Fan": (1, 3),
        "Solo": (3, 4),
    }
    # Both right; the expert saved first, at longer odds than the editor got, so has more points.
    assert (rows["An Expert"]["rank"], rows["An Editor"]["rank"]) == (1, 2)
    assert rows["An Expert"]["points"] > rows["An Editor"]["points"] > 0
    # Both 0% and -100 so far: Solo's final save came first.
    assert (rows["Solo"]["rank"], rows["A Fan"]["rank"]) == (3, 4)
    assert rows["A Fan"]["points"] == rows["Solo"]["points"] == -100.0


def test_a_tied_winner_and_undo(season, ballots, editor, client_for):
    close(season)
    as_editor = client_for(editor)
    assert announce(as_editor, season, "picture", "Minari").status_code == 200
    assert ranks(get_board(APIClient(), season))[0] == ("Solo", 1)  # the only one who picked Minari
    response = announce(as_editor, season, "picture", "Nomadland")  # a tie: both win
    assert sorted(response.json()["winners"]) == sorted(
        [nominee(season, "picture", "Minari").id, nominee(season, "picture", "Nomadland").id]
    )
    assert [a["contender"] for a in response.json()["announced"]] == [nominee(season, "picture", "Nomadland").id]
    tied = get_board(APIClient(), season)
    rows = {row["user"]["display_name"]: row for row in tied["results"]}
    assert {name for name, row in rows.items() if row["accuracy"] == 1.0} == {"An Expert", "An Editor", "Solo"}
    assert ranks(tied)[-1] == ("A Fan", 4)

    response = as_editor.delete(announcement_url(season["picture"]))
    assert response.status_code == 200, response.content
    assert response.json() == {"category": season["picture"].id, "undone": 2}
    assert not Contender.objects.filter(is_winner=True).exists()
    assert Announcement.objects.count() == 2 and not Announcement.objects.standing().exists()
    after = get_board(APIClient(), season)
    assert all((row["decided"], row["correct"], row["points"]) == (0, 0, 0.0) for row in after["results"])
    # Nothing decided: everyone at 0% and 0 points, ranked by their final save.
    assert ranks(after) == [("An Expert", 1), ("An Editor", 2), ("Solo", 3), ("A Fan", 4)]

    again = as_editor.delete(announcement_url(season["picture"]))
    assert again.status_code == 400
    assert again.json() == {"detail": ["Nothing to undo: no winner of Best Picture is announced."]}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, ["contender_ids: This field is required."]),
        ({"contender_ids": []}, ["contender_ids: This list may not be empty."]),
        ({"contender_ids": ["x"]}, ["contender_ids[0]: A valid integer is required."]),
        ({"contender_ids": "1"}, ['contender_ids: Expected a list of items but got type "str".']),
    ],
)
def test_a_bad_announcement_body_is_a_400(season, editor, client_for, body, detail):
    close(season)
    response = client_for(editor).post(announcement_url(season["picture"]), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert not Announcement.objects.exists()


def test_the_services_refusals_are_400s(season, ballots, editor, client_for):
    as_editor = client_for(editor)
    response = announce(as_editor, season, "picture", "Nomadland")  # the round is still open
    assert response.status_code == 400
    assert response.json() == {"detail": ["Close predictions before announcing."]}
    close(season)
    wrong = as_editor.post(
        announcement_url(season["picture"]), {"contender_ids": [season["long_list"].id]}, format="json"
    )
    assert wrong.status_code == 400
    assert wrong.json() == {"detail": ["Announce only nominees of Best Picture."]}
    not_json = as_editor.post(announcement_url(season["picture"]), "{", content_type="application/json")
    assert not_json.status_code == 400
    assert not Announcement.objects.exists()
    assert not LeaderboardState.objects.exists()
    assert as_editor.post(
        "/api/categories/999999/announcement/", {"contender_ids": [1]}, format="json"
    ).status_code == (404)


# --- the leaderboard's parameters and pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"round": "final"}, ['round: "final" is not a round: use one of nominations, winners.']),
        (
            {"segment": "combined"},
            [
                'segment: "combined" is not a leaderboard: use one of all, experts, editors, top24 (Combined blends '
                "the segments' odds; it has no leaderboard)."
            ],
        ),
        (
            {"segment": "fans"},
            [
                'segment: "fans" is not a leaderboard: use one of all, experts, editors, top24 '
                "(Combined blends the segments' odds; it has no leaderboard)."
            ],
        ),
        ({"page": "0"}, ["page: Ensure this value is greater than or equal to 1."]),
        ({"page": "two"}, ["page: A valid integer is required."]),
        ({"page_size": "500"}, ["page_size: Ensure this value is less than or equal to 200."]),
    ],
)
def test_bad_leaderboard_parameters_are_400s(season, params, detail):
    url, _ = board_url(season)
    response = APIClient().get(url, params)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_unknown_ceremony_user_and_page_are_404s(season, fan):
    assert APIClient().get("/api/ceremonies/999999/leaderboard/").status_code == 404
    assert APIClient().get(f"/api/ceremonies/999999/leaderboard/{fan.id}/").status_code == 404
    assert APIClient().get(f"/api/ceremonies/{season['ceremony'].id}/leaderboard/999999/").status_code == 404
    url, _ = board_url(season)
    assert APIClient().get(url, {"page": 2}).status_code == 404


def make_standings(season, count, prefix="Player"):
    """`count` users on the winners board, ranked 1..count (written directly: the API only reads them)."""
    now = timezone.now()
    users = [UserFactory(display_name=f"{prefix} {i:03d}") for i in range(count)]
    Standing.objects.bulk_create(
        Standing(
            round=season["round"],
            segment="all",
            user=user,
            rank=i + 1,
            correct=count - i,
            decided=count,
            predicted=count,
            accuracy=(count - i) / count,
            points=0.0,
            final_saved_at=now,
            position=0,  # index_boards sets it
        )
        for i, user in enumerate(users)
    )
    index_boards()
    return users


def test_the_leaderboard_is_paginated_with_my_page(season):
    users = make_standings(season, 60)
    me = users[55]
    client = APIClient()
    client.force_authenticate(me)
    url, _ = board_url(season)
    first = get_board(client, season)
    assert first["count"] == 60
    assert [row["rank"] for row in first["results"]] == list(range(1, 51))
    assert first["previous"] is None and first["next"].endswith("page=2")
    assert first["me"]["rank"] == 56 and first["me"]["user"]["id"] == me.id
    assert first["my_page"] == 2
    second = get_board(client, season, page=2)
    assert [row["user"]["display_name"] for row in second["results"]] == [f"Player {i:03d}" for i in range(50, 60)]
    assert second["next"] is None
    small = get_board(client, season, page_size=20, page=3)
    assert [row["rank"] for row in small["results"]] == list(range(41, 61))
    assert small["my_page"] == 3


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_the_leaderboard_runs_a_constant_number_of_queries(season):
    users = make_standings(season, 3)
    client = APIClient()
    client.force_authenticate(users[1])
    url, _ = board_url(season)
    few = count_queries(client, url)
    Standing.objects.all().delete()
    users = make_standings(season, 120, prefix="Many")
    client.force_authenticate(users[100])
    assert count_queries(client, url) == few
    assert count_queries(client, url, {"page": 3}) == few


# --- a user's card -------------------------------------------------------------------------------------------------


def test_a_fans_picks_are_hidden_from_others_while_the_round_is_open(season, ballots, fan, expert, client_for):
    hidden = APIClient().get(card_url(season, fan)).json()
    assert hidden["user"] == {"id": fan.id, "display_name": "A Fan"}
    assert hidden["picks_public"] is False and hidden["picks"] == []
    assert client_for(expert).get(card_url(season, fan)).json()["picks"] == []

    own = client_for(fan).get(card_url(season, fan)).json()
    assert own["picks_public"] is True
    assert [(p["category_name"], p["contender_name"], p["result"]) for p in own["picks"]] == [
        ("Best Picture", "The Father", "pending"),
        ("Film Editing", "Nomadland", "pending"),
    ]
    experts = APIClient().get(card_url(season, expert)).json()  # experts predict in public
    assert experts["picks_public"] is True and len(experts["picks"]) == 2


def test_the_card_after_the_results(season, ballots, fan, editor, client_for):
    close(season)
    assert announce(client_for(editor), season, "picture", "Nomadland").status_code == 200
    card = APIClient().get(card_url(season, editor)).json()
    assert card["ceremony"]["id"] == season["ceremony"].id
    assert card["winners_round"]["id"] == season["round"].id
    assert card["picks_public"] is True
    picks = {p.category_id: p for p in Pick.objects.filter(user=editor, rank=1)}
    nomadland = nominee(season, "picture", "Nomadland")
    picture, editing = card["picks"]
    locked = picks[season["picture"].id].locked_probability
    assert picture == {
        "category": season["picture"].id,
        "category_name": "Best Picture",
        "contender": nomadland.id,
        "contender_name": "Nomadland",
        "winners": [nomadland.id],
        "winner_names": "Nomadland",
        "result": "right",
        "locked_probability": locked,
        "odds": fractional_odds(locked),
        "points": scoring.pick_points(locked, correct=True),
        "to_win": None,
    }
    assert editing["result"] == "pending" and editing["winners"] == [] and editing["points"] is None
    assert editing["to_win"] == scoring.pick_points(picks[season["editing"].id].locked_probability, correct=True)
    # All users: right, like the expert, who saved first, at longer odds: more points, so second. Editors: alone.
    assert [
        (s["round"], s["segment"], s["size"], s["rank"], s["correct"], s["decided"]) for s in card["standings"]
    ] == [
        ("winners", "all", 4, 2, 1, 1),
        ("winners", "editors", 1, 1, 1, 1),
    ]

    fans = APIClient().get(card_url(season, fan)).json()  # predictions have closed: public now
    assert [(p["contender_name"], p["result"], p["points"]) for p in fans["picks"]] == [
        ("The Father", "wrong", -100.0),
        ("Nomadland", "pending", None),
    ]
    assert [(s["segment"], s["rank"]) for s in fans["standings"]] == [("all", 4)]  # -100 like Solo, saved later


def test_the_card_runs_a_constant_number_of_queries(season, ballots, fan, editor, django_capture_on_commit_callbacks):
    extras = []
    for i in range(3):  # three more categories the fan ranks (Solo ranks one category in all)
        category = CategoryFactory(ceremony=season["ceremony"], name=f"EXTRA {i}", order=10 + i)
        contenders = [ContenderFactory(category=category, name=f"Extra {i}-{j}") for j in range(3)]
        with django_capture_on_commit_callbacks(execute=True):
            ballot_save(user=fan, category=category, ranking=[contenders[0].id])
        extras.append((category, contenders))
    close(season)
    with django_capture_on_commit_callbacks(execute=True):
        result_announce(
            editor=editor, category=season["picture"], contender_ids=[nominee(season, "picture", "Nomadland").id]
        )
        for i, (category, contenders) in enumerate(extras[:2]):
            result_announce(editor=editor, category=category, contender_ids=[contenders[i].id])
    body = APIClient().get(card_url(season, fan)).json()
    assert [(p["category_name"], p["result"]) for p in body["picks"]] == [
        ("Best Picture", "wrong"),
        ("Film Editing", "pending"),
        ("Extra 0", "right"),
        ("Extra 1", "wrong"),
        ("Extra 2", "pending"),
    ]
    assert count_queries(APIClient(), card_url(season, fan)) == count_queries(
        APIClient(), card_url(season, ballots["solo"])
    )


# --- the schema ----------------------------------------------------------------------------------------------------


def test_the_schema_documents_the_leaderboards_api(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    board = paths["/api/ceremonies/{ceremony_id}/leaderboard/"]["get"]
    assert board["operationId"] == "leaderboard_retrieve"
    assert {p["name"] for p in board["parameters"]} == {"ceremony_id", "round", "segment", "page", "page_size"}
    assert paths["/api/ceremonies/{ceremony_id}/leaderboard/{user_id}/"]["get"]["operationId"] == (
        "leaderboard_card_retrieve"
    )
    announcement = paths["/api/categories/{category_id}/announcement/"]
    assert announcement["post"]["operationId"] == "announcement_create"
    assert announcement["delete"]["operationId"] == "announcement_destroy"
    assert {"400", "401", "403", "404"} <= set(announcement["post"]["responses"])
    assert set(schema["components"]["schemas"]["AnnouncementInput"]["properties"]) == {"contender_ids"}
    assert "best_rank" in schema["components"]["schemas"]["LeaderboardStanding"]["properties"]
