"""The demo season on the real catalogue: the 93rd opened, winners held back, synthetic users, ballots and odds."""

from collections import defaultdict
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User, validate_display_name
from films.models import Category, Ceremony, Contender, Round
from predictions.demo import DEMO_EMAIL_DOMAIN, demo_season_seed
from predictions.models import Ballot, Odds, OddsHistory, OddsState, Pick

pytestmark = pytest.mark.slow

SIZES = {"fans": 60, "experts": 5, "editors": 3}


@pytest.fixture(scope="module")
def seeded(oscars, django_db_blocker):
    """The demo seeded once per module on the imported history (rolled back after it). Returns the seed's result,
    the time it ran at and the real winners it held back."""
    with django_db_blocker.unblock(), transaction.atomic():
        now = timezone.now()
        winners = set(
            Contender.objects.filter(
                category__ceremony__number=93,
                category__ceremony__show__slug="academy-awards",
                category__award_class__in=Category.COMPETITIVE_CLASSES,
                is_winner=True,
            ).values_list("id", flat=True)
        )
        result = demo_season_seed(now=now, **SIZES)
        yield {"result": result, "now": now, "winners": winners}
        transaction.set_rollback(True)


@pytest.fixture
def s(seeded, db):
    return seeded


def the_93rd():
    return Ceremony.objects.get(show__slug="academy-awards", number=93)


def competitive():
    return list(Category.objects.filter(ceremony=the_93rd()).competitive())


def winners_round():
    return Round.objects.get(ceremony=the_93rd(), kind=Round.Kind.WINNERS)


def test_the_93rd_has_an_open_winners_round_closing_in_a_few_weeks(s):
    now = timezone.now()
    round_ = winners_round()
    assert s["result"]["created"] is True
    assert list(Round.objects.open(now).filter(ceremony=the_93rd())) == [round_]
    assert round_.opens_at == s["now"] - timedelta(days=21)
    assert round_.closes_at == s["now"] + timedelta(days=21)
    nominations = Round.objects.get(ceremony=the_93rd(), kind=Round.Kind.NOMINATIONS)
    assert nominations.closes_at < now
    assert not nominations.is_open(now)


def test_the_real_winners_are_held_back_and_the_nominees_stay(s):
    ceremony = the_93rd()
    contenders = Contender.objects.filter(category__ceremony=ceremony)
    assert len(s["winners"]) == 23
    assert s["result"]["winners_held_back"] == 23
    assert contenders.filter(category__award_class__in=Category.COMPETITIVE_CLASSES, is_winner=True).count() == 0
    hersholt = contenders.filter(category__slug="jean-hersholt-humanitarian-award")
    assert hersholt.filter(is_winner=True).count() == 2
    assert contenders.get(category__slug="best-picture", name__icontains="Frances McDormand").is_nominee
    assert contenders.filter(category__slug="best-picture", is_nominee=True).count() == 8
    # Other ceremonies keep their winners.
    assert Contender.objects.filter(category__ceremony__number=92, is_winner=True).count() >= 23


def test_users_per_role_with_plausible_unique_names_and_no_password(s):
    synthetic = User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
    assert dict(synthetic.values_list("role").annotate(n=Count("id")).order_by()) == {
        "fan": 60,
        "expert": 5,
        "editor": 3,
    }
    assert synthetic.filter(email="fan0001@demo.frontrunner.local", role="fan").exists()
    assert synthetic.filter(email="expert05@demo.frontrunner.local", role="expert").exists()
    assert not any(user.has_usable_password() for user in synthetic)
    names = list(User.objects.values_list("display_name", flat=True))
    assert len({name.lower() for name in names}) == len(names)
    for name in names:
        validate_display_name(name)
    assert User.objects.get(email="demo@frontrunner.local").role == "fan"
    assert User.objects.get(email="editor@frontrunner.local").role == "editor"


def test_every_ballot_ranks_nominees_of_its_category_once_each(s):
    round_ = winners_round()
    categories = competitive()
    nominees = {c.id: set(c.contenders.filter(is_nominee=True).values_list("id", flat=True)) for c in categories}
    ballots = {b.id: b for b in Ballot.objects.filter(round=round_)}
    assert len(ballots) == s["result"]["ballots"]
    assert {b.category_id for b in ballots.values()} == set(nominees)
    picks = defaultdict(list)
    for pick in Pick.objects.filter(round=round_).order_by("ballot_id", "rank"):
        ballot = ballots[pick.ballot_id]
        assert (pick.round_id, pick.category_id, pick.user_id) == (ballot.round_id, ballot.category_id, ballot.user_id)
        picks[pick.ballot_id].append(pick)
    assert set(picks) == set(ballots)
    for ballot_id, ballot_picks in picks.items():
        contenders = [p.contender_id for p in ballot_picks]
        assert [p.rank for p in ballot_picks] == list(range(1, len(ballot_picks) + 1))
        assert len(set(contenders)) == len(contenders)
        assert set(contenders) <= nominees[ballots[ballot_id].category_id]
    for ballot in ballots.values():
        assert round_.opens_at <= ballot.created_at <= ballot.saved_at < s["now"]


def test_fans_skip_some_categories_experts_and_editors_rank_them_all(s):
    per_user = dict(
        Ballot.objects.filter(round=winners_round()).values_list("user_id").annotate(n=Count("id")).order_by()
    )
    n = len(competitive())
    synthetic = User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
    for user in synthetic.exclude(role="fan"):
        assert per_user[user.id] == n
    fans = [per_user.get(user.id, 0) / n for user in synthetic.filter(role="fan")]
    assert 0.6 <= sum(fans) / len(fans) <= 0.95
    assert min(fans) < 1
    assert not User.objects.get(email="demo@frontrunner.local").ballots.exists()


def test_more_saves_late_in_the_round(s):
    round_ = winners_round()
    middle = round_.opens_at + (s["now"] - round_.opens_at) / 2
    ballots = Ballot.objects.filter(round=round_)
    assert ballots.filter(saved_at__gte=middle).count() > 1.5 * ballots.filter(saved_at__lt=middle).count()


def test_rationales_only_on_first_picks_of_experts_and_editors(s):
    with_reason = Pick.objects.filter(round=winners_round()).exclude(rationale="")
    assert with_reason.exists()
    assert set(with_reason.values_list("rank", flat=True)) == {1}
    assert set(with_reason.values_list("user__role", flat=True)) <= {"expert", "editor"}
    assert all(0 < len(text) <= 280 for text in with_reason.values_list("rationale", flat=True))
    # A film category names the film, not its producers.
    reasons = with_reason.filter(category__slug="best-picture").select_related("contender")
    assert any(pick.contender.films.first().title in pick.rationale for pick in reasons)
    assert not any("Producers" in pick.rationale for pick in reasons)


def test_odds_for_every_category_and_segment_sum_to_one_and_are_current(s):
    round_ = winners_round()
    for category in competitive():
        nominees = set(category.contenders.filter(is_nominee=True).values_list("id", flat=True))
        odds = Odds.objects.filter(round=round_, category=category)
        assert set(odds.values_list("segment", flat=True)) == {"all", "experts", "editors", "combined"}
        for segment in ("all", "experts", "editors", "combined"):
            rows = odds.filter(segment=segment)
            assert set(rows.values_list("contender_id", flat=True)) == nominees
            assert sum(rows.values_list("probability", flat=True)) == pytest.approx(1.0)
        assert set(odds.filter(segment="experts").values_list("ballots", flat=True)) == {5}
        assert set(odds.filter(segment="editors").values_list("ballots", flat=True)) == {3}
        state = OddsState.objects.get(round=round_, category=category)
        assert not state.is_stale
        assert state.ballot_version == category.ballots.filter(round=round_).count()
        assert odds.filter(segment="all").first().ballots == state.ballot_version


def test_the_real_winner_is_usually_the_favourite(s):
    favourites = set(
        Odds.objects.filter(round=winners_round(), segment="combined", rank=1).values_list("contender_id", flat=True)
    )
    assert len(favourites & s["winners"]) >= 0.7 * len(s["winners"])


def test_odds_history_day_by_day_from_the_ballots_saved_by_then(s):
    round_ = winners_round()
    history = OddsHistory.objects.filter(round=round_)
    days = {timezone.localtime(t).date() for t in history.values_list("recorded_at", flat=True)}
    assert len(days) >= 15
    assert history.latest("recorded_at").recorded_at == s["now"]
    category = Category.objects.get(ceremony=the_93rd(), slug="best-picture")
    past = history.filter(category=category, segment="all", recorded_at__lt=s["now"])
    assert past.exists()
    for day in sorted(days)[:-1]:
        end = timezone.make_aware(datetime.combine(day, time.max))
        latest = past.filter(recorded_at__lte=end).order_by("-recorded_at").first()
        if latest is None:
            continue
        # A row per change: a day without a new ballot keeps the day before's row.
        assert timezone.localtime(latest.recorded_at).time() == time.max
        saved_that_day = category.ballots.filter(round=round_, saved_at__date=day).exists()
        assert (latest.recorded_at == end) == saved_that_day
        assert latest.ballots == category.ballots.filter(round=round_, saved_at__lte=end).count()
        rows = history.filter(category=category, segment="all", recorded_at__lte=end).order_by(
            "contender_id", "-recorded_at"
        )
        as_of = {}
        for row in rows:
            as_of.setdefault(row.contender_id, row.probability)
        assert sum(as_of.values()) == pytest.approx(1.0)


def test_running_it_again_changes_nothing(s):
    def counts():
        return (
            User.objects.count(),
            Round.objects.count(),
            Ballot.objects.count(),
            Pick.objects.count(),
            Odds.objects.count(),
            OddsHistory.objects.count(),
            list(OddsState.objects.order_by("id").values_list("ballot_version", "odds_version")),
            Contender.objects.filter(is_winner=True).count(),
        )

    before = counts()
    again = demo_season_seed(**SIZES)
    assert again["created"] is False
    assert again["round_id"] == winners_round().id
    assert counts() == before
    out = StringIO()
    call_command("seed_demo_season", stdout=out)
    assert "already has a winners round" in out.getvalue()
    assert "demo@frontrunner.local / oscars-demo-2021" in out.getvalue()
    assert counts() == before


def test_a_second_import_if_empty_keeps_the_winners_held_back(s):
    out = StringIO()
    call_command("import_oscars", "--no-progress", "--if-empty", stdout=out)
    assert "already imported (98 ceremonies): skipped" in out.getvalue()
    held = Contender.objects.filter(
        category__ceremony=the_93rd(), category__award_class__in=Category.COMPETITIVE_CLASSES, is_winner=True
    )
    assert held.count() == 0


def test_the_command_reseeds_a_deleted_round_reusing_the_users(s):
    users = User.objects.count()
    winners_round().delete()
    out = StringIO()
    call_command("seed_demo_season", "--fans", "60", "--experts", "5", "--editors", "3", stdout=out)
    assert "Opened the winners round of the 93rd Academy Awards" in out.getvalue()
    assert "editor@frontrunner.local / oscars-editor-2021" in out.getvalue()
    assert User.objects.count() == users
    assert Ballot.objects.filter(round=winners_round()).exists()


def test_the_seed_needs_the_93rd(s):
    the_93rd().delete()
    with pytest.raises(ValidationError, match="import_oscars"):
        demo_season_seed(**SIZES)


@pytest.mark.parametrize(
    ("email", "password", "role"),
    [
        ("demo@frontrunner.local", "oscars-demo-2021", "fan"),
        ("editor@frontrunner.local", "oscars-editor-2021", "editor"),
    ],
)
def test_the_demo_accounts_can_log_in(s, client, email, password, role):
    assert client.login(username=email, password=password)
    assert client.login(username=email.upper(), password=password)
    assert not client.login(username=email, password="wrong")
    assert User.objects.get(email=email).role == role
    assert not client.login(username="fan0001@demo.frontrunner.local", password="")
