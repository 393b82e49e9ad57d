"""The ballot pages (overview and category ballot, without JavaScript), the experts' grid and an expert's page."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from films.models import Category, Round
from predictions.models import Ballot, Pick
from predictions.services import ballot_save
from tests.factories import CategoryFactory, CeremonyFactory, ContenderFactory, UserFactory
from tests.helpers import page_text, query_count

pytestmark = pytest.mark.django_db

OVERVIEW = "/ceremonies/academy-awards/93/ballot/"
PICTURE = "/ceremonies/academy-awards/93/ballot/best-picture/"
EDITING = "/ceremonies/academy-awards/93/ballot/film-editing/"
EXPERTS = "/ceremonies/academy-awards/93/experts/"


def _picks(user, category):
    return list(
        Pick.objects.filter(user=user, category=category).order_by("rank").values_list("contender__name", "rank")
    )


def _alert(response) -> str:
    match = re.search(r'<div[^>]*role="alert"[^>]*>(.*?)</div>', response.content.decode(), flags=re.S)
    assert match, "no alert on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _list_order(response) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="rank-item" data-contender-id="(\d+)"', response.content.decode())]


@pytest.fixture
def picture(season):
    return {c.name: c for c in season["nominees"]["picture"]}


def _close(season):
    now = season["now"]
    Round.objects.filter(pk=season["round"].pk).update(
        opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1)
    )


# Access


@pytest.mark.parametrize("url", [OVERVIEW, PICTURE])
def test_anonymous_visitors_are_sent_to_log_in_and_back(client, season, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(url)}"


def test_an_anonymous_post_saves_nothing(client, season, picture):
    response = client.post(PICTURE, {f"rank_{picture['Minari'].id}": "1"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/ceremonies/academy-awards/93/ballot/no-such-category/",
        "/ceremonies/academy-awards/12/ballot/",
        "/ceremonies/academy-awards/12/ballot/best-picture/",
        "/ceremonies/no-such-show/93/experts/",
    ],
)
def test_unknown_ceremonies_and_categories_are_not_found(client, season, fan, url):
    client.force_login(fan)
    assert client.get(url).status_code == 404


def test_an_honorary_category_has_no_ballot(client, season, fan):
    CategoryFactory(ceremony=season["ceremony"], name="HONORARY AWARD", award_class=Category.AwardClass.SPECIAL)
    client.force_login(fan)
    assert client.get("/ceremonies/academy-awards/93/ballot/honorary-award/").status_code == 404


# The category ballot


def test_the_ballot_lists_the_nominees_with_numbered_selects_and_the_script_hooks(client, season, fan, picture):
    client.force_login(fan)
    response = client.get(PICTURE)
    assert response.status_code == 200
    html = response.content.decode()
    text = page_text(response)
    assert "Best Picture" in text and "Winners round , closes" in text
    assert "Not nominated" not in text  # the winners round ranks nominees only
    assert _list_order(response) == [picture[n].id for n in ("Nomadland", "The Father", "Minari")]
    for position, name in enumerate(("Nomadland", "The Father", "Minari"), start=1):
        contender_id = picture[name].id
        select = re.search(rf'<select name="rank_{contender_id}"[^>]*>(.*?)</select>', html, flags=re.S)
        assert select, name
        assert re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1)) == ["—", "1", "2", "3"]
        assert (
            f'<li class="rank-item" data-contender-id="{contender_id}" data-label="{name}" tabindex="0" '
            f'aria-label="{name}, position {position} of 3">'
        ) in html
    assert '<ol id="ranking" class="ranking" data-ranking>' in html
    assert '<div id="ranking-status" class="visually-hidden" aria-live="polite"></div>' in html
    assert re.search(r'<script src="/static/js/ranking\.js" defer></script>', html)
    assert '<link rel="stylesheet" href="/static/css/ranking.css">' in html
    assert re.search(r'<button type="submit" class="button">Save ranking</button>', html)
    assert 'name="move_up"' in html and 'name="move_down"' in html
    assert "rationale_" not in html  # fans give no rationale


def test_the_odds_link_appears_once_the_odds_pages_exist(client, season, fan):
    client.force_login(fan)
    try:
        odds = reverse(
            "odds:category_odds", kwargs={"show": "academy-awards", "number": 93, "category": "best-picture"}
        )
    except NoReverseMatch:
        odds = None
    html = client.get(PICTURE).content.decode()
    if odds:
        assert f'<a href="{odds}">See the odds</a>' in html
    else:
        assert "See the odds" not in html


def test_a_post_saves_the_ranking_compacting_gaps_and_redirects_with_a_message(client, season, fan, picture):
    client.force_login(fan)
    response = client.post(PICTURE, {f"rank_{picture['Minari'].id}": "1", f"rank_{picture['Nomadland'].id}": "3"})
    assert response.status_code == 302 and response["Location"] == PICTURE
    assert _picks(fan, season["picture"]) == [("Minari", 1), ("Nomadland", 2)]
    page = client.get(response["Location"])
    text = page_text(page)
    assert "Saved your ranking of Best Picture." in text
    assert "1 of 2 categories ranked. Next to rank: Film Editing" in text
    assert f'href="{EDITING}">Film Editing</a>' in page.content.decode()
    # The saved order first, then the rest; the selects show the saved ranks.
    assert _list_order(page) == [picture[n].id for n in ("Minari", "Nomadland", "The Father")]
    html = page.content.decode()
    assert re.search(rf'<select name="rank_{picture["Minari"].id}"[^>]*>.*?<option value="1" selected>', html, re.S)
    assert "Last saved" in text


def test_saving_again_replaces_the_ranking(client, season, fan, picture):
    client.force_login(fan)
    client.post(PICTURE, {f"rank_{picture['Minari'].id}": "1"})
    client.post(PICTURE, {f"rank_{picture['The Father'].id}": "1", f"rank_{picture['Minari'].id}": "2"})
    assert _picks(fan, season["picture"]) == [("The Father", 1), ("Minari", 2)]
    assert Ballot.objects.filter(user=fan).count() == 1


def test_a_duplicate_rank_is_a_clear_error_and_changes_nothing(client, season, fan, picture):
    ballot_save(user=fan, category=season["picture"], ranking=[picture["Minari"].id])
    client.force_login(fan)
    response = client.post(
        PICTURE,
        {
            f"rank_{picture['Nomadland'].id}": "1",
            f"rank_{picture['The Father'].id}": "1",
            f"rank_{picture['Minari'].id}": "2",
        },
    )
    assert response.status_code == 200
    alert = _alert(response)
    assert "Your ranking was not saved." in alert
    assert "Rank 1 is given to both Nomadland and The Father. Give each contender its own rank." in alert
    assert _picks(fan, season["picture"]) == [("Minari", 1)]
    # The page keeps what was posted, so the user can fix it.
    html = response.content.decode()
    assert re.search(rf'<select name="rank_{picture["The Father"].id}"[^>]*>.*?<option value="1" selected>', html, re.S)


@pytest.mark.parametrize("intruder", ["editing", "long_list"])
def test_a_contender_of_another_category_or_not_nominated_is_refused(client, season, fan, picture, intruder):
    other = season["nominees"]["editing"][0] if intruder == "editing" else season["long_list"]
    client.force_login(fan)
    response = client.post(PICTURE, {f"rank_{picture['Minari'].id}": "1", f"rank_{other.id}": "2"})
    assert response.status_code == 200
    assert "Rank only the contenders of Best Picture in this round." in _alert(response)
    assert not Ballot.objects.exists() and not Pick.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rank_abc", "1", "This ballot names a contender that does not exist."),
        ("rank_OTHER", "first", "Choose each rank from the list."),
        ("rank_MINARI", "9", "Select a valid choice."),
        ("rank_MINARI", "-1", "Select a valid choice."),
    ],
)
def test_tampered_fields_are_errors_not_crashes(client, season, fan, picture, field, value, message):
    field = field.replace("OTHER", str(season["nominees"]["editing"][0].id))
    field = field.replace("MINARI", str(picture["Minari"].id))
    client.force_login(fan)
    response = client.post(PICTURE, {f"rank_{picture['Nomadland'].id}": "1", field: value})
    assert response.status_code == 200
    assert message in _alert(response)
    assert not Ballot.objects.exists()


def test_an_empty_ballot_says_what_to_do(client, season, fan):
    client.force_login(fan)
    response = client.post(PICTURE, {})
    assert "Rank at least one contender." in _alert(response)
    assert not Ballot.objects.exists()


def test_only_the_signed_in_users_ballot_is_ever_written(client, season, fan, expert, picture):
    client.force_login(fan)
    client.post(PICTURE, {f"rank_{picture['Minari'].id}": "1", "user": str(expert.pk), "user_id": str(expert.pk)})
    assert list(Ballot.objects.values_list("user_id", flat=True)) == [fan.pk]
    assert _picks(expert, season["picture"]) == []


def test_move_buttons_reorder_without_javascript_and_save_nothing(client, season, fan, picture):
    client.force_login(fan)
    order = [picture[n].id for n in ("Nomadland", "The Father", "Minari")]
    response = client.post(PICTURE, {"order": [str(i) for i in order], "move_down": str(picture["Nomadland"].id)})
    assert response.status_code == 200
    assert _list_order(response) == [picture[n].id for n in ("The Father", "Nomadland", "Minari")]
    assert "Order changed but not saved yet" in page_text(response)
    html = response.content.decode()
    assert 'aria-label="Nomadland, position 2 of 3"' in html
    assert re.search(rf'<select name="rank_{picture["Nomadland"].id}"[^>]*>.*?<option value="2" selected>', html, re.S)
    assert not Ballot.objects.exists()
    # A tampered order falls back to the page's own.
    response = client.post(PICTURE, {"order": ["1", "x"], "move_up": str(picture["Minari"].id)})
    assert _list_order(response) == [picture[n].id for n in ("Nomadland", "Minari", "The Father")]


# A closed round


def test_a_closed_round_shows_the_saved_ranking_read_only_and_refuses_a_post(client, season, fan, picture):
    ballot_save(user=fan, category=season["picture"], ranking=[picture["The Father"].id, picture["Minari"].id])
    _close(season)
    client.force_login(fan)
    response = client.get(PICTURE)
    text = page_text(response)
    assert "Predictions for Best Picture are closed." in text
    assert "The Winners round closed on" in text
    assert re.search(r"Your ranking 1 The Father 2 Minari", text)
    html = response.content.decode()
    assert '<form method="post" class="ranking-form"' not in html and 'name="rank_' not in html
    assert "ranking.js" not in html

    response = client.post(PICTURE, {f"rank_{picture['Nomadland'].id}": "1"})
    assert response.status_code == 200
    assert "Predictions for Best Picture are closed." in _alert(response)
    assert _picks(fan, season["picture"]) == [("The Father", 1), ("Minari", 2)]


def test_a_closed_round_overview_is_read_only(client, season, fan, picture):
    ballot_save(user=fan, category=season["picture"], ranking=[picture["The Father"].id])
    _close(season)
    client.force_login(fan)
    text = page_text(client.get(OVERVIEW))
    assert "The Winners round closed on" in text and "picks are read-only" in text
    assert "1 of 2 categories ranked before the round closed" in text
    assert "Your #1 The Father" in text
    assert "Still to rank" not in text


def test_a_round_not_open_yet_says_when_it_opens(client, season, fan):
    now = season["now"]
    Round.objects.filter(pk=season["round"].pk).update(
        opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=9)
    )
    client.force_login(fan)
    assert "Predictions open on" in page_text(client.get(OVERVIEW))
    text = page_text(client.get(PICTURE))
    assert "Predictions for Best Picture are not open yet." in text and 'name="rank_' not in text


# Rationales


def test_a_fan_has_no_rationale_inputs_and_a_posted_rationale_is_refused(client, season, fan, picture):
    client.force_login(fan)
    assert "rationale_" not in client.get(PICTURE).content.decode()
    minari = picture["Minari"].id
    response = client.post(PICTURE, {f"rank_{minari}": "1", f"rationale_{minari}": "Trust me"})
    assert "Only experts and editors add a rationale to their picks." in _alert(response)
    assert not Ballot.objects.exists()


def test_an_experts_rationale_is_saved_and_shown_on_the_grid_and_their_page(client, season, expert, picture):
    client.force_login(expert)
    html = client.get(PICTURE).content.decode()
    nomadland = picture["Nomadland"].id
    assert re.search(rf'<textarea name="rationale_{nomadland}"[^>]*maxlength="280"', html)
    assert f'id="count_rationale_{nomadland}"' in html
    response = client.post(
        PICTURE,
        {f"rank_{nomadland}": "1", f"rank_{picture['Minari'].id}": "2", f"rationale_{nomadland}": "  Guild sweep.  "},
    )
    assert response.status_code == 302
    assert list(Pick.objects.filter(user=expert).order_by("rank").values_list("contender__name", "rationale")) == [
        ("Nomadland", "Guild sweep."),
        ("Minari", ""),
    ]
    client.logout()
    grid = client.get(EXPERTS)
    page = grid.content.decode()
    assert "An Expert" in page_text(grid)
    assert '<span class="has-rationale" title="Guild sweep." tabindex="0">Nomadland' in page
    expert_url = f"/ceremonies/academy-awards/93/experts/{expert.pk}/"
    assert f'href="{expert_url}">An Expert</a>' in page
    text = page_text(client.get(expert_url))
    assert "An Expert Expert" in text
    assert re.search(r"Best Picture 1 Nomadland “Guild sweep.” 2 Minari Film Editing No pick yet.", text)


def test_a_rationale_over_280_characters_is_refused(client, season, editor, picture):
    client.force_login(editor)
    minari = picture["Minari"].id
    response = client.post(PICTURE, {f"rank_{minari}": "1", f"rationale_{minari}": "x" * 281})
    assert "Ensure this value has at most 280 characters (it has 281)." in _alert(response)
    assert not Ballot.objects.exists()


def test_a_rationale_for_an_unranked_contender_is_refused(client, season, editor, picture):
    client.force_login(editor)
    response = client.post(
        PICTURE, {f"rank_{picture['Minari'].id}": "1", f"rationale_{picture['Nomadland'].id}": "Maybe next year"}
    )
    assert "A rationale must belong to a contender you ranked." in _alert(response)
    assert not Ballot.objects.exists()


# The overview


def test_the_overview_shows_progress_picks_and_what_is_left(client, season, fan, picture):
    ballot_save(user=fan, category=season["picture"], ranking=[picture["Nomadland"].id, picture["Minari"].id])
    client.force_login(fan)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    text = page_text(response)
    closes = season["round"].closes_at
    assert f"Winners round , closes {closes:%-d %B %Y} at {closes:%H:%M} UTC" in text
    assert "1 of 2 categories ranked" in text
    assert '<progress max="2" value="1"' in response.content.decode()
    assert "Best Picture Your #1 Nomadland · 2 of 3 ranked" in text
    assert "Film Editing Not ranked yet" in text
    assert "Still to rank: Film Editing ." in text and "Continue with Film Editing" in text
    assert f'href="{EDITING}"' in response.content.decode()


def test_the_overview_counts_only_this_users_ballots(client, season, fan, expert, picture):
    ballot_save(user=expert, category=season["picture"], ranking=[picture["Nomadland"].id])
    client.force_login(fan)
    text = page_text(client.get(OVERVIEW))
    assert "0 of 2 categories ranked" in text and "Start with Best Picture" in text


def _ceremony_with(number: int, categories: int, user) -> None:
    """A ceremony with an open winners round, `categories` categories of three nominees, all ranked by `user`."""
    ceremony = CeremonyFactory(number=number)
    now = timezone.now()
    Round.objects.create(
        ceremony=ceremony,
        kind=Round.Kind.WINNERS,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
    )
    for n in range(categories):
        category = CategoryFactory(ceremony=ceremony, name=f"CATEGORY {number} {n}", order=n)
        contenders = [ContenderFactory(category=category) for _ in range(3)]
        ballot_save(user=user, category=category, ranking=[c.id for c in contenders])


def test_the_overview_query_count_does_not_grow_with_categories(client, db, fan):
    _ceremony_with(90, 2, fan)
    _ceremony_with(91, 6, fan)
    client.force_login(fan)
    few = query_count(client, "/ceremonies/academy-awards/90/ballot/")
    many = query_count(client, "/ceremonies/academy-awards/91/ballot/")
    assert few == many
    assert "6 of 6 categories" in page_text(client.get("/ceremonies/academy-awards/91/ballot/"))


# The experts' grid and an expert's page


def test_the_grid_is_empty_until_an_expert_publishes_and_never_shows_fans(client, season, fan, picture):
    ballot_save(user=fan, category=season["picture"], ranking=[picture["Minari"].id])
    response = client.get(EXPERTS)
    assert response.status_code == 200
    text = page_text(response)
    assert "No experts have published picks yet." in text
    assert "A Fan" not in text and "Minari" not in text


def test_the_grid_has_a_row_per_expert_and_a_column_per_category(client, season, expert, editor, picture):
    editing = season["nominees"]["editing"]
    ballot_save(user=expert, category=season["picture"], ranking=[picture["Minari"].id, picture["Nomadland"].id])
    ballot_save(user=editor, category=season["editing"], ranking=[editing[0].id])
    html = client.get(EXPERTS).content.decode()
    headings = re.findall(r'<th scope="col">(?:<abbr title="([^"]+)">)?([^<]+)', html)
    assert headings == [("", "Expert"), ("Best Picture", "Picture"), ("Film Editing", "Editing")]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, flags=re.S)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    assert cells == ["An Editor Editor — Sound of Metal", "An Expert Expert Minari —"]


def test_a_display_name_is_escaped_on_the_grid_and_the_expert_page(client, season, picture):
    hostile = UserFactory(display_name="<script>x</script>", role="expert")  # the ORM skips validation
    ballot_save(user=hostile, category=season["picture"], ranking=[picture["Minari"].id])
    for url in [EXPERTS, f"/ceremonies/academy-awards/93/experts/{hostile.pk}/"]:
        body = client.get(url).content.decode()
        assert "<script>x</script>" not in body, url
        assert "&lt;script&gt;x&lt;/script&gt;" in body, url


def test_the_grid_query_count_does_not_grow_with_experts(client, season, picture):
    editing = season["nominees"]["editing"]
    first = UserFactory(role="expert")
    ballot_save(user=first, category=season["picture"], ranking=[picture["Minari"].id])
    few = query_count(client, EXPERTS)
    for role in ("expert", "expert", "editor"):
        member = UserFactory(role=role)
        ballot_save(user=member, category=season["picture"], ranking=[picture["Nomadland"].id])
        ballot_save(user=member, category=season["editing"], ranking=[editing[2].id, editing[0].id])
    many = query_count(client, EXPERTS)
    assert few == many
    text = page_text(client.get(EXPERTS))
    assert text.count("Nomadland") == 3 and text.count("Promising") == 3 and text.count("Minari") == 1


def test_the_expert_page_is_only_for_experts_and_editors(client, season, fan, expert, editor):
    assert client.get(f"/ceremonies/academy-awards/93/experts/{fan.pk}/").status_code == 404
    assert client.get("/ceremonies/academy-awards/93/experts/999999/").status_code == 404
    response = client.get(f"/ceremonies/academy-awards/93/experts/{editor.pk}/")
    assert response.status_code == 200
    assert "An Editor has not published picks for the 93rd Academy Awards yet." in page_text(response)
    assert client.get(f"/ceremonies/academy-awards/93/experts/{expert.pk}/").status_code == 200


def test_the_home_page_invites_to_predict_while_a_round_is_open(client, season):
    text = page_text(client.get("/"))
    assert "Predictions are open." in text
    assert "Make your picks" in text and "See the odds" in text
    season["round"].closes_at = season["now"] - timedelta(seconds=1)
    season["round"].save()
    assert "Predictions are open." not in page_text(client.get("/"))
