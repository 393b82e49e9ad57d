"""replay_results on the real catalogue: the 93rd Academy Awards' winners, read back from the data set and announced
one category at a time over a small demo season."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from films.models import Category, Contender, Round
from leaderboards.models import Announcement, LeaderboardState, Standing
from predictions.demo import DEMO_EMAIL_DOMAIN, demo_season_seed
from predictions.models import Pick
from predictions.odds import ladder_price
from predictions.services import ballot_save
from tests.factories import UserFactory


@pytest.fixture
def demo(oscars, db):
    demo_season_seed(fans=30, experts=3, editors=2)
    return Round.objects.select_related("ceremony").get(
        ceremony__show__slug="academy-awards", ceremony__number=93, kind=Round.Kind.WINNERS
    )


@pytest.fixture
def replay(django_capture_on_commit_callbacks):
    """The command, with the on-commit recompute requests run as a real commit would (eager tasks here)."""

    def run(*args):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("replay_results", *args, stdout=out)
        return out.getvalue()

    return run


def winning_films(category_name):
    """The films of the standing announcements of a 93rd category."""
    announced = Announcement.objects.standing().filter(
        category__ceremony__number=93, category__ceremony__show__slug="academy-awards", category__name=category_name
    )
    return sorted(
        Contender.objects.filter(id__in=announced.values("contender_id")).values_list("films__title", flat=True)
    )


def test_replay_announces_the_real_93rd_winners(demo, replay):
    # A written ballot, for a hand-computed standing: Best Picture right, Film Editing wrong, nothing else ranked.
    fan = UserFactory(display_name="Hand Counted")
    ceremony = demo.ceremony
    picture = Category.objects.get(ceremony=ceremony, name="BEST PICTURE")
    editing = Category.objects.get(ceremony=ceremony, name="FILM EDITING")
    nomadland = Contender.objects.get(category=picture, films__title="Nomadland")
    the_father = Contender.objects.get(category=editing, films__title="The Father")
    ballot_save(user=fan, category=picture, ranking=[nomadland.id])
    ballot_save(user=fan, category=editing, ranking=[the_father.id])
    competitive = Contender.objects.filter(category__in=Category.objects.filter(ceremony=ceremony).competitive())
    assert not competitive.filter(is_winner=True).exists()  # held back by the demo

    out = replay("--interval", "0", "--close-round")

    assert "Closed the winners round of the 93rd Academy Awards." in out
    assert "Announced 23 categories of the 93rd Academy Awards." in out
    lines = out.splitlines()
    assert lines[1].startswith("Best Picture: ") and lines[1].endswith("(Nomadland)")  # the ceremony page's order
    assert lines[2].startswith("Directing: Chloé Zhao")
    assert Announcement.objects.standing().filter(category__ceremony=ceremony).count() == 23
    assert Announcement.objects.standing().values("category").distinct().count() == 23
    assert winning_films("BEST PICTURE") == ["Nomadland"]
    assert winning_films("FILM EDITING") == ["Sound of Metal"]
    assert winning_films("SOUND") == ["Sound of Metal"]
    assert winning_films("ACTOR IN A LEADING ROLE") == ["The Father"]
    assert competitive.filter(is_winner=True).count() == 23
    assert competitive.filter(is_winner=True).values("category").distinct().count() == 23
    demo.refresh_from_db()
    assert demo.closes_at <= timezone.now()

    state = LeaderboardState.objects.get(ceremony=ceremony)
    assert state.version == 23 and not state.is_stale
    demo_users = set(User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").values_list("id", flat=True))
    assert len(demo_users) == 35
    everyone = Standing.objects.filter(round=demo, segment="all")
    assert set(everyone.values_list("user_id", flat=True)) == demo_users | {fan.id}
    assert set(everyone.values_list("decided", flat=True)) == {23}
    assert not everyone.filter(best_rank__isnull=False).exists()  # all decided: no live bounds
    assert Standing.objects.filter(round=demo, segment="experts").count() == 3
    assert Standing.objects.filter(round=demo, segment="editors").count() == 2
    ranks = list(everyone.order_by("rank").values_list("rank", flat=True))
    assert ranks[0] == 1 and ranks == sorted(ranks)

    # The hand-counted ballot: 1 of 23 right; +100 x the locked price of Nomadland, -100 for The Father.
    mine = everyone.get(user=fan)
    locked = dict(Pick.objects.filter(user=fan).values_list("contender_id", "locked_probability"))
    num, den = ladder_price(locked[nomadland.id])
    assert (mine.correct, mine.decided, mine.predicted) == (1, 23, 2)
    assert mine.accuracy == pytest.approx(1 / 23)
    assert mine.points == pytest.approx(100 * num / den - 100)

    # A second run finds every category announced: nothing changes.
    rows = list(Standing.objects.order_by("id").values_list("id", "rank", "points", "accuracy"))
    again = replay("--interval", "0", "--close-round")
    assert "Announced 0 categories of the 93rd Academy Awards; 23 already announced." in again
    assert "Best Picture" not in again
    assert Announcement.objects.count() == 23
    assert LeaderboardState.objects.get(ceremony=ceremony).version == 23
    assert list(Standing.objects.order_by("id").values_list("id", "rank", "points", "accuracy")) == rows


def test_replay_refuses_while_the_winners_round_is_open(demo, replay):
    with pytest.raises(CommandError, match="Close predictions before announcing."):
        replay("--interval", "0")
    assert not Announcement.objects.exists()
    demo.refresh_from_db()
    assert demo.closes_at > timezone.now()


def test_replay_skips_the_categories_already_announced(demo, replay):
    demo.closes_at = timezone.now() - timedelta(minutes=1)
    demo.save(update_fields=["closes_at"])
    editor = User.objects.get(email="editor@frontrunner.local")
    picture = Category.objects.get(ceremony=demo.ceremony, name="BEST PICTURE")
    from leaderboards.services import result_announce

    result_announce(editor=editor, category=picture, contender_ids=[picture.contenders.first().id])
    out = replay("--interval", "0")
    assert "Announced 22 categories of the 93rd Academy Awards; 1 already announced." in out
    assert "Best Picture" not in out
    assert Announcement.objects.standing().count() == 23


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--editor", "nobody@example.com"], "No user nobody@example.com"),
        (["--ceremony", "150"], "No ceremony 150 of academy-awards"),
        (["--show", "golden-globes"], "Only the Academy Awards"),
        (["--interval", "-1"], "--interval cannot be negative"),
    ],
)
def test_replay_explains_bad_arguments(demo, replay, args, message):
    with pytest.raises(CommandError, match=message):
        replay("--close-round", *args)
    assert not Announcement.objects.exists()


def test_only_an_editor_replays(demo, replay):
    UserFactory(email="fan@example.com", role="fan")
    with pytest.raises(CommandError, match="Only editors announce results."):
        replay("--interval", "0", "--close-round", "--editor", "fan@example.com")
    assert not Announcement.objects.exists()
