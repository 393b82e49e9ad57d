"""Results-night pages: the control room (editors only), the leaderboard (segments, pages, my rank, the live
fragment) and the user card. Ballots are real saves (ballot_save, odds recomputed on commit, eager tasks) and
standings come from the services; expected points are worked out here from the rule (100 x the ladder price at
the locked probability), not read back from leaderboards.scoring.
"""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from films.models import Contender, Round
from leaderboards.models import Announcement, Standing
from leaderboards.services import result_announce
from predictions.models import Pick, Top24Member
from predictions.odds import fractional_odds, ladder_price
from predictions.services import ballot_save
from tests.factories import UserFactory
from tests.helpers import page_text, query_count

pytestmark = pytest.mark.django_db

BASE = "/ceremonies/academy-awards/93"
CONTROL = f"{BASE}/control-room/"
BOARD = f"{BASE}/leaderboard/"


# --- helpers -------------------------------------------------------------------------------------------------------


def nominee(season, category, name) -> Contender:
    return next(c for c in season["nominees"][category] if c.name == name)


def close(season) -> None:
    Round.objects.filter(pk=season["round"].pk).update(closes_at=timezone.now() - timedelta(minutes=1))


def html(response) -> str:
    return response.content.decode()


def alert(response) -> str:
    match = re.search(r'<div[^>]*role="alert"[^>]*>(.*?)</div>', html(response), flags=re.S)
    assert match, "no alert on the page"
    return page_text(match.group(1))


def board_rows(response) -> list[list[str]]:
    """The leaderboard table's body: [[rank, name, correct, accuracy, points, (possible final rank)], ...]."""
    table = re.search(r'<table class="odds-table leaderboard-table">.*?<tbody>(.*?)</tbody>', html(response), re.S)
    assert table, "no leaderboard table on the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), flags=re.S)
    return [[page_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)] for row in rows]


def points(pick: Pick, *, correct: bool) -> str:
    """The rule by hand: a correct pick wins 100 x num/den at its locked price, a wrong one loses 100."""
    num, den = ladder_price(pick.locked_probability)
    value = round(100 * num / den, 1) if correct else -100
    text = f"{abs(value):,.1f}".removesuffix(".0")
    return f"+{text}" if value > 0 else f"−{text}"


@pytest.fixture
def save(django_capture_on_commit_callbacks):
    def run(user, season, category, *names, now=None):
        with django_capture_on_commit_callbacks(execute=True):
            ballot_save(
                user=user,
                category=season[category],
                ranking=[nominee(season, category, n).id for n in names],
                now=now,
            )

    return run


@pytest.fixture
def announce(django_capture_on_commit_callbacks, editor):
    def run(season, category, *names):
        with django_capture_on_commit_callbacks(execute=True):
            return result_announce(
                editor=editor, category=season[category], contender_ids=[nominee(season, category, n).id for n in names]
            )

    return run


@pytest.fixture
def second_fan(db):
    return UserFactory(display_name="Second Fan")


@pytest.fixture
def voted(season, fan, expert, editor, second_fan, save):
    """Four players' winner picks, saved one after the other (each moves the odds the next one locks), then the
    winners round closes. Best Picture: the fan and the editor pick Nomadland; Film Editing: the fan and the expert
    pick Sound of Metal."""
    save(fan, season, "picture", "Nomadland", "The Father")
    save(fan, season, "editing", "Sound of Metal")
    save(expert, season, "picture", "The Father")
    save(expert, season, "editing", "Sound of Metal")
    save(editor, season, "picture", "Nomadland")
    save(editor, season, "editing", "Nomadland")
    save(second_fan, season, "picture", "Minari")
    save(second_fan, season, "editing", "Promising")
    close(season)
    return season


def first_pick(user, season, category) -> Pick:
    return Pick.objects.get(user=user, category=season[category], rank=1)


def login(client, user):
    client.force_login(user)
    return client


# --- control room: who may enter --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, voted):
    response = client.get(CONTROL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(CONTROL)}"
    picture = voted["picture"]
    posted = client.post(CONTROL, {"action": "announce", "category": picture.id, "contenders": [1]})
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")
    assert not Announcement.objects.exists()


@pytest.mark.parametrize("role", ["fan", "expert", "moderator"])
def test_only_editors_enter_the_control_room(client, voted, role):
    login(client, UserFactory(display_name=f"Some {role}", role=role))
    response = client.get(CONTROL)
    assert response.status_code == 403
    assert "The control room is for editors" in page_text(response)
    assert 'name="contenders"' not in html(response)

    nomadland = nominee(voted, "picture", "Nomadland")
    posted = client.post(CONTROL, {"action": "announce", "category": voted["picture"].id, "contenders": [nomadland.id]})
    assert posted.status_code == 403
    assert not Announcement.objects.exists()
    assert not Contender.objects.filter(is_winner=True).exists()
    assert not Standing.objects.exists()


def test_the_control_room_lists_every_category_and_its_nominees(client, voted, editor):
    response = login(client, editor).get(CONTROL)
    assert response.status_code == 200
    text = page_text(response)
    assert "0 of 2 announced" in text
    for category, names in (
        ("picture", ["Nomadland", "The Father", "Minari"]),
        ("editing", ["Sound of Metal", "Nomadland", "Promising"]),
    ):
        section = re.search(rf'id="{voted[category].slug}".*?</section>', html(response), flags=re.S).group(0)
        labels = re.findall(
            r'name="contenders" value="\d+">\s*<span class="control-nominee-text"><span class="nominee-main">([^<]+)<',
            section,
        )
        assert labels == names
        assert "Announce for " + voted[category].display_name in page_text(section)
    assert "Not nominated" not in text  # the long list is not announced
    assert html(response).count("<fieldset>") == 2 and "<fieldset disabled" not in html(response)


def test_while_predictions_are_open_the_forms_are_disabled_and_a_post_is_refused(client, season, editor, fan, save):
    save(fan, season, "picture", "Nomadland")
    login(client, editor)
    response = client.get(CONTROL)
    text = page_text(response)
    assert "Predictions for the winners round are still open. Close predictions before announcing." in text
    assert html(response).count("<fieldset disabled>") == 2

    nomadland = nominee(season, "picture", "Nomadland")
    posted = client.post(
        CONTROL, {"action": "announce", "category": season["picture"].id, "contenders": [nomadland.id]}
    )
    assert posted.status_code == 200
    assert "Best Picture: Close predictions before announcing." in alert(posted)
    assert not Announcement.objects.exists()
    assert not Contender.objects.filter(is_winner=True).exists()


# --- control room: announcing and undoing ------------------------------------------------------------------------


def test_an_editor_announces_a_winner_through_the_page(client, voted, editor, django_capture_on_commit_callbacks):
    login(client, editor)
    nomadland = nominee(voted, "picture", "Nomadland")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CONTROL, {"action": "announce", "category": voted["picture"].id, "contenders": [nomadland.id]}
        )
    assert response.status_code == 302
    assert response["Location"] == f"{CONTROL}#best-picture"
    assert list(Announcement.objects.standing().values_list("contender__name", "announced_by")) == [
        ("Nomadland", editor.id)
    ]
    assert Contender.objects.get(pk=nomadland.pk).is_winner
    assert Standing.objects.filter(round=voted["round"], segment="all").count() == 4  # recomputed on commit

    page = client.get(response["Location"])
    text = page_text(page)
    assert "Announced Nomadland for Best Picture." in text
    assert "1 of 2 announced" in text
    assert "announced by An Editor" in text
    picture = re.search(r'id="best-picture".*?</section>', html(page), flags=re.S).group(0)
    assert re.search(rf'value="{nomadland.id}" checked disabled', picture)
    assert "Announce a tied winner" in page_text(picture)
    assert "Undo Best Picture…" in page_text(picture)


def test_tied_winners_are_announced_together(client, voted, editor, django_capture_on_commit_callbacks):
    login(client, editor)
    ids = [nominee(voted, "picture", n).id for n in ("Nomadland", "The Father")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONTROL, {"action": "announce", "category": voted["picture"].id, "contenders": ids})
    assert "Announced Nomadland and The Father (tied) for Best Picture." in page_text(client.get(response["Location"]))
    assert set(Contender.objects.filter(is_winner=True).values_list("name", flat=True)) == {"Nomadland", "The Father"}
    # the fan (Nomadland) and the expert (The Father) are both right
    rights = dict(Standing.objects.filter(segment="all").values_list("user__display_name", "correct"))
    assert rights == {"A Fan": 1, "An Expert": 1, "An Editor": 1, "Second Fan": 0}


def test_undo_asks_first_then_undoes(client, voted, editor, announce, django_capture_on_commit_callbacks):
    announce(voted, "picture", "Nomadland")
    login(client, editor)
    category = voted["picture"].id

    ask = client.post(CONTROL, {"action": "undo", "category": category})
    assert ask.status_code == 200
    assert "Undo the announcement of Best Picture? Nomadland will no longer be the winner" in alert(ask)
    assert Announcement.objects.standing().count() == 1  # nothing changed yet

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(CONTROL, {"action": "undo", "category": category, "confirm": "on"})
    assert done.status_code == 302
    assert not Announcement.objects.standing().exists()
    assert not Contender.objects.filter(is_winner=True).exists()
    assert set(Standing.objects.filter(segment="all").values_list("decided", flat=True)) == {0}

    page = client.get(done["Location"])
    text = page_text(page)
    assert "Undid the announcement of Best Picture (Nomadland is no longer the winner)." in text
    assert "0 of 2 announced" in text
    assert "Undone announcements (1)" in text
    assert "undone by An Editor" in text


@pytest.mark.parametrize(
    ("contenders", "message"),
    [
        (
            lambda s: [nominee(s, "editing", "Sound of Metal").id],
            "Best Picture: Announce only nominees of Best Picture.",
        ),
        (lambda s: [s["long_list"].id], "Best Picture: Announce only nominees of Best Picture."),
        (lambda s: [], "Best Picture: Tick the winner (tick two or more for a tie)."),
        (lambda s: ["x"], "Best Picture: Choose the winners from the list."),
        (lambda s: ["²"], "Best Picture: Choose the winners from the list."),
        (lambda s: ["9" * 30], "Best Picture: Choose the winners from the list."),
    ],
)
def test_a_refused_announcement_is_shown_and_changes_nothing(client, voted, editor, contenders, message):
    login(client, editor)
    response = client.post(
        CONTROL, {"action": "announce", "category": voted["picture"].id, "contenders": contenders(voted)}
    )
    assert response.status_code == 200
    assert message in alert(response)
    assert "Nothing was changed." in alert(response)
    assert not Announcement.objects.exists()
    assert not Contender.objects.filter(is_winner=True).exists()


def test_undo_of_an_undecided_category_shows_the_service_message(client, voted, editor):
    login(client, editor)
    response = client.post(CONTROL, {"action": "undo", "category": voted["picture"].id, "confirm": "on"})
    assert response.status_code == 200
    assert "Nothing to undo: no winner of Best Picture is announced." in alert(response)


@pytest.mark.parametrize(
    "data",
    [
        {"action": "announce", "category": "999999", "contenders": ["1"]},
        {"action": "announce", "category": "²", "contenders": ["1"]},
        {"action": "announce", "category": "9" * 30, "contenders": ["1"]},
        {"action": "undo", "category": "\x00", "confirm": "on"},
        {"action": "undo"},
        {"action": "explode"},
        {},
    ],
)
def test_bad_posts_get_a_message_not_a_500(client, voted, editor, data):
    response = login(client, editor).post(CONTROL, data)
    assert response.status_code == 400
    assert alert(response)
    assert not Announcement.objects.exists()


# --- leaderboard -----------------------------------------------------------------------------------------------------


def test_before_any_announcement_the_leaderboard_is_empty_and_live(client, voted):
    response = client.get(BOARD)
    assert response.status_code == 200
    text = page_text(response)
    assert "No winners announced yet: the leaderboard fills in as the envelopes open." in text
    assert 'data-live="true"' in html(response)
    assert "js/live.js" in html(response)
    assert "How scoring works" in text
    assert "Every pick stakes 100 points at the Combined odds locked when you saved it." in text
    assert "A correct pick earns 100 × the fractional odds (+400 at 4/1, +100 at EVEN, +66.7 at 4/6)" in text


def test_the_leaderboard_shows_the_ranks_the_services_computed(
    client, voted, fan, expert, editor, second_fan, announce
):
    announce(voted, "picture", "Nomadland")
    rows = board_rows(client.get(BOARD))
    # Fan and editor are right; the fan locked Nomadland at the prior (1/3: 2/1), before the odds moved.
    assert [row[:3] for row in rows] == [
        ["1", "A Fan", "1/1"],
        ["2", "An Editor", "1/1"],
        ["3", "An Expert", "0/1"],
        ["4", "Second Fan", "0/1"],
    ]
    assert fractional_odds(first_pick(fan, voted, "picture").locked_probability) == "2/1"
    assert rows[0][3:5] == ["100%", "+200"]
    assert rows[1][4] == points(first_pick(editor, voted, "picture"), correct=True)
    assert rows[2][3:5] == ["0%", "−100"]
    # While live, every row carries its possible final rank: one category left, so everyone can still be 1st
    # except those the leaders are already out of reach of.
    board = {s.user.display_name: s for s in Standing.objects.board(voted["round"]).select_related("user")}
    for row in rows:
        standing = board[row[1]]
        assert row[0] == str(standing.rank)
        assert row[5] == f"{standing.best_rank}–{standing.worst_rank}"
    # By hand (accuracy only): the fan has 1 right and can reach 2; only the editor can still pass 1, so 1st to 2nd.
    # The expert has 0 and can reach 1, which nobody already exceeds: anywhere from 1st to 4th.
    assert (rows[0][5], rows[2][5]) == ("1–2", "1–4")
    text = page_text(client.get(BOARD))
    assert "1 of 2 categories announced" in text

    # Film Editing: the fan and the expert are right; the editor and the expert tie on accuracy, points decide.
    announce(voted, "editing", "Sound of Metal")
    response = client.get(BOARD)
    rows = board_rows(response)
    assert [row[:3] for row in rows] == [
        ["1", "A Fan", "2/2"],
        ["2", "An Editor", "1/2"],
        ["3", "An Expert", "1/2"],
        ["4", "Second Fan", "0/2"],
    ]
    editor_points = float(points(first_pick(editor, voted, "picture"), correct=True).lstrip("+")) - 100
    expert_points = float(points(first_pick(expert, voted, "editing"), correct=True).lstrip("+")) - 100
    assert editor_points > expert_points
    assert all(len(row) == 5 for row in rows)  # final: no possible-rank column
    assert 'data-live="false"' in html(response)
    assert "js/live.js" not in html(response)
    assert "Every category is announced: these are the final standings." in page_text(response)


def test_segments_rank_their_own_members(client, voted, second_fan, announce):
    Top24Member.objects.create(ceremony=voted["ceremony"], user=second_fan, rank=1)
    announce(voted, "picture", "Nomadland")
    assert [row[:2] for row in board_rows(client.get(f"{BOARD}?segment=experts"))] == [["1", "An Expert"]]
    assert [row[:2] for row in board_rows(client.get(f"{BOARD}?segment=editors"))] == [["1", "An Editor"]]
    assert [row[:2] for row in board_rows(client.get(f"{BOARD}?segment=top24"))] == [["1", "Second Fan"]]
    response = client.get(f"{BOARD}?segment=experts")
    assert re.search(
        r'href="[^"]*segment=experts"\s+aria-current="page">Experts <span class="segment-count">1<', html(response)
    )
    assert 'All users <span class="segment-count">4<' in html(response)


def test_my_row_is_highlighted_with_my_rank(client, voted, editor, announce):
    announce(voted, "picture", "Nomadland")
    response = login(client, editor).get(BOARD)
    text = page_text(response)
    assert "Your rank: 2nd of 4" in text
    mine = re.findall(r'<tr id="you" class="is-you" aria-current="true">(.*?)</tr>', html(response), flags=re.S)
    assert len(mine) == 1
    assert "An Editor" in page_text(mine[0]) and "You" in page_text(mine[0])
    assert html(response).count('aria-current="true"') == 1


def test_bad_parameters_get_a_notice_not_a_500(client, voted, announce):
    announce(voted, "picture", "Nomadland")
    response = client.get(f"{BOARD}?round=<b>oops</b>&segment=combined&page=abc")
    assert response.status_code == 200
    notice = alert(response)
    assert "There is no round “&lt;b&gt;oops&lt;/b&gt;”. Showing the winners round." in notice  # escaped
    assert "<b>oops" not in html(response)
    assert "Combined has no leaderboard" in notice
    assert len(board_rows(response)) == 4
    assert client.get(f"{BOARD}?page=999").status_code == 200
    assert client.get(f"{BOARD}?page=-1&segment=%00&round=%00").status_code == 200
    assert client.get(f"{BOARD}?round=nominations").status_code == 200
    assert "has no nominations round" in page_text(client.get(f"{BOARD}?round=nominations"))


@pytest.fixture
def crowd(season, save):
    """60 players of Best Picture, one save each, a minute apart: the first 30 pick Nomadland (right), the rest
    Minari (wrong). Later saves rank lower among equals."""
    start = timezone.now() - timedelta(days=2)
    players = []
    for i in range(60):
        user = UserFactory(display_name=f"Player {i:02d}")
        save(user, season, "picture", "Nomadland" if i < 30 else "Minari", now=start + timedelta(minutes=i))
        players.append(user)
    close(season)
    return players


def test_the_leaderboard_is_paginated_and_links_to_my_page(client, season, crowd, announce):
    announce(season, "picture", "Nomadland")
    first = client.get(BOARD)
    assert len(board_rows(first)) == 50
    assert "Page 1 of 2" in page_text(first)
    second = client.get(f"{BOARD}?round=winners&segment=all&page=2")
    rows = board_rows(second)
    assert len(rows) == 10
    names = [row[1] for row in board_rows(first) + rows]
    assert len(set(names)) == 60
    expected = [s.user.display_name for s in Standing.objects.board(season["round"]).select_related("user")]
    assert names == expected
    # the shared pager (templates/_pager.html) with the leaderboard's labels; page 1 has one address
    page_one = second.content.decode()
    assert 'href="?round=winners&amp;segment=all" rel="prev">← Higher ranks</a>' in page_one
    assert 'href="?round=winners&amp;segment=all&amp;page=2" rel="next">Lower ranks →</a>' in first.content.decode()

    last = crowd[-1]  # wrong and the latest save: the last row
    response = login(client, last).get(BOARD)
    text = page_text(response)
    assert "Your rank: 60th of 60" in text
    assert 'href="/ceremonies/academy-awards/93/leaderboard/?round=winners&amp;segment=all&amp;page=2#you"' in html(
        response
    )
    assert 'id="you"' not in html(response)
    on_page_two = client.get(f"{BOARD}?round=winners&segment=all&page=2")
    assert re.search(r'<tr id="you" class="is-you" aria-current="true">.*?Player 59', html(on_page_two), flags=re.S)


def test_query_count_does_not_grow_with_the_page(client, season, crowd, announce):
    announce(season, "picture", "Nomadland")
    full = query_count(client, BOARD)  # 50 rows
    short = query_count(client, f"{BOARD}?page=2")  # 10 rows
    fragment = query_count(client, f"{BOARD}?fragment=1")
    assert full == short == fragment
    login(client, crowd[0])
    assert query_count(client, BOARD) == query_count(client, f"{BOARD}?page=2")
    card = query_count(client, f"{BOARD}{crowd[0].id}/")
    assert card == query_count(client, f"{BOARD}{crowd[-1].id}/")


def test_the_fragment_is_the_table_alone(client, voted, announce):
    announce(voted, "picture", "Nomadland")
    response = client.get(f"{BOARD}?fragment=1")
    assert response.status_code == 200
    body = html(response).strip()
    assert body.startswith('<div id="leaderboard-live"')
    assert body.endswith("</div>")
    assert "<html" not in body and "How scoring works" not in body and "site-header" not in body
    assert 'data-live="true"' in body
    assert "— Best Picture announced" in re.search(r'data-summary="([^"]*)"', body).group(1)
    assert len(board_rows(response)) == 4
    assert "no-cache" in response["Cache-Control"]
    # the full page holds the same container, and the polite live region outside it
    page = html(client.get(BOARD))
    assert 'id="live-status"' in page and 'aria-live="polite"' in page
    assert page.index('id="live-status"') < page.index('id="leaderboard-live"')


def test_display_names_are_escaped(client, voted, save, announce):
    villain = UserFactory(display_name='<script>alert("x")</script>')
    Round.objects.filter(pk=voted["round"].pk).update(closes_at=timezone.now() + timedelta(days=1))
    save(villain, voted, "picture", "Nomadland")
    close(voted)
    announce(voted, "picture", "Nomadland")
    for url in (BOARD, f"{BOARD}?fragment=1", f"{BOARD}{villain.id}/"):
        body = html(client.get(url))
        assert "<script>alert" not in body, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body, url


# --- user card ----------------------------------------------------------------------------------------------------


def test_the_card_shows_right_and_wrong_picks_with_points(client, voted, fan, expert, announce):
    announce(voted, "picture", "Nomadland")
    response = client.get(f"{BOARD}{expert.id}/")
    assert response.status_code == 200
    text = page_text(response)
    assert "An Expert" in text
    rows = re.findall(r'<tr class="pick-(\w+)">(.*?)</tr>', html(response), flags=re.S)
    cells = {
        kind: [page_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)] for kind, row in rows
    }
    father = first_pick(expert, voted, "picture")
    assert cells["wrong"] == [
        "Best Picture",
        "The Father",
        "Nomadland",
        "✗ Wrong",
        fractional_odds(father.locked_probability),
        "−100",
    ]
    sound = first_pick(expert, voted, "editing")
    to_win = points(sound, correct=True)
    assert cells["pending"] == [
        "Film Editing",
        "Sound of Metal",
        "Not announced yet",
        "Pending",
        fractional_odds(sound.locked_probability),
        f"100 to win {to_win}",
    ]
    assert "Winners round · All users : 3rd of 4" in text
    assert "Announced categories: 0 of 1 right −100" in text

    fan_card = page_text(client.get(f"{BOARD}{fan.id}/"))
    assert "Best Picture Nomadland Nomadland ✓ Right 2/1 +200" in fan_card
    assert "1st of 4" in fan_card


def test_unknown_users_have_no_card(client, voted):
    assert client.get(f"{BOARD}999999/").status_code == 404
    assert client.get(f"{BOARD}{'9' * 30}/").status_code == 404
    assert client.get(f"/ceremonies/academy-awards/12/leaderboard/{UserFactory().id}/").status_code == 404


def test_a_fans_picks_stay_private_while_predictions_are_open(client, season, fan, expert, save):
    save(fan, season, "picture", "Nomadland")
    save(expert, season, "picture", "Minari")
    assert "A Fan’s picks are shown once predictions close." in page_text(client.get(f"{BOARD}{fan.id}/"))
    assert "Nomadland" not in page_text(client.get(f"{BOARD}{fan.id}/"))
    assert "Minari" in page_text(client.get(f"{BOARD}{expert.id}/"))  # experts predict publicly
    assert "Nomadland" in page_text(login(client, fan).get(f"{BOARD}{fan.id}/"))  # and anyone sees their own
