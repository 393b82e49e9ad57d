"""Top 24 promotion, the all-time leaderboard and the prediction champs: hand-made Standing rows with totals
worked out by hand, plus one journey from ballots through result_announce to the next ceremony's Top 24."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from films.models import Round
from leaderboards.models import Announcement, LeaderboardState, Standing
from leaderboards.promotion import results_final, top24_promote
from leaderboards.services import leaderboard_recompute, result_announce
from predictions.models import Ballot, OddsState, Top24Member
from predictions.services import ballot_save
from tests.factories import AwardShowFactory, CategoryFactory, CeremonyFactory, ContenderFactory, UserFactory
from tests.helpers import page_text, query_count
from tests.leaderboards.conftest import index_boards

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def winners_round(ceremony, kind=Round.Kind.WINNERS):
    days = 20 if kind == Round.Kind.NOMINATIONS else 10
    return Round.objects.create(
        ceremony=ceremony, kind=kind, opens_at=NOW - timedelta(days=days), closes_at=NOW - timedelta(days=days - 5)
    )


def finalize(ceremony, editor=None):
    """Every competitive category of the ceremony (one, created here) has its winner; the standings are current."""
    editor = editor or UserFactory(role="editor")
    category = CategoryFactory(ceremony=ceremony)
    contender = ContenderFactory(category=category, is_winner=True)
    Announcement.objects.create(category=category, contender=contender, announced_by=editor, announced_at=NOW)
    LeaderboardState.objects.update_or_create(
        ceremony=ceremony, defaults={"version": 1, "computed_version": 1, "computed_at": NOW}
    )
    return category


def stand(round_, user, rank, *, correct=1, decided=2, points=0.0, segment="all", saved_minutes=0):
    standing = Standing.objects.create(
        round=round_,
        segment=segment,
        user=user,
        rank=rank,
        correct=correct,
        decided=decided,
        predicted=decided,
        accuracy=correct / decided if decided else 0.0,
        points=points,
        final_saved_at=NOW - timedelta(days=6) + timedelta(minutes=saved_minutes),
        position=0,  # index_boards sets it
    )
    index_boards()
    standing.refresh_from_db()
    return standing


def top24(ceremony):
    return list(Top24Member.objects.filter(ceremony=ceremony).order_by("rank").values_list("user_id", "rank"))


# --- Top 24 promotion -------------------------------------------------------------------------------------------------


@pytest.fixture
def thirty():
    """Ceremony 93 (final) with 30 players on its winners-round All users board, and ceremony 94.

    Ranks 1-22 are distinct; four players share rank 23 (equal accuracy and points) and differ only by their final
    save: in save order they are users[25], users[23], users[22], users[24], so the seats 23 and 24 go to users[25]
    and users[23]. Ranks 27-30 follow. Other boards (experts, nominations round) rank others first and must be
    ignored."""
    ceremony = CeremonyFactory(number=93)
    following = CeremonyFactory(number=94)
    round_ = winners_round(ceremony)
    nominations = winners_round(ceremony, Round.Kind.NOMINATIONS)
    users = [UserFactory() for _ in range(30)]
    for i in range(22):
        stand(round_, users[i], i + 1, saved_minutes=i)
    for i, minutes in ((25, 1), (23, 2), (22, 3), (24, 4)):
        stand(round_, users[i], 23, saved_minutes=minutes)
    for i in range(26, 30):
        stand(round_, users[i], i + 1)
    stand(round_, users[29], 1, segment="experts")
    stand(nominations, users[28], 1)
    finalize(ceremony)
    return {"ceremony": ceremony, "following": following, "users": users}


def expected_seats(users):
    order = [users[i] for i in range(22)] + [users[25], users[23]]
    return [(u.id, seat) for seat, u in enumerate(order, start=1)]


def test_promotion_seats_exactly_the_first_24_by_rank_then_earliest_final_save(thirty):
    users, following = thirty["users"], thirty["following"]
    # A stale Top 24: one who does not make the cut (users[29]) and one who moves from seat 5 to seat 1.
    Top24Member.objects.create(ceremony=following, user=users[29], rank=1)
    Top24Member.objects.create(ceremony=following, user=users[0], rank=5)

    assert top24_promote(ceremony=thirty["ceremony"]) == 24

    assert top24(following) == expected_seats(users)
    assert users[22].id not in dict(top24(following)) and users[24].id not in dict(top24(following))
    assert top24(thirty["ceremony"]) == []  # the promoted ceremony's own Top 24 is untouched


def test_promotion_is_idempotent(thirty):
    top24_promote(ceremony=thirty["ceremony"])
    before = list(Top24Member.objects.order_by("id").values_list("id", "ceremony_id", "user_id", "rank"))

    assert top24_promote(ceremony=thirty["ceremony"]) == 24

    assert list(Top24Member.objects.order_by("id").values_list("id", "ceremony_id", "user_id", "rank")) == before
    assert top24(thirty["following"]) == expected_seats(thirty["users"])


def test_promotion_is_refused_while_a_category_has_no_winner(thirty):
    CategoryFactory(ceremony=thirty["ceremony"])  # a competitive category still to announce
    Top24Member.objects.create(ceremony=thirty["following"], user=thirty["users"][29], rank=1)

    assert not results_final(ceremony=thirty["ceremony"])
    with pytest.raises(ValidationError, match="not final yet"):
        top24_promote(ceremony=thirty["ceremony"])
    assert top24(thirty["following"]) == [(thirty["users"][29].id, 1)]


def test_an_undone_winner_or_stale_standings_are_not_final(thirty):
    ceremony = thirty["ceremony"]
    assert results_final(ceremony=ceremony)
    LeaderboardState.objects.filter(ceremony=ceremony).update(version=2)  # an announcement not yet recomputed
    with pytest.raises(ValidationError):
        top24_promote(ceremony=ceremony)
    LeaderboardState.objects.filter(ceremony=ceremony).update(computed_version=2)
    Announcement.objects.filter(category__ceremony=ceremony).update(undone_at=NOW)
    with pytest.raises(ValidationError):
        top24_promote(ceremony=ceremony)
    assert Top24Member.objects.count() == 0


def test_honorary_categories_do_not_hold_the_results_back(thirty):
    CategoryFactory(ceremony=thirty["ceremony"], award_class="Special")
    assert top24_promote(ceremony=thirty["ceremony"]) == 24


def test_no_next_ceremony_promotes_nobody(thirty):
    other_show = AwardShowFactory(name="Golden Globes", slug="golden-globes")
    lonely = CeremonyFactory(number=50, show=other_show)
    CeremonyFactory(number=51, show=AwardShowFactory())  # 51st of another show: not lonely's next ceremony
    round_ = winners_round(lonely)
    stand(round_, thirty["users"][0], 1)
    finalize(lonely)

    assert top24_promote(ceremony=lonely) == 0
    assert Top24Member.objects.count() == 0


def test_promotion_marks_the_next_ceremonys_odds_and_standings_stale(thirty, django_capture_on_commit_callbacks):
    following = thirty["following"]
    round_ = winners_round(following)
    category = CategoryFactory(ceremony=following)
    contender = ContenderFactory(category=category)
    ballot = Ballot.objects.create(
        user=thirty["users"][0], round=round_, category=category, created_at=NOW, saved_at=NOW
    )
    ballot.picks.create(
        contender=contender,
        rank=1,
        locked_probability=1.0,
        round=round_,
        category=category,
        user_id=ballot.user_id,
        saved_at=NOW,
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        top24_promote(ceremony=thirty["ceremony"])
    assert OddsState.objects.get(round=round_, category=category).ballot_version == 1
    assert LeaderboardState.objects.get(ceremony=following).version == 1
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        top24_promote(ceremony=thirty["ceremony"])  # nothing changed: nothing more to recompute
    assert OddsState.objects.get(round=round_, category=category).ballot_version == 1
    assert callbacks == []


def test_results_night_promotes_the_winners_into_the_next_ceremonys_top24(
    season, fan, expert, editor, django_capture_on_commit_callbacks
):
    picture, editing = season["picture"], season["editing"]
    names = {c.name: c.id for c in season["nominees"]["picture"]}
    edits = {c.name: c.id for c in season["nominees"]["editing"]}
    late = UserFactory(display_name="Late")
    for user, picks, hours in (
        (fan, ("Nomadland", "Sound of Metal"), 5),  # 2 of 2
        (expert, ("Nomadland", "Promising"), 4),  # 1 of 2
        (late, ("Nomadland", "Sound of Metal"), 1),  # 2 of 2, saved later than the fan
        (editor, ("Minari", "Promising"), 3),  # 0 of 2
    ):
        saved = season["now"] - timedelta(hours=hours)
        ballot_save(user=user, category=picture, ranking=[names[picks[0]]], now=saved)
        ballot_save(user=user, category=editing, ranking=[edits[picks[1]]], now=saved)
    season["round"].closes_at = timezone.now()
    season["round"].save(update_fields=["closes_at"])
    following = CeremonyFactory(number=94)

    with django_capture_on_commit_callbacks(execute=True):
        result_announce(editor=editor, category=picture, contender_ids=[names["Nomadland"]])
    with pytest.raises(ValidationError):
        top24_promote(ceremony=season["ceremony"])  # Film Editing is still to announce
    with django_capture_on_commit_callbacks(execute=True):
        result_announce(editor=editor, category=editing, contender_ids=[edits["Sound of Metal"]])

    assert top24_promote(ceremony=season["ceremony"]) == 4
    assert top24(following) == [(fan.id, 1), (late.id, 2), (expert.id, 3), (editor.id, 4)]


# --- the all-time leaderboard -----------------------------------------------------------------------------------------


@pytest.fixture
def history():
    """Two Oscar ceremonies' winners-round standings, by hand (totals in the comments), and boards to ignore."""
    first, second = CeremonyFactory(number=92), CeremonyFactory(number=93)
    r1, r2 = winners_round(first), winners_round(second)
    people = {name: UserFactory(display_name=name) for name in ("Ann", "Bob", "Cat", "Dan", "Eve")}
    ann, bob, cat, dan, eve = people.values()
    stand(r1, ann, 2, correct=3, decided=4, points=200.11)
    stand(r2, ann, 2, correct=3, decided=4, points=100.2)  # Ann: 2 ceremonies, 6/8 = 75%, +300.31
    stand(r1, bob, 3, correct=2, decided=4, points=100)
    stand(r2, bob, 1, correct=4, decided=4, points=300)  # Bob: 6/8 = 75%, +400
    stand(r1, cat, 1, correct=4, decided=4, points=-50)  # Cat: 4/4 = 100%, −50
    stand(r2, dan, 3, correct=1, decided=2, points=500)  # Dan: 1/2 = 50%, +500
    stand(r1, eve, 2, correct=3, decided=4, points=300.28)  # Eve: 3/4 = 75%, +300.28: shown +300.3, ties Ann
    # Not counted: another segment, the nominations round, another show.
    stand(r1, dan, 1, correct=4, decided=4, points=900, segment="experts")
    stand(winners_round(first, Round.Kind.NOMINATIONS), dan, 1, correct=10, decided=10, points=900)
    globes = CeremonyFactory(number=80, show=AwardShowFactory(name="Golden Globes", slug="golden-globes"))
    stand(winners_round(globes), dan, 1, correct=9, decided=9, points=900)
    return people


ALL_TIME = reverse("history:all_time", kwargs={"show": "academy-awards"})
CHAMPIONS = reverse("history:champions", kwargs={"show": "academy-awards"})


def table_rows(response):
    return [
        (r["place"], r["user__display_name"], r["ceremonies"], r["total_correct"], r["total_decided"], r["points_text"])
        for r in response.context["rows"]
    ]


def test_all_time_ranks_by_overall_accuracy_then_points(client, history):
    response = client.get(ALL_TIME)

    assert response.status_code == 200
    assert table_rows(response) == [
        (1, "Cat", 1, 4, 4, "−50"),
        (2, "Bob", 2, 6, 8, "+400"),
        (3, "Ann", 2, 6, 8, "+300.3"),  # points tie as shown, to 0.1: 300.31 and 300.28
        (3, "Eve", 1, 3, 4, "+300.3"),
        (5, "Dan", 1, 1, 2, "+500"),
    ]
    text = page_text(response)
    assert "1 Cat 1 4/4 100% −50" in text
    assert "3 Ann 2 6/8 75% +300.3" in text
    assert "5 Dan 1 1/2 50% +500" in text


def test_all_time_highlights_me_and_paginates_by_50(client, history):
    round_ = Round.objects.get(ceremony__number=93, kind="winners")
    for i in range(50):
        stand(round_, UserFactory(display_name=f"Zed {i:02}"), 10, correct=0, decided=4, points=-400)
    client.force_login(history["Dan"])

    first = client.get(ALL_TIME)
    second = client.get(ALL_TIME + "?page=2")

    assert len(first.context["rows"]) == 50 and first.context["paginator"].count == 55
    assert [r["user__display_name"] for r in second.context["rows"]] == [
        "Zed 45",
        "Zed 46",
        "Zed 47",
        "Zed 48",
        "Zed 49",
    ]
    assert {r["place"] for r in second.context["rows"]} == {6}
    assert 'id="you"' in first.content.decode() and 'id="you"' not in second.content.decode()
    assert 'href="?page=2" rel="next">Lower ranks →</a>' in first.content.decode()
    assert 'href="?" rel="prev">← Higher ranks</a>' in second.content.decode()


def test_all_time_query_count_does_not_grow_with_players(client, history):
    small = query_count(client, ALL_TIME)
    round_ = Round.objects.get(ceremony__number=92, kind="winners")
    for _ in range(30):
        stand(round_, UserFactory(), 9, correct=1, decided=4)
    assert query_count(client, ALL_TIME) == small


def test_all_time_empty_and_unknown_show(client, db):
    AwardShowFactory()
    assert "No ceremony of the Academy Awards has standings yet" in page_text(client.get(ALL_TIME))
    assert client.get(reverse("history:all_time", kwargs={"show": "nope"})).status_code == 404
    assert client.get(ALL_TIME + "?page=zzz").status_code == 404


# --- the prediction champs --------------------------------------------------------------------------------------------


@pytest.fixture
def champs():
    """92nd: final; Ann wins the winners round, Bob and Cat tie for first in the nominations round, Dan is the best
    expert. 93rd: final; Eve wins. 94th: live (a category to announce). 95th: final but no standings."""
    users = {name: UserFactory(display_name=name) for name in ("Ann", "Bob", "Cat", "Dan", "Eve")}
    users["Dan"].role = "expert"
    users["Dan"].save()
    c92, c93, c94, c95 = (CeremonyFactory(number=n) for n in (92, 93, 94, 95))
    w92, n92 = winners_round(c92), winners_round(c92, Round.Kind.NOMINATIONS)
    stand(w92, users["Ann"], 1, correct=2, decided=2, points=150)
    stand(w92, users["Dan"], 2)
    stand(w92, users["Dan"], 1, segment="experts")
    stand(w92, users["Cat"], 1, segment="top24")  # Top 24 is a team: no champion listed
    stand(n92, users["Bob"], 1, correct=8, decided=10, saved_minutes=1)
    stand(n92, users["Cat"], 1, correct=8, decided=10, saved_minutes=1)
    stand(n92, users["Ann"], 3, correct=5, decided=10)
    w93 = winners_round(c93)
    stand(w93, users["Eve"], 1)
    stand(winners_round(c94), users["Bob"], 1)
    for ceremony in (c92, c93, c94, c95):
        finalize(ceremony)
    CategoryFactory(ceremony=c94)  # still to announce
    return users


def test_champions_lists_every_final_leaderboards_winners_newest_first(client, champs):
    response = client.get(CHAMPIONS)
    assert response.status_code == 200
    past = response.context["past"]

    assert [item["ceremony"].number for item in past] == [93, 92]
    boards = {
        item["ceremony"].number: [
            (b.label, b.players, [s.user.display_name for s in b.champions]) for b in item["boards"]
        ]
        for item in past
    }
    assert boards[93] == [("Winners round · All users", 1, ["Eve"])]
    assert boards[92] == [
        ("Winners round · All users", 2, ["Ann"]),
        ("Winners round · Experts", 1, ["Dan"]),
        ("Nominations round · All users", 3, ["Bob", "Cat"]),
    ]
    text = page_text(response)
    assert text.index("93rd Academy Awards") < text.index("92nd Academy Awards")
    assert "Nominations round · All users · 3 players · tied for first Bob 8/10 80%" in text
    assert "94th" not in text and "95th" not in text
    assert f'href="/ceremonies/academy-awards/92/leaderboard/{champs["Ann"].id}/"' in response.content.decode()


def test_champions_query_count_does_not_grow_with_ceremonies(client, champs):
    small = query_count(client, CHAMPIONS)
    for number in (96, 97, 98):
        ceremony = CeremonyFactory(number=number)
        round_ = winners_round(ceremony)
        for _ in range(3):
            stand(round_, UserFactory(), 1, segment="all")
            stand(round_, UserFactory(), 1, segment="editors")
        finalize(ceremony)
    assert len(client.get(CHAMPIONS).context["past"]) == 5
    assert query_count(client, CHAMPIONS) == small


def test_champions_empty_and_unknown_show(client, db):
    AwardShowFactory()
    assert "No Academy Awards ceremony has final standings yet" in page_text(client.get(CHAMPIONS))
    assert client.get(reverse("history:champions", kwargs={"show": "nope"})).status_code == 404


def test_names_are_escaped_on_both_pages(client, db):
    ceremony = CeremonyFactory(number=92)
    # Bypasses the display-name validator, as an old or imported account might.
    hacker = UserFactory(display_name="<script>alert(1)</script>")
    stand(winners_round(ceremony), hacker, 1)
    finalize(ceremony)
    for url in (ALL_TIME, CHAMPIONS):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_final_results_promote_their_top_24_into_the_next_ceremony(
    season, fan, expert, editor, django_capture_on_commit_callbacks
):
    """The last announcement's recompute promotes, without anyone calling top24_promote."""
    following = CeremonyFactory(show=season["ceremony"].show, number=94)
    with django_capture_on_commit_callbacks(execute=True):
        for user in (fan, expert):
            for key in ("picture", "editing"):
                ballot_save(user=user, category=season[key], ranking=[c.id for c in season["nominees"][key]])
    Round.objects.filter(pk=season["round"].pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        result_announce(editor=editor, category=season["picture"], contender_ids=[season["nominees"]["picture"][0].id])
    assert not Top24Member.objects.filter(ceremony=following).exists()  # not final yet
    with django_capture_on_commit_callbacks(execute=True):
        result_announce(editor=editor, category=season["editing"], contender_ids=[season["nominees"]["editing"][1].id])
    assert set(Top24Member.objects.filter(ceremony=following).values_list("user_id", flat=True)) == {fan.id, expert.id}


def test_final_results_send_each_participant_one_score_email(
    season, fan, expert, editor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for user in (fan, expert):
            for key in ("picture", "editing"):
                ballot_save(user=user, category=season[key], ranking=[c.id for c in season["nominees"][key]])
    Round.objects.filter(pk=season["round"].pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    for key in ("picture", "editing"):
        with django_capture_on_commit_callbacks(execute=True):
            result_announce(editor=editor, category=season[key], contender_ids=[season["nominees"][key][0].id])
    assert sorted(m.to[0] for m in mailoutbox) == sorted([fan.email, expert.email])
    with django_capture_on_commit_callbacks(execute=True):
        leaderboard_recompute(ceremony_id=season["ceremony"].id)  # final again: nobody is mailed twice
    assert len(mailoutbox) == 2
