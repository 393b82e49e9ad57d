"""Server-rendered catalogue pages on the real Academy Awards history, with the demo facts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers import page_text, query_count

pytestmark = pytest.mark.django_db


def test_sound_of_metal_page_shows_its_nominations_wins_and_demo_facts(client, demo_catalogue):
    response = client.get("/films/sound-of-metal-2020/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Sound of Metal" in text
    assert "6 nominations / 2 wins" in text
    assert "93rd Academy Awards" in text
    won = re.findall(r"★ Won</span>\s*<a href=\"[^\"]+\">([^<]+)</a>", response.content.decode())
    assert sorted(won) == ["Film Editing", "Sound"]
    assert text.count("Nominated") == 4
    assert "Director Darius Marder" in text
    assert "Writer Darius Marder , Abraham Marder" in text
    assert "Riz Ahmed as Ruben" in text
    assert "Olivia Cooke as Lou" in text
    assert "Toronto International Film Festival, 6 September 2019" in text
    assert "20 November 2020 (limited release)" in text
    assert "Amazon Prime Video from 4 December 2020" in text
    assert "Critics score 97%" in text


def test_film_page_query_count_does_not_grow_with_nominations(client, demo_catalogue, django_assert_max_num_queries):
    # Sound of Metal: 6 nominations, 8 credits. Titanic (1997): 14 nominations, no credits.
    many = query_count(client, "/films/titanic-1997/")
    few = query_count(client, "/films/sound-of-metal-2020/")
    assert many == few
    with django_assert_max_num_queries(8):
        client.get("/films/sound-of-metal-2020/")


def test_ceremony_page_lists_every_category_with_winners_marked(client, oscars):
    response = client.get("/ceremonies/academy-awards/93/")
    assert response.status_code == 200
    text = page_text(response)
    assert "The 93rd Academy Awards" in text
    assert "23 competitive categories, 118 nominations" in text
    assert text.count("★ Winner") == 23 + 2  # every competitive category, plus the two Hersholt recipients
    assert "Honorary and technical awards" in text and "Jean Hersholt Humanitarian Award" in text
    html = response.content.decode()
    best_picture = html[html.index('id="best-picture"') : html.index('id="directing"')]
    assert re.search(r"★ Winner</span>\s*<a href=\"/films/nomadland-2020/\">Nomadland</a>", best_picture)
    assert len(re.findall(r'<li class="nominee[ "]', best_picture)) == 8


def test_ceremony_pages_cost_the_same_queries_whatever_their_size(client, oscars):
    small = query_count(client, "/ceremonies/academy-awards/40/")  # 93 nominations
    large = query_count(client, "/ceremonies/academy-awards/93/")  # 120
    assert small == large <= 10


def test_unknown_ceremony_is_a_friendly_404(client, oscars):
    response = client.get("/ceremonies/academy-awards/500/")
    assert response.status_code == 404
    assert "couldn't find that page" in response.content.decode()


def test_show_page_lists_ceremonies_with_best_picture(client, oscars):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/shows/academy-awards/")
    text = page_text(response)
    assert "98 ceremonies, from the 1st (1929) to the 98th (2026)" in text
    assert "93rd 2021 Nomadland" in text
    assert "1st 1929 Wings" in text
    assert len(ctx.captured_queries) <= 8


def test_category_history_groups_renamed_categories(client, oscars):
    response = client.get("/shows/academy-awards/categories/best-picture/")
    text = page_text(response)
    assert "Best Picture" in text
    assert "98 ceremonies" in text  # the 1st ceremony's Unique and Artistic Picture is a category of its own
    assert "Outstanding Picture" in text  # an older name, listed as also known as
    assert "98th · 2026" in text
    page3 = client.get("/shows/academy-awards/categories/best-picture/?page=4")
    assert "1st · 1929" in page_text(page3) and "Wings" in page_text(page3)
    assert query_count(client, "/shows/academy-awards/categories/best-picture/") == query_count(
        client, "/shows/academy-awards/categories/best-picture/?page=4"
    )
    assert client.get("/shows/academy-awards/categories/no-such-thing/").status_code == 404


def test_person_page(client, demo_catalogue):
    response = client.get("/people/frances-mcdormand/")
    text = page_text(response)
    assert "Frances McDormand" in text
    assert "★ Won Actress in a Leading Role" in text
    assert "Nomadland (2020) · Cast as Fern" in text
    assert query_count(client, "/people/frances-mcdormand/") <= 8


def test_film_list_filters_by_year(client, oscars):
    text = page_text(client.get("/films/?year=2020"))
    assert "Films of 2020" in text
    assert "Sound of Metal 2020 · 6 nominations, 2 wins" in text
    assert "Nomadland" in text and "Titanic" not in text
    assert "Page 1 of" in page_text(client.get("/films/"))


def test_search_finds_films_and_people(client, oscars):
    text = page_text(client.get("/search/", {"q": "  sound of METAL "}))
    assert "Sound of Metal 2020 · 6 nominations, 2 wins" in text
    text = page_text(client.get("/search/", {"q": "McDormand"}))
    assert "Frances McDormand" in text
    assert "Type at least two letters" in page_text(client.get("/search/", {"q": "x"}))
    assert "Nothing matches “zzqqxx”" in page_text(client.get("/search/", {"q": "zzqqxx"}))


def test_home_page_features_the_93rd_and_recent_winners(client, demo_catalogue):
    text = page_text(client.get("/"))
    assert "The 93rd Academy Awards" in text
    assert "held 25 April 2021" in text
    assert "98 ceremonies" in text and "10,834 competitive nominations" in text
    assert "Recent Best Picture winners" in text and "Nomadland" in text
