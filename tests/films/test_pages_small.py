"""Pages on a small hand-made catalogue: empty states and escaping. (No real data in this module.)"""

import pytest

from tests.factories import CeremonyFactory, ContenderFactory, FilmFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_search_escapes_the_query(client):
    response = client.get("/search/", {"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_home_page_on_an_empty_catalogue_says_what_to_do(client):
    text = client.get("/").content.decode()
    assert "The catalogue is empty" in text and "import_oscars" in text


def test_page_text_from_the_database_is_escaped(client):
    ceremony = CeremonyFactory(number=93)
    film = FilmFactory(title="<img src=x onerror=alert(1)>", slug="xss-2020")
    person = PersonFactory(name="<script>boom()</script>", slug="xss-person")
    ContenderFactory(category__ceremony=ceremony, films=[film], people=[person], detail="<b>bold</b>")
    for url in ["/", "/ceremonies/academy-awards/93/", "/films/xss-2020/", "/people/xss-person/"]:
        body = client.get(url).content
        assert b"<script>boom()</script>" not in body and b"<img src=x" not in body, url
        assert b"&lt;script&gt;boom()&lt;/script&gt;" in body or b"&lt;img src=x" in body, url


def test_search_refuses_a_null_character_with_a_message(client):
    response = client.get("/search/", {"q": "ab\x00cd"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_a_ceremonys_rounds_cannot_overlap():
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from films.models import Round

    now = timezone.now()
    ceremony = CeremonyFactory(number=93)
    Round.objects.create(ceremony=ceremony, kind="nominations", opens_at=now, closes_at=now + timedelta(days=10))
    overlapping = Round(
        ceremony=ceremony, kind="winners", opens_at=now + timedelta(days=9), closes_at=now + timedelta(days=20)
    )
    with pytest.raises(ValidationError, match="cannot overlap"):
        overlapping.full_clean()
    Round(
        ceremony=ceremony, kind="winners", opens_at=now + timedelta(days=10), closes_at=now + timedelta(days=20)
    ).full_clean()
