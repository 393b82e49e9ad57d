"""ballot_save and odds_recompute: every rule of the first flow, and what a save changes."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.utils import timezone

from films.models import Contender, Round
from predictions.models import Ballot, Odds, OddsHistory, OddsState, Pick
from predictions.services import ballot_save, odds_recompute, odds_sweep
from tests.factories import CategoryFactory, ContenderFactory

pytestmark = pytest.mark.django_db


def ids(contenders):
    return [c.id for c in contenders]


def _state(season, category="picture"):
    return OddsState.objects.get(round=season["round"], category=season[category])


@pytest.fixture
def save(django_capture_on_commit_callbacks):
    """ballot_save, then its on-commit callbacks as a real commit would run them (eager tasks here)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return ballot_save(**kwargs)

    return run


def test_a_save_stores_the_ranking_and_marks_the_category_stale(season, fan, django_capture_on_commit_callbacks):
    picture = season["nominees"]["picture"]
    with django_capture_on_commit_callbacks() as callbacks:
        ballot = ballot_save(user=fan, category=season["picture"], ranking=ids(picture[::-1]))
    assert list(ballot.picks.order_by("rank").values_list("contender__name", "rank")) == [
        ("Minari", 1),
        ("The Father", 2),
        ("Nomadland", 3),
    ]
    assert _state(season).ballot_version == 1
    assert len(callbacks) == 1  # the recompute request, queued on commit


def test_saving_again_replaces_the_ranking(season, fan):
    picture = season["nominees"]["picture"]
    ballot_save(user=fan, category=season["picture"], ranking=ids(picture))
    ballot = ballot_save(user=fan, category=season["picture"], ranking=[picture[2].id])
    assert Ballot.objects.count() == 1
    assert list(ballot.picks.values_list("contender_id", flat=True)) == [picture[2].id]
    assert _state(season).ballot_version == 2


def test_eager_recompute_gives_odds_in_every_segment_with_ballots(season, fan, expert, save):
    picture = season["nominees"]["picture"]
    save(user=fan, category=season["picture"], ranking=ids(picture))
    save(user=expert, category=season["picture"], ranking=ids(picture[::-1]))
    odds = Odds.objects.filter(category=season["picture"])
    assert set(odds.values_list("segment", flat=True)) == {"all", "experts", "combined"}
    all_users = {o.contender.name: o for o in odds.filter(segment="all")}
    assert all_users["Nomadland"].ballots == 2
    assert all_users["Nomadland"].probability == pytest.approx(all_users["Minari"].probability)
    assert all_users["Nomadland"].rank == all_users["Minari"].rank == 1
    assert _state(season).odds_version == _state(season).ballot_version == 2
    assert sum(o.probability for o in odds.filter(segment="combined")) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("make_ranking", "message"),
    [
        (lambda s: [], "Rank at least one contender."),
        (lambda s: [s["nominees"]["picture"][0].id] * 2, "Rank each contender at most once."),
        (lambda s: [s["nominees"]["editing"][0].id], "Rank only the contenders of"),
        (lambda s: [s["long_list"].id], "Rank only the contenders of"),
        (lambda s: [999999], "Rank only the contenders of"),
    ],
)
def test_bad_rankings_are_refused_and_change_nothing(season, fan, make_ranking, message):
    with pytest.raises(ValidationError, match=message):
        ballot_save(user=fan, category=season["picture"], ranking=make_ranking(season))
    assert not Ballot.objects.exists() and not Pick.objects.exists() and not OddsState.objects.exists()


def test_a_closed_round_refuses_saves(season, fan):
    after = season["round"].closes_at + timedelta(seconds=1)
    with pytest.raises(ValidationError, match="Predictions for Best Picture are closed."):
        ballot_save(user=fan, category=season["picture"], ranking=ids(season["nominees"]["picture"]), now=after)
    before = season["round"].opens_at - timedelta(seconds=1)
    with pytest.raises(ValidationError, match="closed"):
        ballot_save(user=fan, category=season["picture"], ranking=ids(season["nominees"]["picture"]), now=before)
    assert not Ballot.objects.exists()


def test_a_closed_round_keeps_the_earlier_ballot_unchanged(season, fan):
    picture = season["nominees"]["picture"]
    ballot_save(user=fan, category=season["picture"], ranking=ids(picture))
    with pytest.raises(ValidationError):
        ballot_save(
            user=fan,
            category=season["picture"],
            ranking=ids(picture[::-1]),
            now=season["round"].closes_at,
        )
    assert list(Pick.objects.order_by("rank").values_list("contender_id", flat=True)) == ids(picture)


def test_anonymous_and_inactive_users_cannot_save(season, fan):
    with pytest.raises(ValidationError, match="Log in"):
        ballot_save(user=AnonymousUser(), category=season["picture"], ranking=ids(season["nominees"]["picture"]))
    fan.is_active = False
    with pytest.raises(ValidationError, match="not active"):
        ballot_save(user=fan, category=season["picture"], ranking=ids(season["nominees"]["picture"]))
    assert not Ballot.objects.exists()


def test_honorary_categories_are_not_predicted(season, fan):
    honorary = CategoryFactory(ceremony=season["ceremony"], name="HONORARY AWARD", award_class="Special")
    person = ContenderFactory(category=honorary)
    with pytest.raises(ValidationError, match="not predicted"):
        ballot_save(user=fan, category=honorary, ranking=[person.id])


def test_rationales_are_for_experts_and_editors_and_short(season, fan, expert, editor):
    picture = season["nominees"]["picture"]
    with pytest.raises(ValidationError, match="Only experts and editors"):
        ballot_save(user=fan, category=season["picture"], ranking=ids(picture), rationales={picture[0].id: "Because"})
    with pytest.raises(ValidationError, match="at most 280 characters"):
        ballot_save(
            user=expert, category=season["picture"], ranking=ids(picture), rationales={picture[0].id: "x" * 281}
        )
    with pytest.raises(ValidationError, match="belong to a contender you ranked"):
        ballot_save(
            user=expert, category=season["picture"], ranking=[picture[0].id], rationales={picture[1].id: "Why not"}
        )
    assert not Ballot.objects.exists()
    ballot_save(user=editor, category=season["picture"], ranking=ids(picture), rationales={picture[0].id: " Sweep. "})
    assert Pick.objects.get(contender=picture[0]).rationale == "Sweep."


def test_the_nominations_round_ranks_the_long_list_and_counts_the_top_k(season, fan, save):
    from films.models import Round

    season["round"].delete()
    nominations = Round.objects.create(
        ceremony=season["ceremony"],
        kind=Round.Kind.NOMINATIONS,
        opens_at=season["now"] - timedelta(days=1),
        closes_at=season["now"] + timedelta(days=1),
    )
    ranking = [season["long_list"].id, *ids(season["nominees"]["picture"])]
    save(user=fan, category=season["picture"], ranking=ranking)
    odds = dict(Odds.objects.filter(round=nominations, segment="all").values_list("contender__name", "probability"))
    # slots = 3: the first three of the ranking are the fan's nomination picks; shares sum to 3.
    assert sum(odds.values()) == pytest.approx(3.0)
    assert odds["Not nominated"] > odds["Minari"]


def test_recompute_is_idempotent_and_keeps_history_only_for_changes(season, fan, save):
    picture = season["nominees"]["picture"]
    save(user=fan, category=season["picture"], ranking=ids(picture))
    rows = list(Odds.objects.order_by("id").values_list("contender_id", "segment", "probability", "rank", "ballots"))
    history = OddsHistory.objects.count()
    odds_recompute(round_id=season["round"].id, category_id=season["picture"].id)
    odds_recompute(round_id=season["round"].id, category_id=season["picture"].id)
    assert (
        list(Odds.objects.order_by("id").values_list("contender_id", "segment", "probability", "rank", "ballots"))
        == rows
    )
    assert OddsHistory.objects.count() == history


def test_a_failing_broker_never_fails_a_committed_save(season, fan, monkeypatch, django_capture_on_commit_callbacks):
    from predictions import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.odds_recompute, "delay", broken)
    monkeypatch.setattr(tasks.odds_recompute, "apply_async", broken)
    with django_capture_on_commit_callbacks(execute=True):
        ballot_save(user=fan, category=season["picture"], ranking=ids(season["nominees"]["picture"]))
    assert Ballot.objects.count() == 1
    assert _state(season).is_stale  # the sweep will catch up
    monkeypatch.undo()
    assert odds_sweep() == 1
    assert not _state(season).is_stale
    assert odds_sweep() == 0  # running the periodic job twice: nothing left to do


def test_each_pick_is_staked_at_the_combined_odds_of_its_save(season, fan, expert, save):
    picture = season["nominees"]["picture"]
    first = save(user=fan, category=season["picture"], ranking=ids(picture))
    # Before any odds exist: the even prior, one winner among three nominees.
    assert [p.locked_probability for p in first.saved_picks] == pytest.approx([1 / 3] * 3)
    second = save(user=expert, category=season["picture"], ranking=ids(picture[::-1]))
    combined = dict(
        Odds.objects.filter(category=season["picture"], segment="combined").values_list("contender_id", "probability")
    )
    # The expert's picks were staked at the Combined odds after the fan's ballot, not after their own.
    stakes = {p.contender_id: p.locked_probability for p in second.saved_picks}
    assert stakes[picture[0].id] > stakes[picture[2].id]
    assert stakes != {cid: combined[cid] for cid in stakes}


# The per-process rules a save is checked against (services.save_rules) may be up to SAVE_RULES_TTL_SECONDS
# old; what the tables say wins at once.


def test_a_round_closed_after_its_rules_were_cached_refuses_at_once(season, fan):
    picture = season["nominees"]["picture"]
    ballot_save(user=fan, category=season["picture"], ranking=ids(picture))  # caches the rules
    Round.objects.filter(pk=season["round"].pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="closed"):
        ballot_save(user=fan, category=season["picture"], ranking=ids(picture[::-1]))
    assert list(Pick.objects.order_by("rank").values_list("contender_id", flat=True)) == ids(picture)
    assert _state(season).ballot_version == 1


def test_a_contender_dropped_after_the_rules_were_cached_is_refused_at_once(season, fan):
    picture = season["nominees"]["picture"]
    ballot_save(user=fan, category=season["picture"], ranking=ids(picture))
    Contender.objects.filter(pk=picture[2].pk).update(is_nominee=False)
    with pytest.raises(ValidationError, match="Rank only the contenders"):
        ballot_save(user=fan, category=season["picture"], ranking=ids(picture[::-1]))
    assert list(Pick.objects.order_by("rank").values_list("contender_id", flat=True)) == ids(picture)
    ballot = ballot_save(user=fan, category=season["picture"], ranking=ids(picture[:2]))
    assert [pick.contender_id for pick in ballot.ranked_picks] == ids(picture[:2])


def test_a_round_opened_after_the_rules_were_cached_gets_the_next_save(season, fan):
    picture = season["nominees"]["picture"]
    ballot_save(user=fan, category=season["picture"], ranking=ids(picture))
    Round.objects.filter(pk=season["round"].pk).update(opens_at=season["now"] - timedelta(days=30))
    nominations = Round.objects.create(
        ceremony=season["ceremony"],
        kind=Round.Kind.NOMINATIONS,
        opens_at=season["now"] - timedelta(days=1),
        closes_at=season["now"] + timedelta(days=1),
    )
    ranking = [season["long_list"].id, *ids(picture)]
    ballot = ballot_save(user=fan, category=season["picture"], ranking=ranking)
    assert ballot.round_id == nominations.id
    assert list(Pick.objects.filter(round=nominations).order_by("rank").values_list("contender_id", flat=True)) == (
        ranking
    )


def test_a_reordered_ranking_replaces_every_pick_and_returns_them_best_first(season, fan, expert):
    picture = season["nominees"]["picture"]
    ballot_save(user=expert, category=season["picture"], ranking=ids(picture))
    ballot = ballot_save(
        user=expert, category=season["picture"], ranking=ids(picture[::-1]), rationales={picture[0].id: "Late surge"}
    )
    saved = [(pick.contender_id, pick.rank, pick.rationale) for pick in ballot.ranked_picks]
    stored = list(Pick.objects.filter(ballot=ballot).order_by("rank").values_list("contender_id", "rank", "rationale"))
    assert saved == stored == [(picture[2].id, 1, ""), (picture[1].id, 2, ""), (picture[0].id, 3, "Late surge")]
    assert all(pick.pk for pick in ballot.ranked_picks)
    assert Ballot.objects.get().saved_at == ballot.saved_at


def test_the_saved_ballot_and_picks_equal_what_the_database_holds(season, expert):
    picture = season["nominees"]["picture"]
    ballot = ballot_save(
        user=expert, category=season["picture"], ranking=ids(picture[::-1]), rationales={picture[1].id: "Close"}
    )
    fields = lambda obj: {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}  # noqa: E731
    assert fields(ballot) == fields(Ballot.objects.get())
    stored = {pick.pk: fields(pick) for pick in Pick.objects.all()}
    assert {pick.pk: fields(pick) for pick in ballot.saved_picks} == stored
    assert all(not pick._state.adding for pick in [ballot, *ballot.saved_picks])
    assert ballot.saved_picks[0].ballot is ballot and ballot.saved_picks[0].user == expert  # no query needed


# --- a save authenticated by its own statement (the API's plain PUT) ------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the save statement that authenticates a token is PostgreSQL's"
)


def _saved():
    return (
        sorted(Ballot.objects.values_list("user_id", "category_id", "saved_at")),
        sorted(Pick.objects.values_list("user_id", "contender_id", "rank")),
        sorted(OddsState.objects.values_list("category_id", "ballot_version")),
    )


def test_a_save_by_token_is_none_off_postgresql(season, fan):
    from rest_framework.authtoken.models import Token

    from predictions.services import ballot_save_for_token

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL saves by token")
    token = Token.objects.create(user=fan)
    assert (
        ballot_save_for_token(token=token.key, category=season["picture"], ranking=ids(season["nominees"]["picture"]))
        is None
    )
    assert not Ballot.objects.exists()


@postgresql_only
def test_a_save_by_token_writes_for_the_token_s_user(season, fan, expert, django_capture_on_commit_callbacks):
    from rest_framework.authtoken.models import Token

    from predictions.services import ballot_save_for_token

    picture = season["nominees"]["picture"]
    token = Token.objects.create(user=fan)
    ballot_save(user=expert, category=season["picture"], ranking=ids(picture))
    with django_capture_on_commit_callbacks() as callbacks:
        ballot = ballot_save_for_token(token=token.key, category=season["picture"], ranking=ids(picture[::-1]))
    assert ballot.user_id == fan.id and ballot.round_id == season["round"].id
    fields = lambda obj: {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}  # noqa: E731
    assert fields(ballot) == fields(Ballot.objects.get(user=fan))
    assert [fields(pick) for pick in ballot.saved_picks] == [
        fields(p) for p in Pick.objects.filter(user=fan).order_by("rank")
    ]
    assert [pick.contender_id for pick in ballot.saved_picks] == ids(picture[::-1])
    assert _state(season).ballot_version == 2
    assert len(callbacks) == 1  # the recompute request, queued on commit


@postgresql_only
@pytest.mark.parametrize("refusal", ["unknown token", "deleted token", "inactive user", "deleted user"])
def test_a_save_by_a_refused_token_writes_nothing(season, fan, refusal):
    from rest_framework.authtoken.models import Token

    from predictions.services import ballot_save_for_token, save_rules

    picture = season["nominees"]["picture"]
    key = Token.objects.create(user=fan).key
    ballot_save_for_token(token=key, category=season["picture"], ranking=ids(picture))  # an earlier ballot
    if refusal == "unknown token":
        key = "0" * 40
    elif refusal == "deleted token":
        Token.objects.filter(key=key).delete()
    elif refusal == "inactive user":
        type(fan).objects.filter(pk=fan.pk).update(is_active=False)  # no signal: nothing but the table knows
    before = _saved()
    if refusal == "deleted user":
        fan.delete()
        before = _saved()
    rules = save_rules(season["picture"].id)
    assert ballot_save_for_token(token=key, category=season["picture"], ranking=ids(picture[::-1])) is None
    assert _saved() == before
    assert save_rules(season["picture"].id) is rules  # a refused token says nothing about the cached rules


@postgresql_only
@pytest.mark.parametrize(
    "make_ranking",
    [
        lambda s: [],
        lambda s: [s["long_list"].id],
        lambda s: ids(s["nominees"]["editing"]),
        lambda s: [s["nominees"]["picture"][0].id] * 2,
    ],
    ids=["empty", "long list", "another category", "twice"],
)
def test_a_save_by_token_that_breaks_a_rule_is_none_and_writes_nothing(season, fan, make_ranking):
    from rest_framework.authtoken.models import Token

    from predictions.services import ballot_save_for_token

    key = Token.objects.create(user=fan).key
    ballot_save_for_token(token=key, category=season["picture"], ranking=ids(season["nominees"]["picture"]))
    before = _saved()
    assert ballot_save_for_token(token=key, category=season["picture"], ranking=make_ranking(season)) is None
    assert _saved() == before
    with pytest.raises(ValidationError):  # ballot_save, which the caller runs next, says why
        ballot_save(user=fan, category=season["picture"], ranking=make_ranking(season))


# --- deleting ballots ----------------------------------------------------------------------------------------------


def test_deleting_ballots_bumps_their_categories_and_recomputes_their_odds(
    season, fan, expert, save, django_capture_on_commit_callbacks
):
    from predictions.services import ballots_delete

    picture, editing = season["nominees"]["picture"], season["nominees"]["editing"]
    save(user=fan, category=season["picture"], ranking=ids(picture[::-1]))
    save(user=fan, category=season["editing"], ranking=ids(editing))
    save(user=expert, category=season["picture"], ranking=ids(picture))
    before = {c: _state(season, c).ballot_version for c in ("picture", "editing")}
    assert Odds.objects.filter(round=season["round"], category=season["picture"], segment="all")[0].ballots == 2

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        deleted = ballots_delete(ballots=Ballot.objects.filter(user=fan, category=season["picture"]))
    assert deleted == 1 and len(callbacks) == 1
    assert {c: _state(season, c).ballot_version for c in ("picture", "editing")} == {
        "picture": before["picture"] + 1,
        "editing": before["editing"],
    }
    assert not _state(season).is_stale  # recomputed on commit, without the fan's ballot
    assert Odds.objects.filter(round=season["round"], category=season["picture"], segment="all")[0].ballots == 1
    assert Ballot.objects.filter(user=fan).count() == 1


def test_deleting_a_user_bumps_every_category_they_predicted(season, fan, expert, save):
    picture, editing = season["nominees"]["picture"], season["nominees"]["editing"]
    save(user=fan, category=season["picture"], ranking=ids(picture))
    save(user=expert, category=season["picture"], ranking=ids(picture))
    save(user=expert, category=season["editing"], ranking=ids(editing))
    before = {c: _state(season, c).ballot_version for c in ("picture", "editing")}
    fan.delete()
    assert {c: _state(season, c).ballot_version for c in ("picture", "editing")} == {
        "picture": before["picture"] + 1,
        "editing": before["editing"],
    }
    assert _state(season).is_stale  # for the sweep, if the on-commit request is lost
    odds_sweep()
    assert Odds.objects.filter(round=season["round"], category=season["picture"], segment="all")[0].ballots == 1


@pytest.mark.parametrize("deleted", ["user", "category", "round"])
def test_deleting_a_user_category_or_round_leaves_no_pick_behind(season, fan, expert, save, deleted):
    # A pick's round, category, user and save time are copies of its ballot's: what deletes those rows leaves no pick
    # behind, and the picks that stay still agree with their ballots.
    picture, editing = season["nominees"]["picture"], season["nominees"]["editing"]
    save(user=fan, category=season["picture"], ranking=ids(picture))
    save(user=fan, category=season["editing"], ranking=ids(editing))
    save(user=expert, category=season["picture"], ranking=ids(picture))
    {"user": fan, "category": season["picture"], "round": season["round"]}[deleted].delete()
    kept = {
        "user": [(expert.pk, season["picture"].pk)],
        "category": [(fan.pk, season["editing"].pk)],
        "round": [],
    }[deleted]
    assert sorted(Ballot.objects.values_list("user_id", "category_id")) == kept
    assert set(Pick.objects.values_list("ballot_id", flat=True)) == set(Ballot.objects.values_list("id", flat=True))
    disagreeing = Pick.objects.exclude(
        user_id=F("ballot__user_id"),
        round_id=F("ballot__round_id"),
        category_id=F("ballot__category_id"),
        saved_at=F("ballot__saved_at"),
    )
    assert not disagreeing.exists()


@pytest.mark.parametrize("path", ["fast", "checked"])
def test_every_pick_carries_its_ballots_last_save_time(season, fan, save, path, monkeypatch):
    # The leaderboards read the save time from the picks (pick_first_idx), not from the ballots.
    from predictions import services

    if path == "checked":  # the portable path, which PostgreSQL also takes when its cached rules are stale
        monkeypatch.setattr(services, "_ballot_save_cached", lambda **kwargs: None)
    picture = season["nominees"]["picture"]
    first, second = season["now"] - timedelta(hours=2), season["now"] - timedelta(hours=1)
    save(user=fan, category=season["picture"], ranking=ids(picture), now=first)
    ballot = save(user=fan, category=season["picture"], ranking=ids(picture[::-1])[:3], now=second)
    assert {pick.saved_at for pick in ballot.saved_picks} == {second}
    assert Ballot.objects.get().saved_at == second
    assert sorted(Pick.objects.values_list("rank", "saved_at")) == [(1, second), (2, second), (3, second)]


def test_the_admin_deletes_ballots_through_the_service(season, fan, expert, save, client):
    from accounts.models import User

    save(user=fan, category=season["picture"], ranking=ids(season["nominees"]["picture"]))
    before = _state(season).ballot_version
    admin = User.objects.create_superuser(email="root@frontrunner.local", password="x" * 12, display_name="Root")
    client.force_login(admin)
    ballot = Ballot.objects.get(user=fan)
    response = client.post(
        "/admin/predictions/ballot/", {"action": "delete_selected", "_selected_action": [ballot.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Ballot.objects.exists() and _state(season).ballot_version == before + 1
