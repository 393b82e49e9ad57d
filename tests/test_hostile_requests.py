"""Odd and hostile requests get a page or a clear error, never a 500 (run on PostgreSQL in CI)."""

import pytest

pytestmark = pytest.mark.django_db

NUL = "\x00"
LONG = "x" * 5000

URLS = [
    "/search/?q=ab" + NUL + "cd",
    "/search/?q=" + LONG,
    "/search/?q=%25%5F%5C",
    "/films/?year=2020" + NUL,
    "/films/?year=99999",
    "/films/?page=abc",
    "/films/?page=-1",
    "/films/x" + NUL + "y/",
    "/people/" + LONG + "/",
    "/ceremonies/academy-awards/99999999999/",
    "/ceremonies/academy-awards/0/",
    "/shows/academy-awards/categories/best-picture/?page=0",
    "/shows/x/categories/y/",
    "/api/films/?year=abc",
    "/api/films/?year=99999999999",
    "/api/films/?imdb_id=a" + NUL,
    "/api/films/?search=" + NUL,
    "/api/films/?ordering=nonsense",
    "/api/films/?page=abc",
    "/api/films/?page_size=100000",
    "/api/ceremonies/?number=99999999999",
    "/api/ceremonies/abc/",
    "/api/categories/?competitive=maybe",
    "/api/categories/?ceremony=" + NUL,
    "/api/people/?search=ab" + NUL,
    "/accounts/u/99999999999/",
    "/accounts/login/?next=" + NUL,
    "/forums/search/?q=ab" + NUL + "cd",
    "/forums/search/?q=" + LONG,
    "/forums/search/?film=" + NUL,
    "/forums/search/?category=99999999999999999999999",
    "/forums/t/99999999999999999999999/x/",
    "/forums/t/1/x/?page=abc",
    "/forums/p/99999999999999999999999/",
    "/forums/x" + NUL + "y/",
    "/forums/nope/?page=-1",
    "/api/forums/threads/99999999999999999999999/",
    "/api/forums/boards/nope/threads/?q=" + NUL,
]


@pytest.mark.parametrize("url", URLS, ids=range(len(URLS)))
def test_no_request_yields_a_server_error(client, url):
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)


def test_posted_nul_characters_are_refused_politely(client):
    response = client.post("/accounts/login/", {"username": "a" + NUL, "password": "b" + NUL})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.com", "display_name": "A" + NUL, "password1": "p" + NUL, "password2": "p"},
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_hostile_forum_input_from_a_member(client, django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    from forums.models import Board

    user = django_user_model.objects.create_user(
        "m@example.com", "pw-pw-pw-pw", display_name="Member", date_joined=timezone.now() - timedelta(days=30)
    )
    board = Board.objects.create(name="Oscars", slug="oscars")
    client.force_login(user)
    big = "99999999999999999999999"
    for url in (f"/forums/new/?category={big}&film=x{NUL}", f"/forums/t/{big}/reply?quote={big}"):
        assert client.get(url).status_code in (200, 302, 404), url
    response = client.post(
        "/forums/new/", {"board": board.pk, "title": "Hostile " + NUL, "body": "x" + NUL, "category": big}
    )
    assert response.status_code in (302, 400)
    response = client.post("/forums/new/", {"board": big, "title": "Fine title", "body": "Fine"})
    assert response.status_code == 400
