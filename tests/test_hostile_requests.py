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
