"""The read-only catalogue API, end to end on the real Academy Awards history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from films.models import Category, Ceremony, Film, Person
from tests.factories import UserFactory

pytestmark = pytest.mark.slow

LISTS = ["/api/shows/", "/api/ceremonies/", "/api/categories/", "/api/films/", "/api/people/"]


@pytest.fixture
def api(oscars, db):
    return APIClient()


def get(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_root_links_every_resource(api):
    root = get(api, "/api/")
    assert {name: url.removeprefix("http://testserver") for name, url in root.items()} == {
        "shows": "/api/shows/",
        "ceremonies": "/api/ceremonies/",
        "categories": "/api/categories/",
        "films": "/api/films/",
        "people": "/api/people/",
    }


# Shows


def test_shows_list_and_detail(api):
    shows = get(api, "/api/shows/")
    assert shows["count"] == 1
    [show] = shows["results"]
    assert show["slug"] == "academy-awards"
    assert show["short_name"] == "Oscars"
    assert show["url"] == "http://testserver/api/shows/academy-awards/"
    assert show["page_url"] == "http://testserver/shows/academy-awards/"

    detail = get(api, show["url"])
    numbers = [c["number"] for c in detail["ceremonies"]]
    assert numbers == list(range(98, 0, -1))
    assert detail["ceremonies"][0]["title"] == "98th Academy Awards"


def test_unknown_show_is_404(api):
    assert api.get("/api/shows/golden-globes/").status_code == 404


# Ceremonies


def test_ceremonies_filter_by_show_and_number(api):
    page = get(api, "/api/ceremonies/", show="academy-awards", number=93)
    assert page["count"] == 1
    [ceremony] = page["results"]
    assert ceremony["title"] == "93rd Academy Awards"
    assert (ceremony["held_in"], ceremony["film_year_label"]) == (2021, "2020")
    assert ceremony["competitive_category_count"] == 23
    assert ceremony["page_url"] == "http://testserver/ceremonies/academy-awards/93/"

    detail = get(api, ceremony["url"])
    categories = detail["categories"]
    assert len(categories) == 24
    assert sum(c["is_competitive"] for c in categories) == 23
    assert categories[0]["slug"] == "best-picture"
    best_picture = categories[0]
    assert len(best_picture["contenders"]) == 8
    [winner] = [c for c in best_picture["contenders"] if c["is_winner"]]
    assert [f["slug"] for f in winner["films"]] == ["nomadland-2020"]
    assert "frances-mcdormand" in [p["slug"] for p in winner["people"]]


def test_ceremonies_newest_first_and_unknown_show_is_empty(api):
    page = get(api, "/api/ceremonies/")
    assert page["count"] == 98
    assert [c["number"] for c in page["results"][:3]] == [98, 97, 96]
    assert get(api, "/api/ceremonies/", show="golden-globes")["count"] == 0


# Categories


def test_categories_by_canonical_slug_across_history(api):
    page = get(api, "/api/categories/", canonical_slug="best-picture", page_size=200)
    assert page["count"] == 98
    assert sorted(c["ceremony"]["number"] for c in page["results"]) == list(range(1, 99))
    winners = {
        c["ceremony"]["number"]: [f["slug"] for x in c["contenders"] if x["is_winner"] for f in x["films"]]
        for c in page["results"]
    }
    assert winners[1] == ["wings-1927"]
    assert winners[93] == ["nomadland-2020"]
    assert winners[97] == ["anora-2024"]


def test_categories_filter_by_ceremony_show_and_competitive(api):
    at_93 = {"show": "academy-awards", "ceremony": 93}
    assert get(api, "/api/categories/", **at_93)["count"] == 24
    assert get(api, "/api/categories/", **at_93, competitive="true")["count"] == 23
    [honorary] = get(api, "/api/categories/", **at_93, competitive="false")["results"]
    assert honorary["slug"] == "jean-hersholt-humanitarian-award"
    assert honorary["is_competitive"] is False
    acting = get(api, "/api/categories/", **at_93, award_class="Acting")["results"]
    assert {c["slug"] for c in acting} == {
        "actor-in-a-leading-role",
        "actress-in-a-leading-role",
        "actor-in-a-supporting-role",
        "actress-in-a-supporting-role",
    }
    [category] = get(api, "/api/categories/", **at_93, canonical_slug="best-picture")["results"]
    assert category["ceremony"]["title"] == "93rd Academy Awards"
    assert category["page_url"] == "http://testserver/ceremonies/academy-awards/93/#best-picture"
    assert get(api, category["url"])["id"] == category["id"]


def test_categories_bad_filter_is_400(api):
    response = api.get("/api/categories/", {"award_class": "Dancing"})
    assert response.status_code == 400
    assert "award_class" in response.json()


# Films


def test_films_pagination(api):
    total = Film.objects.count()
    first = get(api, "/api/films/")
    assert first["count"] == total > 5000
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = get(api, first["next"])
    assert len(second["results"]) == 50
    assert not {f["slug"] for f in first["results"]} & {f["slug"] for f in second["results"]}
    small = get(api, "/api/films/", page_size=7, page=3)
    titles = list(Film.objects.order_by("title", "year", "id").values_list("title", flat=True)[14:21])
    assert [f["title"] for f in small["results"]] == titles


def test_films_filter_by_year_range_imdb_id_and_search(api):
    in_2020 = get(api, "/api/films/", year=2020, page_size=200)
    assert in_2020["count"] == Film.objects.filter(year=2020).count() > 0
    assert {f["year"] for f in in_2020["results"]} == {2020}

    ranged = get(api, "/api/films/", year_min=2019, year_max=2020, page_size=200)
    assert ranged["count"] == Film.objects.filter(year__in=[2019, 2020]).count() > in_2020["count"]
    assert {f["year"] for f in ranged["results"]} == {2019, 2020}

    [by_id] = get(api, "/api/films/", imdb_id="tt5363618")["results"]
    assert by_id["slug"] == "sound-of-metal-2020"

    found = get(api, "/api/films/", search="godfather")["results"]
    assert [f["slug"] for f in found] == [
        "the-godfather-1972",
        "the-godfather-part-ii-1974",
        "the-godfather-part-iii-1990",
    ]


def test_film_detail_has_nominations(api):
    film = get(api, "/api/films/sound-of-metal-2020/")
    assert film["title"] == "Sound of Metal"
    assert film["page_url"] == "http://testserver/films/sound-of-metal-2020/"
    nominations = film["nominations"]
    assert len(nominations) == 6
    assert {n["ceremony"]["number"] for n in nominations} == {93}
    assert sorted(n["category"]["slug"] for n in nominations if n["is_winner"]) == ["film-editing", "sound"]
    [lead] = [n for n in nominations if n["category"]["slug"] == "actor-in-a-leading-role"]
    assert [p["slug"] for p in lead["people"]] == ["riz-ahmed"]


def test_film_detail_has_credits(api, demo_catalogue):
    film = get(api, "/api/films/sound-of-metal-2020/")
    assert film["runtime_minutes"] == 120
    assert film["festival_premiere"] == "Toronto International Film Festival"
    cast = [(c["person"]["slug"], c["character"]) for c in film["credits"] if c["role"] == "cast"]
    assert ("riz-ahmed", "Ruben") in cast
    directors = [c["person"]["name"] for c in film["credits"] if c["role_display"] == "Director"]
    assert directors == ["Darius Marder"]


def test_unknown_film_is_404(api):
    assert api.get("/api/films/no-such-film-1999/").status_code == 404


# People


def test_people_search_and_detail(api, demo_catalogue):
    page = get(api, "/api/people/", search="mcdormand")
    assert [p["slug"] for p in page["results"]] == ["frances-mcdormand"]
    [by_id] = get(api, "/api/people/", imdb_id="nm0000531")["results"]
    assert by_id["name"] == "Frances McDormand"

    person = get(api, page["results"][0]["url"])
    nominations = person["nominations"]
    assert len(nominations) == 8
    assert [n["ceremony"]["number"] for n in nominations] == sorted(n["ceremony"]["number"] for n in nominations)
    wins = {(n["ceremony"]["number"], n["category"]["canonical_slug"]) for n in nominations if n["is_winner"]}
    assert wins == {
        (69, "actress-in-a-leading-role"),
        (90, "actress-in-a-leading-role"),
        (93, "actress-in-a-leading-role"),
        (93, "best-picture"),
    }
    [fargo] = [n for n in nominations if n["ceremony"]["number"] == 69]
    assert [f["slug"] for f in fargo["films"]] == ["fargo-1996"]
    assert [(c["film"]["slug"], c["role"], c["character"]) for c in person["credits"]] == [
        ("nomadland-2020", "cast", "Fern")
    ]


def test_people_pagination_counts_everyone(api):
    page = get(api, "/api/people/", page_size=200)
    assert page["count"] == Person.objects.count()
    assert len(page["results"]) == 200


# Read-only


@pytest.mark.parametrize("url", LISTS)
def test_writes_are_not_allowed(api, url):
    before = (Film.objects.count(), Category.objects.count(), Ceremony.objects.count())
    anonymous = api.post(url, {"name": "x"}, format="json")
    assert anonymous.status_code == 405
    api.force_login(UserFactory())
    signed_in = api.post(url, {"name": "x"}, format="json")
    assert signed_in.status_code == 405
    assert "POST" not in signed_in["Allow"]
    assert (Film.objects.count(), Category.objects.count(), Ceremony.objects.count()) == before


@pytest.mark.parametrize(
    "url", ["/api/films/sound-of-metal-2020/", "/api/people/frances-mcdormand/", "/api/shows/academy-awards/"]
)
def test_detail_writes_are_not_allowed(api, url):
    api.force_login(UserFactory())
    assert api.put(url, {}, format="json").status_code == 405
    assert api.patch(url, {}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert api.get(url).status_code == 200


# Queries: a fixed number whatever the page size


def count_queries(api, url, **params):
    with CaptureQueriesContext(connection) as queries:
        get(api, url, **params)
    return len(queries)


@pytest.mark.parametrize("url", LISTS)
def test_list_queries_do_not_grow_with_the_page(api, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        get(api, url, page_size=200)
    assert count_queries(api, url, page_size=2) == count_queries(api, url, page_size=200)


@pytest.mark.parametrize(
    ("url", "bound"),
    [
        ("/api/ceremonies/93/", 6),
        ("/api/films/sound-of-metal-2020/", 4),
        ("/api/people/frances-mcdormand/", 4),
        ("/api/shows/academy-awards/", 2),
    ],
)
def test_detail_queries_are_bounded(api, url, bound, django_assert_max_num_queries):
    ceremony = Ceremony.objects.get(number=93)
    url = url.replace("/93/", f"/{ceremony.pk}/")
    with django_assert_max_num_queries(bound):
        get(api, url)


# Schema and docs


def test_schema_documents_every_endpoint(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Frontrunner API"
    paths = schema["paths"]
    for resource, lookup in [
        ("shows", "slug"),
        ("ceremonies", "id"),
        ("categories", "id"),
        ("films", "slug"),
        ("people", "slug"),
    ]:
        assert set(paths[f"/api/{resource}/"]) == {"get"}
        assert set(paths[f"/api/{resource}/{{{lookup}}}/"]) == {"get"}
    film_params = {p["name"] for p in paths["/api/films/"]["get"]["parameters"]}
    assert {"year", "year_min", "year_max", "imdb_id", "search", "page", "page_size", "ordering"} <= film_params
    category_params = {p["name"]: p for p in paths["/api/categories/"]["get"]["parameters"]}
    assert category_params["competitive"]["schema"]["type"] == "boolean"
    assert {"show", "ceremony", "canonical_slug", "award_class"} <= set(category_params)
    components = schema["components"]["schemas"]
    assert "nominations" in components["FilmDetail"]["properties"]
    assert "categories" in components["CeremonyDetail"]["properties"]


def test_docs_use_the_bundled_swagger_ui(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/api/schema/" in html
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html
