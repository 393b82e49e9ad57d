"""result_announce, result_undo and leaderboard_recompute: every rule of the second flow, and the standings it gives.

The ballots are written with ballot_save while the winners round is open, without running their on-commit odds
recomputes, so every pick is staked at the even prior: 1/3 for three nominees, the ladder's 2/1. A correct pick
then earns +200 points and a wrong one loses its 100 stake; an unpredicted category scores 0.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from films.models import Contender, Round
from leaderboards import services, tasks
from leaderboards.models import Announcement, LeaderboardState, Standing
from leaderboards.services import leaderboard_recompute, leaderboard_sweep, result_announce, result_undo
from predictions.models import Ballot, Top24Member
from predictions.services import ballot_save
from tests.factories import CategoryFactory, ContenderFactory, UserFactory

pytestmark = pytest.mark.django_db

FIELDS = [
    "round_id",
    "segment",
    "user_id",
    "rank",
    "correct",
    "decided",
    "predicted",
    "accuracy",
    "points",
    "final_saved_at",
    "best_rank",
    "worst_rank",
]


def nominee(season, category, name):
    return next(c for c in season["nominees"][category] if c.name == name)


def rank(season, category, *names):
    return [nominee(season, category, name).id for name in names]


def close(season):
    """Predictions close (as they would before the ceremony): the winners round ends now."""
    season["round"].closes_at = timezone.now()
    season["round"].save(update_fields=["closes_at"])


def board(round_, segment="all"):
    """{display name: (rank, correct, decided, predicted, accuracy, points, best_rank, worst_rank)}"""
    return {
        s.user.display_name: (
            s.rank,
            s.correct,
            s.decided,
            s.predicted,
            s.accuracy,
            s.points,
            s.best_rank,
            s.worst_rank,
        )
        for s in Standing.objects.board(round_, segment).select_related("user")
    }


def snapshot():
    return list(Standing.objects.order_by("round_id", "segment", "user_id").values_list(*FIELDS))


def state(season):
    return LeaderboardState.objects.get(ceremony=season["ceremony"])


@pytest.fixture
def announce(django_capture_on_commit_callbacks):
    """A service call, then its on-commit callbacks as a real commit would run them (eager tasks here)."""

    def run(service=result_announce, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


@pytest.fixture
def ballots(season, fan, expert, editor):
    """Six users' winner picks, saved hours before the close. Best Picture: Nomadland wins; Film Editing: Sound of
    Metal. "Twin" saves exactly what the fan saves, at the same moments; "Solo" ranks Best Picture only."""
    now = season["now"]
    twin = UserFactory(display_name="Twin")
    solo = UserFactory(display_name="Solo")
    wrong = UserFactory(display_name="Wrong")
    plan = [
        (fan, 5, "picture", ("Nomadland", "The Father")),
        (fan, 4, "editing", ("Promising",)),
        (twin, 5, "picture", ("Nomadland", "The Father")),
        (twin, 4, "editing", ("Promising",)),
        (expert, 3, "picture", ("Nomadland",)),
        (expert, 3.5, "editing", ("Sound of Metal", "Nomadland")),
        (editor, 2, "picture", ("The Father", "Nomadland", "Minari")),
        (editor, 2.5, "editing", ("Sound of Metal",)),
        (solo, 6, "picture", ("Nomadland",)),
        (wrong, 1, "picture", ("Minari",)),
        (wrong, 1.5, "editing", ("Nomadland",)),
    ]
    for user, hours_before, category, names in plan:
        ballot_save(
            user=user,
            category=season[category],
            ranking=rank(season, category, *names),
            now=now - timedelta(hours=hours_before),
        )
    Top24Member.objects.create(ceremony=season["ceremony"], user=solo, rank=1)
    Top24Member.objects.create(ceremony=season["ceremony"], user=wrong, rank=2)
    close(season)
    return {"twin": twin, "solo": solo, "wrong": wrong}


def announce_both(season, editor, announce):
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    announce(editor=editor, category=season["editing"], contender_ids=rank(season, "editing", "Sound of Metal"))


# --- who may announce, and what ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["fan", "expert", "moderator"])
def test_only_editors_announce(season, ballots, role, announce):
    user = UserFactory(role=role)
    with pytest.raises(ValidationError, match="Only editors announce results."):
        announce(editor=user, category=season["picture"], contender_ids=rank(season, "picture", "Minari"))
    assert not Announcement.objects.exists()
    assert not Contender.objects.filter(is_winner=True).exists()
    assert not LeaderboardState.objects.exists()
    assert not Standing.objects.exists()


@pytest.mark.parametrize("role", ["fan", "expert", "moderator"])
def test_only_editors_undo(season, ballots, editor, role, announce):
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    version = state(season).version
    with pytest.raises(ValidationError, match="Only editors undo announcements."):
        result_undo(editor=UserFactory(role=role), category=season["picture"])
    assert Announcement.objects.standing().count() == 1
    assert Contender.objects.get(pk=nominee(season, "picture", "Nomadland").pk).is_winner
    assert state(season).version == version


def test_an_inactive_editor_cannot_announce(season, ballots):
    editor = UserFactory(role="editor", is_active=False)
    with pytest.raises(ValidationError, match="Only editors announce results."):
        result_announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Minari"))
    assert not Announcement.objects.exists()


@pytest.mark.parametrize(
    ("make_ids", "message"),
    [
        (lambda s: [], "Choose the winner"),
        (lambda s: [s["nominees"]["editing"][0].id], "Announce only nominees of Best Picture."),
        (lambda s: [s["long_list"].id], "Announce only nominees of Best Picture."),
        (lambda s: [s["nominees"]["picture"][0].id, 999999], "Announce only nominees of Best Picture."),
    ],
)
def test_only_nominees_of_the_category_are_announced(season, ballots, editor, make_ids, message):
    with pytest.raises(ValidationError, match=message):
        result_announce(editor=editor, category=season["picture"], contender_ids=make_ids(season))
    assert not Announcement.objects.exists()
    assert not Contender.objects.filter(is_winner=True).exists()
    assert not LeaderboardState.objects.exists()


def test_honorary_awards_are_not_announced(season, ballots, editor):
    honorary = CategoryFactory(ceremony=season["ceremony"], name="HONORARY AWARD", award_class="Special")
    contender = ContenderFactory(category=honorary, name="A lifetime")
    with pytest.raises(ValidationError, match="Honorary and technical awards are not announced here."):
        result_announce(editor=editor, category=honorary, contender_ids=[contender.id])
    assert not Announcement.objects.exists()
    assert not Contender.objects.get(pk=contender.pk).is_winner


def test_announcing_is_refused_while_the_winners_round_is_open(season, fan, editor):
    ballot_save(user=fan, category=season["picture"], ranking=rank(season, "picture", "Nomadland"))
    with pytest.raises(ValidationError, match="Close predictions before announcing."):
        result_announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    assert not Announcement.objects.exists()
    assert not Contender.objects.filter(is_winner=True).exists()
    assert not LeaderboardState.objects.exists()


def test_announcing_without_a_winners_round_is_refused(season, editor):
    season["round"].delete()
    with pytest.raises(ValidationError, match="no winners round"):
        result_announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    assert not Announcement.objects.exists()


# --- the standings -----------------------------------------------------------------------------------------------


def test_announcing_computes_the_standings_computed_by_hand(season, ballots, editor, announce):
    announce_both(season, editor, announce)
    round_ = season["round"]
    # expert: both right, +200 +200. Solo: Best Picture right (+200), Film Editing unpredicted (0, but wrong for
    # accuracy). Fan and Twin: +200 -100, saved last at t-4h, before the editor (-100 +200, t-2h).
    assert board(round_) == {
        "An Expert": (1, 2, 2, 2, 1.0, 400.0, None, None),
        "Solo": (2, 1, 2, 1, 0.5, 200.0, None, None),
        "A Fan": (3, 1, 2, 2, 0.5, 100.0, None, None),
        "Twin": (3, 1, 2, 2, 0.5, 100.0, None, None),
        "An Editor": (5, 1, 2, 2, 0.5, 100.0, None, None),
        "Wrong": (6, 0, 2, 2, 0.0, -200.0, None, None),
    }
    assert list(board(round_)) == ["An Expert", "Solo", "A Fan", "Twin", "An Editor", "Wrong"]
    assert board(round_, "experts") == {"An Expert": (1, 2, 2, 2, 1.0, 400.0, None, None)}
    assert board(round_, "editors") == {"An Editor": (1, 1, 2, 2, 0.5, 100.0, None, None)}
    assert board(round_, "top24") == {
        "Solo": (1, 1, 2, 1, 0.5, 200.0, None, None),
        "Wrong": (2, 0, 2, 2, 0.0, -200.0, None, None),
    }
    assert not Standing.objects.filter(segment="combined").exists()
    fan_row = Standing.objects.get(round=round_, segment="all", user__display_name="A Fan")
    assert fan_row.final_saved_at == season["now"] - timedelta(hours=4)  # the later of the fan's two saves
    assert state(season).computed_version == state(season).version == 2
    assert state(season).computed_at is not None


def test_live_bounds_while_a_category_is_undecided(season, ballots, editor, announce):
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    # One decided category: everyone right on it has +200; the save time orders them.
    # Bounds on accuracy alone: right now (correct) and at most (correct + undecided picks).
    # expert 1/2, fan 1/2, twin 1/2, solo 1/1 (no Film Editing pick), editor 0/1, wrong 0/1.
    assert board(season["round"]) == {
        "Solo": (1, 1, 1, 1, 1.0, 200.0, 1, 4),
        "A Fan": (2, 1, 1, 1, 1.0, 200.0, 1, 3),
        "Twin": (2, 1, 1, 1, 1.0, 200.0, 1, 3),
        "An Expert": (4, 1, 1, 1, 1.0, 200.0, 1, 3),
        "An Editor": (5, 0, 1, 1, 0.0, -100.0, 1, 6),
        "Wrong": (6, 0, 1, 1, 0.0, -100.0, 1, 6),
    }
    assert board(season["round"], "top24") == {
        "Solo": (1, 1, 1, 1, 1.0, 200.0, 1, 1),
        "Wrong": (2, 0, 1, 1, 0.0, -100.0, 1, 2),
    }


def test_recomputing_twice_gives_identical_rows(season, ballots, editor, announce):
    announce_both(season, editor, announce)
    rows = list(Standing.objects.order_by("id").values_list("id", *FIELDS))
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert list(Standing.objects.order_by("id").values_list("id", *FIELDS)) == rows
    assert len(rows) == 6 + 1 + 1 + 2


def test_announcing_twice_changes_nothing(season, ballots, editor, announce):
    announce_both(season, editor, announce)
    before, version = snapshot(), state(season).version
    again = announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    assert [a.contender.name for a in again] == ["Nomadland"]
    assert Announcement.objects.filter(category=season["picture"]).count() == 1
    assert state(season).version == version
    assert snapshot() == before


def test_undo_makes_the_category_undecided_and_announcing_again_restores_the_standings(
    season, ballots, editor, announce
):
    announce_both(season, editor, announce)
    decided_both = snapshot()
    undone = announce(service=result_undo, editor=editor, category=season["editing"])
    assert undone == 1
    assert not Contender.objects.get(pk=nominee(season, "editing", "Sound of Metal").pk).is_winner
    row = Announcement.objects.get(category=season["editing"])
    assert (row.undone_by, row.undone_at is not None) == (editor, True)
    assert not state(season).is_stale
    # Film Editing is undecided again: the same standings as after Best Picture alone.
    assert board(season["round"])["An Expert"] == (4, 1, 1, 1, 1.0, 200.0, 1, 3)
    assert {s.decided for s in Standing.objects.all()} == {1}

    announce(editor=editor, category=season["editing"], contender_ids=rank(season, "editing", "Sound of Metal"))
    assert snapshot() == decided_both
    assert Announcement.objects.filter(category=season["editing"]).count() == 2  # the undone one is kept
    assert Announcement.objects.standing().count() == 2


def test_undo_with_nothing_to_undo_says_so(season, ballots, editor, announce):
    with pytest.raises(ValidationError, match="Nothing to undo: no winner of Film Editing is announced."):
        result_undo(editor=editor, category=season["editing"])
    announce(editor=editor, category=season["editing"], contender_ids=rank(season, "editing", "Sound of Metal"))
    announce(service=result_undo, editor=editor, category=season["editing"])
    version = state(season).version
    with pytest.raises(ValidationError, match="Nothing to undo"):
        result_undo(editor=editor, category=season["editing"])
    assert state(season).version == version


def test_a_pick_of_either_tied_winner_is_correct(season, ballots, editor, announce):
    tied = announce(
        editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland", "The Father")
    )
    assert sorted(a.contender.name for a in tied) == ["Nomadland", "The Father"]
    assert set(Contender.objects.filter(is_winner=True).values_list("name", flat=True)) == {"Nomadland", "The Father"}
    standings = board(season["round"])
    assert standings["An Editor"][1:3] == (1, 1)  # picked The Father
    assert standings["A Fan"][1:3] == (1, 1)  # picked Nomadland
    assert standings["Wrong"][1:3] == (0, 1)  # picked Minari


def test_a_second_winner_announced_later_is_a_tie(season, ballots, editor, announce):
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    both = announce(
        editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland", "The Father")
    )
    assert len(both) == 2
    assert Announcement.objects.filter(category=season["picture"]).count() == 2
    assert board(season["round"])["An Editor"][1] == 1
    assert state(season).version == 2  # one bump per announcement that changed something


def test_standings_of_users_whose_ballots_are_gone_are_deleted(season, ballots, editor, announce):
    from predictions.services import ballots_delete

    announce_both(season, editor, announce)
    assert ballots_delete(ballots=Ballot.objects.filter(user=ballots["wrong"])) == 2
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert "Wrong" not in board(season["round"])
    assert not Standing.objects.filter(user=ballots["wrong"]).exists()
    assert board(season["round"], "top24") == {"Solo": (1, 1, 2, 1, 0.5, 200.0, None, None)}


def test_deleting_a_user_deletes_their_standings_and_the_recompute_reranks(season, ballots, editor, announce):
    """Standing has no index of its own on user_id: the cascade goes through standing_unique (user first)."""
    announce_both(season, editor, announce)
    assert "Wrong" in board(season["round"])
    ballots["wrong"].delete()
    assert not Standing.objects.filter(user_id=ballots["wrong"].id).exists()
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert "Wrong" not in board(season["round"])
    assert board(season["round"], "top24") == {"Solo": (1, 1, 2, 1, 0.5, 200.0, None, None)}


def test_the_nominations_round_scores_each_nominee_slot(season, fan, expert, editor, announce):
    """K = 3 slots in both categories. Best Picture's long list has four contenders (the staked prior 3/4 is the
    ladder's 1/3: +33.33 a correct slot); Film Editing's three are all nominees (prior 1, the ladder's 1/5: +20)."""
    now = season["now"]
    nominations = Round.objects.create(
        ceremony=season["ceremony"],
        kind=Round.Kind.NOMINATIONS,
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=8),
    )
    earlier = now - timedelta(days=20)
    picture = [season["long_list"].id, *rank(season, "picture", "Nomadland", "The Father", "Minari")]
    ballot_save(user=fan, category=season["picture"], ranking=picture, now=earlier)
    ballot_save(
        user=expert,
        category=season["picture"],
        ranking=rank(season, "picture", "Nomadland", "Minari", "The Father"),
        now=earlier,
    )
    ballot_save(
        user=expert,
        category=season["editing"],
        ranking=rank(season, "editing", "Sound of Metal", "Nomadland", "Promising"),
        now=earlier + timedelta(hours=1),
    )
    ballot_save(user=fan, category=season["picture"], ranking=rank(season, "picture", "Minari"), now=now)
    close(season)
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Minari"))

    standings = board(nominations)
    assert standings["An Expert"] == (1, 6, 6, 6, 1.0, pytest.approx(160.0), None, None)
    # the fan's top 3: the long-list entry (wrong, -100) and two nominees (+33.33 each); no Film Editing ballot
    assert standings["A Fan"] == (2, 2, 6, 3, pytest.approx(1 / 3), pytest.approx(-100 / 3), None, None)
    assert board(nominations, "experts") == {"An Expert": standings["An Expert"]}
    # the winners round has its own board: the fan's Minari won, one category of two decided
    assert board(season["round"]) == {"A Fan": (1, 1, 1, 1, 1.0, 200.0, 1, 1)}
    # the picks as read for scoring (PostgreSQL: a binary COPY that leaves out the columns that are the same on
    # every row) are the QuerySet's values, for one round of each kind and both together
    for rounds in ([nominations], [season["round"]], [nominations, season["round"]]):
        assert read_sorted(services._read_picks(rounds)) == values_sorted(rounds)


def read_sorted(frame) -> list[tuple]:
    return sorted(
        (r.round_id, r.user_id, r.category_id, r.contender_id, r.rank, r.locked_probability, r.saved_at)
        for r in frame.itertuples()
    )


def values_sorted(rounds) -> list[tuple]:
    return sorted(tuple(row.values()) for row in services._scoring_picks(rounds))


def test_the_nominations_round_is_undecided_until_it_closes(season, fan, editor, announce):
    now = season["now"]
    # A nominations round that closes after the winners round (a test-only calendar): nothing is decided yet.
    season["round"].opens_at, season["round"].closes_at = now - timedelta(days=30), now - timedelta(days=20)
    season["round"].save()
    nominations = Round.objects.create(
        ceremony=season["ceremony"],
        kind=Round.Kind.NOMINATIONS,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=1),
    )
    ballot_save(user=fan, category=season["picture"], ranking=rank(season, "picture", "Nomadland"), now=now)
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert board(nominations) == {"A Fan": (1, 0, 0, 0, 0.0, 0.0, 1, 1)}


# --- requests, coalescing, the broker and the sweep --------------------------------------------------------------


def test_an_announcement_requests_one_recompute_on_commit(season, ballots, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        result_announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    assert len(callbacks) == 1
    assert state(season).is_stale
    assert not Standing.objects.exists()  # nothing recomputed in the request before commit
    with django_capture_on_commit_callbacks() as callbacks:
        result_announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    assert callbacks == []  # nothing changed, nothing to request


@pytest.fixture
def queued(monkeypatch):
    """Celery as in production (not eager), with apply_async recorded instead of sent."""
    from config.celery_app import app

    calls = []
    app.conf.task_always_eager = False  # the autouse eager_tasks fixture restores it

    monkeypatch.setattr(tasks.leaderboard_recompute, "apply_async", lambda *a, **kw: calls.append(kw))
    yield calls
    cache.delete_many([services._flag(c["kwargs"]["ceremony_id"]) for c in calls])


def test_requests_are_coalesced_until_the_task_runs(
    season, ballots, editor, queued, django_capture_on_commit_callbacks
):
    ceremony_id = season["ceremony"].id
    with django_capture_on_commit_callbacks(execute=True):
        result_announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    with django_capture_on_commit_callbacks(execute=True):
        result_announce(editor=editor, category=season["editing"], contender_ids=rank(season, "editing", "Promising"))
    assert queued == [{"kwargs": {"ceremony_id": ceremony_id}, "countdown": services.COALESCE_SECONDS}]
    services.leaderboard_recompute_requested(ceremony_id=ceremony_id)  # what the worker runs
    assert not state(season).is_stale
    assert len(board(season["round"])) == 6
    services.leaderboard_request(ceremony_id=ceremony_id)  # the flag was cleared: a new burst is queued
    assert len(queued) == 2


def test_a_broker_failure_after_commit_never_fails_the_announcement(
    season, ballots, editor, monkeypatch, django_capture_on_commit_callbacks
):
    from config.celery_app import app

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    app.conf.task_always_eager = False  # the autouse eager_tasks fixture restores it
    monkeypatch.setattr(tasks.leaderboard_recompute, "delay", broken)
    monkeypatch.setattr(tasks.leaderboard_recompute, "apply_async", broken)
    with django_capture_on_commit_callbacks(execute=True):
        announced = result_announce(
            editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland")
        )
    assert [a.contender.name for a in announced] == ["Nomadland"]
    assert Announcement.objects.standing().count() == 1
    assert state(season).is_stale  # the sweep will catch up
    assert cache.get(services._flag(season["ceremony"].id)) is None  # nothing was queued: the flag is dropped
    assert not Standing.objects.exists()
    monkeypatch.undo()
    app.conf.task_always_eager = True  # the broker is back (eager: the sweep's request runs the recompute here)
    assert leaderboard_sweep() == 1
    assert not state(season).is_stale
    assert board(season["round"])["An Expert"] == (4, 1, 1, 1, 1.0, 200.0, 1, 3)
    assert leaderboard_sweep() == 0  # running the periodic job twice: nothing left to do


def test_the_sweep_run_twice_is_harmless(season, ballots, editor, announce):
    assert leaderboard_sweep() == 0  # no state yet
    announce_both(season, editor, announce)
    rows = snapshot()
    assert leaderboard_sweep() == 0
    assert leaderboard_sweep() == 0
    assert snapshot() == rows
    LeaderboardState.objects.update(computed_version=0)  # a lost task
    assert leaderboard_sweep() == 1
    assert leaderboard_sweep() == 0
    assert snapshot() == rows


def test_the_tasks_take_ids_and_run_the_services(season, ballots, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        result_announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))
    tasks.leaderboard_recompute.delay(ceremony_id=season["ceremony"].id)
    assert not state(season).is_stale
    assert len(board(season["round"])) == 6
    assert tasks.leaderboard_sweep.delay().get() == 0
    assert tasks.leaderboard_recompute.acks_late and tasks.leaderboard_sweep.acks_late


# --- the picks cache and the write ---------------------------------------------------------------------------------


def test_a_closed_rounds_picks_are_read_once_per_process(season, ballots, editor, announce, monkeypatch):
    announce_both(season, editor, announce)  # two recomputes: the first read the closed round's picks
    rows = snapshot()
    reads = []
    read = services._read_picks
    monkeypatch.setattr(services, "_read_picks", lambda rounds: reads.append(rounds) or read(rounds))
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert reads == []
    assert snapshot() == rows
    services.picks_cache_clear()  # this process's copies and the shared ones it wrote: read from the database
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert [[r.id for r in rounds] for rounds in reads] == [[season["round"].id]]
    assert snapshot() == rows


def count_reads(monkeypatch) -> list:
    reads = []
    read = services._read_picks
    monkeypatch.setattr(services, "_read_picks", lambda rounds: reads.append([r.id for r in rounds]) or read(rounds))
    return reads


def test_a_new_worker_process_takes_a_closed_rounds_picks_from_the_shared_cache(
    season, ballots, editor, announce, monkeypatch
):
    announce_both(season, editor, announce)
    rows = snapshot()
    reads = count_reads(monkeypatch)
    services.picks_cache_clear(shared=False)  # as in another process: nothing of its own, the shared copy there
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Minari"))
    assert reads == []
    assert snapshot() != rows  # the tied winner scored, from the shared picks
    fresh = snapshot()
    services.picks_cache_clear()
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert reads == [[season["round"].id]]
    assert snapshot() == fresh  # the same standings as from the picks read again


def test_a_closed_rounds_picks_are_shared_once_the_recompute_commits_and_not_if_it_rolls_back(
    season, ballots, editor, announce, django_capture_on_commit_callbacks
):
    from django.db import transaction

    announce_both(season, editor, announce)
    rows = snapshot()
    fingerprint = services._fingerprints([season["round"]])[season["round"].id]
    key = services._shared_key(season["round"].id, fingerprint)
    services.picks_cache_clear()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        leaderboard_recompute(ceremony_id=season["ceremony"].id)
        raise RuntimeError("the recompute's transaction rolls back")
    assert callbacks == [] and not cache.has_key(key)
    services.picks_cache_clear()  # the rolled-back read stays in this process's cache (the picks are the same)
    with django_capture_on_commit_callbacks() as callbacks:
        leaderboard_recompute(ceremony_id=season["ceremony"].id)
        assert not cache.has_key(key)  # the standings do not wait for the shared copy
    assert snapshot() == rows
    for callback in callbacks:
        callback()
    assert cache.has_key(key)


def test_a_shared_frame_of_an_earlier_fingerprint_is_not_used(season, ballots, editor, fan, announce, monkeypatch):
    announce_both(season, editor, announce)
    season["round"].closes_at = timezone.now() + timedelta(hours=1)
    season["round"].save(update_fields=["closes_at"])
    ballot_save(user=ballots["wrong"], category=season["picture"], ranking=rank(season, "picture", "Nomadland"))
    close(season)
    reads = count_reads(monkeypatch)
    services.picks_cache_clear(shared=False)  # the shared frame of the round as it was before is still there
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert reads == [[season["round"].id]]
    assert board(season["round"])["Wrong"][1] == 1


def test_a_shared_cache_that_is_down_or_holds_garbage_costs_only_the_read(
    season, ballots, editor, announce, monkeypatch
):
    announce_both(season, editor, announce)
    rows = snapshot()
    reads = count_reads(monkeypatch)
    services.picks_cache_clear(shared=False)
    fingerprint = services._fingerprints([season["round"]])[season["round"].id]
    cache.set(services._shared_key(season["round"].id, fingerprint), {"user_id": "garbage"})
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert reads == [[season["round"].id]] and snapshot() == rows

    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    services.picks_cache_clear()
    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set", down)
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert len(reads) == 2 and snapshot() == rows


def test_a_shared_picks_frame_unpacks_to_the_frame_it_was_made_from(season, ballots, editor, announce):
    import pandas as pd

    close(season)
    frame = services._read_picks([season["round"]]).drop(columns="round_id").reset_index(drop=True)
    assert len(frame) == Ballot.objects.filter(round=season["round"]).count()  # one first place per ballot
    pd.testing.assert_frame_equal(services._frame_unpack(services._frame_pack(frame)), frame, check_dtype=False)
    assert str(services._frame_unpack(services._frame_pack(frame))["saved_at"].dt.tz) == "UTC"


def test_a_save_after_the_round_is_reopened_is_not_hidden_by_the_cache(season, ballots, editor, fan, announce):
    announce_both(season, editor, announce)
    assert board(season["round"])["Wrong"][1] == 0
    season["round"].closes_at = timezone.now() + timedelta(hours=1)
    season["round"].save(update_fields=["closes_at"])
    ballot_save(user=ballots["wrong"], category=season["picture"], ranking=rank(season, "picture", "Nomadland"))
    close(season)
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert board(season["round"])["Wrong"][1] == 1


def test_a_recompute_that_changes_nothing_rewrites_no_row(season, ballots, editor, announce):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row versions (ctid) are PostgreSQL's; SQLite takes the bulk_create fallback")
    announce_both(season, editor, announce)

    def versions():
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, ctid::text FROM leaderboards_standing ORDER BY id")
            return cursor.fetchall()

    before = versions()
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert versions() == before
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Minari"))
    assert versions() != before


def test_the_recompute_runs_without_postgresqls_jit(season, ballots, editor, announce):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's")
    close(season)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")  # whatever the server's default
        leaderboard_recompute(ceremony_id=season["ceremony"].id)  # inside the test's transaction: its SET LOCAL holds
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_picks_prime_shares_a_closed_rounds_picks_before_the_first_announcement(
    season, ballots, editor, announce, monkeypatch
):
    reads = count_reads(monkeypatch)  # the ballots fixture has closed the round
    assert services.picks_prime() == 1
    assert services.picks_prime() == 0  # shared already
    assert reads == [[season["round"].id]]
    announce_both(season, editor, announce)  # this process has nothing of its own: the shared copy serves
    assert reads == [[season["round"].id]]
    rows = snapshot()
    services.picks_cache_clear()
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert len(reads) == 2 and snapshot() == rows  # the same standings from the picks read again


def test_picks_prime_leaves_open_and_long_closed_rounds_and_final_results_alone(season, ballots, editor, announce):
    assert services.picks_prime(now=season["round"].closes_at - timedelta(seconds=1)) == 0  # still open then
    assert services.picks_prime(now=timezone.now() + services.PRIME_WITHIN + timedelta(minutes=1)) == 0
    for category in ("picture", "editing"):  # every competitive category of the season decided, standings caught up
        announce(editor=editor, category=season[category], contender_ids=[season["nominees"][category][0].id])
    from leaderboards.promotion import results_final

    assert results_final(ceremony=season["ceremony"])
    services.picks_cache_clear()
    assert services.picks_prime() == 0


def test_picks_prime_runs_from_beat():
    from django.conf import settings

    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "leaderboards.tasks.picks_prime" in entries
    assert tasks.picks_prime.acks_late


@pytest.mark.django_db(transaction=True)
def test_the_task_vacuums_the_standings_after_its_recompute_has_committed(season, ballots, editor):
    from django.db import connection, transaction

    statements = []

    def spy(execute, sql, params, many, context):
        statements.append((sql.split()[0], connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        with transaction.atomic():
            services.standings_vacuum()  # VACUUM cannot run in a transaction block: nothing
        services.leaderboard_recompute_requested(ceremony_id=season["ceremony"].id)
    vacuums = [in_block for kind, in_block in statements if kind == "VACUUM"]
    if connection.vendor == "postgresql":
        assert vacuums == [False] and statements[-1][0] == "VACUUM"
    else:
        assert vacuums == []
    assert not state(season).is_stale


# --- the board order and in-place updates -------------------------------------------------------------------------


def orders():
    import numpy as np

    from leaderboards.models import LeaderboardOrder

    return {
        (o.segment, o.size, o.leaders): np.frombuffer(bytes(o.users), dtype="<i8").tolist()
        for o in LeaderboardOrder.objects.order_by("segment")
    }


def test_the_board_order_is_the_standings_by_rank_then_final_save_then_user(
    season, ballots, fan, expert, editor, announce
):
    from leaderboards.boards import BoardRows, board_leaders
    from leaderboards.models import LeaderboardOrder

    announce(editor=editor, category=season["editing"], contender_ids=rank(season, "editing", "Promising"))
    twin, solo, wrong = ballots["twin"], ballots["solo"], ballots["wrong"]
    # Only the fan and the twin picked it (+200 each), with the same saves: they share first place. Solo did not
    # predict the category (0 points); the other three lost their stake and are ordered by their final save, the
    # earliest first: the expert's 3 hours before the close, the editor's 2, Wrong's 1.
    first = sorted([fan.id, twin.id])
    expected = [(first[0], 1, 1), (first[1], 1, 2), (solo.id, 3, 3), (expert.id, 4, 4), (editor.id, 5, 5)]
    expected.append((wrong.id, 6, 6))
    assert list(Standing.objects.board(season["round"]).values_list("user_id", "rank", "position")) == expected
    assert orders()[("all", 6, 2)] == [user_id for user_id, _, _ in expected]
    assert orders()[("top24", 2, 1)] == [solo.id, wrong.id]

    order = LeaderboardOrder.objects.get(round=season["round"], segment="all")
    rows = BoardRows(order)
    assert rows.count() == len(rows) == 6
    assert [(s.user_id, s.rank, s.position) for s in rows[1:4]] == expected[1:4]
    assert rows[6:9] == [] and BoardRows(None)[0:50] == []
    with pytest.raises(TypeError):
        rows[2]
    leaders = board_leaders([(season["round"].id, "all", order.leaders), (season["round"].id, "top24", 1)])
    assert [(s.segment, s.user_id) for s in leaders] == [("all", first[0]), ("all", first[1]), ("top24", solo.id)]


def test_a_board_that_is_gone_loses_its_order(season, ballots, editor, expert, announce):
    announce_both(season, editor, announce)
    assert ("experts", 1, 1) in orders()
    expert.role = "fan"
    expert.save(update_fields=["role"])
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert [segment for segment, _, _ in orders()] == ["all", "editors", "top24"]


def test_an_announcements_recompute_updates_every_standing_in_place(season, ballots, editor, announce):
    """No index covers a column the recompute changes, and the pages have room: each update is heap-only (HOT), with
    no index entry written."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("heap-only updates are PostgreSQL's")
    announce(editor=editor, category=season["picture"], contender_ids=rank(season, "picture", "Nomadland"))

    def updates():  # this transaction's counts so far (the test runs in one)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), "
                "pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
                [Standing._meta.db_table] * 2,
            )
            return cursor.fetchone()

    before = updates()
    announce(editor=editor, category=season["editing"], contender_ids=rank(season, "editing", "Sound of Metal"))
    updated, hot = (after - then for after, then in zip(updates(), before, strict=True))
    assert updated == Standing.objects.count() and hot == updated


def test_standings_that_no_order_lists_are_still_rewritten(season, ballots, editor, announce):
    """The recompute updates the rows of users on the old orders and upserts the rest: a row that exists though no
    order names it (orders lost, say) takes the upsert's conflict path and comes out the same."""
    from leaderboards.models import LeaderboardOrder

    announce_both(season, editor, announce)
    rows, listed = snapshot(), orders()
    LeaderboardOrder.objects.all().delete()
    Standing.objects.update(points=0.0, rank=99)
    leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert snapshot() == rows and orders() == listed
