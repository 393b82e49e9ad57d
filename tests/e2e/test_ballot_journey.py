"""A fan signs in, ranks Best Picture by dragging and by keyboard, saves, and sees the odds move."""

from datetime import timedelta

import pytest
from django.utils import timezone

from films.models import Round
from predictions.models import Pick
from tests.factories import CategoryFactory, CeremonyFactory, ContenderFactory, FilmFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TITLES = ["Nomadland", "The Father", "Minari", "Sound of Metal"]


@pytest.fixture
def open_season(db):
    now = timezone.now()
    ceremony = CeremonyFactory(number=93)
    Round.objects.create(
        ceremony=ceremony, kind=Round.Kind.WINNERS, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7)
    )
    category = CategoryFactory(ceremony=ceremony, name="BEST PICTURE", slug="best-picture", slots=len(TITLES))
    for order, title in enumerate(TITLES):
        ContenderFactory(category=category, name=title, order=order, films=[FilmFactory(title=title)])
    return category


def _names(page) -> list[str]:
    """The contender names in list order, read from the item's accessible label ("NAME, position P of N")."""
    labels = page.eval_on_selector_all("#ranking .rank-item", "items => items.map(i => i.getAttribute('aria-label'))")
    return [label.rsplit(", position", 1)[0] for label in labels]


def test_rank_by_drag_and_keyboard_save_and_see_the_odds(live_server, page, open_season):
    UserFactory(email="fan@example.com", display_name="Keen Fan")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "fan@example.com")
    page.fill("input[name=password]", "correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{live_server.url}/ceremonies/academy-awards/93/ballot/best-picture/")
    assert _names(page) == TITLES

    # Drag "Sound of Metal" (last) onto the first place.
    items = page.locator("#ranking .rank-item")
    items.nth(3).drag_to(items.nth(0))
    assert _names(page)[0] == "Sound of Metal"

    # Keyboard: focus "Minari" and move it up one place with the arrow key.
    minari = page.locator("#ranking .rank-item", has_text="Minari")
    minari.focus()
    before = _names(page).index("Minari")
    page.keyboard.press("ArrowUp")
    after = _names(page)
    assert after.index("Minari") == before - 1
    assert "Minari" in page.locator("#ranking-status").inner_text()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Minari, position")

    expected = _names(page)
    page.get_by_role("button", name="Save ranking").click()
    page.wait_for_load_state()
    assert "Saved your ranking of Best Picture." in page.content()
    saved = list(
        Pick.objects.filter(user__email="fan@example.com").order_by("rank").values_list("contender__name", flat=True)
    )
    assert saved == expected

    page.goto(f"{live_server.url}/ceremonies/academy-awards/93/odds/best-picture/?segment=all")
    table = page.locator("table").first.inner_text()
    first_row = page.locator("table tbody tr").first.inner_text()
    assert expected[0] in first_row, table
    assert "1" in first_row  # rank 1, from the one ballot saved
