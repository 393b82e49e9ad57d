"""Results night in two browsers: a fan watches the leaderboard while an editor announces Best Picture in the
control room; the fan's page updates by itself (live.js polling the table fragment), without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone

from films.models import Round
from leaderboards.models import Announcement
from predictions.services import ballot_save
from tests.factories import CategoryFactory, CeremonyFactory, ContenderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOARD = "/ceremonies/academy-awards/93/leaderboard/"
CONTROL = "/ceremonies/academy-awards/93/control-room/"


@pytest.fixture
def closed_season(db):
    """Two categories, three players' picks saved while the winners round was open; then predictions close."""
    now = timezone.now()
    ceremony = CeremonyFactory(number=93)
    round_ = Round.objects.create(
        ceremony=ceremony, kind=Round.Kind.WINNERS, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=1)
    )
    picture = CategoryFactory(ceremony=ceremony, name="BEST PICTURE", slug="best-picture", slots=3)
    editing = CategoryFactory(ceremony=ceremony, name="FILM EDITING", slug="film-editing", slots=3)
    nominees = {
        "picture": {
            n: ContenderFactory(category=picture, name=n, order=i) for i, n in enumerate(["Nomadland", "Minari"])
        },
        "editing": {n: ContenderFactory(category=editing, name=n, order=i) for i, n in enumerate(["Sound of Metal"])},
    }
    fan = UserFactory(email="fan@example.com", display_name="Keen Fan")
    rival = UserFactory(display_name="Rival Fan")
    editor = UserFactory(email="editor@example.com", display_name="Night Editor", role="editor")
    ballot_save(user=fan, category=picture, ranking=[nominees["picture"]["Nomadland"].id])
    ballot_save(user=rival, category=picture, ranking=[nominees["picture"]["Minari"].id])
    ballot_save(user=rival, category=editing, ranking=[nominees["editing"]["Sound of Metal"].id])
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    return {"fan": fan, "editor": editor, "picture": picture}


def _log_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_an_announcement_reaches_an_open_leaderboard_without_a_reload(live_server, browser, closed_season):
    fan_context = browser.new_context(viewport={"width": 1280, "height": 900})
    editor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        fan = fan_context.new_page()
        fan.set_default_timeout(10_000)
        _log_in(fan, live_server.url, "fan@example.com")
        fan.goto(f"{live_server.url}{BOARD}")
        assert "No winners announced yet" in fan.locator("#leaderboard-live").inner_text()
        assert fan.locator(".leaderboard-table").count() == 0
        # Survives only if the page is never reloaded or navigated away from.
        fan.evaluate("window.__stillHere = 'yes'")

        editor = editor_context.new_page()
        editor.set_default_timeout(10_000)
        _log_in(editor, live_server.url, "editor@example.com")
        editor.goto(f"{live_server.url}{CONTROL}")
        picture = editor.locator("section#best-picture")
        picture.get_by_label("Nomadland").check()
        picture.get_by_role("button", name="Announce for Best Picture").click()
        editor.wait_for_load_state()
        assert "Announced Nomadland for Best Picture." in editor.locator(".messages").inner_text()
        assert Announcement.objects.standing().filter(category=closed_season["picture"]).count() == 1

        # Within a couple of polls (every 5 s), the fan's table appears with the fan on top.
        fan.wait_for_selector(".leaderboard-table tbody tr", timeout=12_000)
        first = fan.locator(".leaderboard-table tbody tr").first
        assert "Keen Fan" in first.inner_text()
        assert first.get_attribute("aria-current") == "true"
        assert "Your rank: 1st of 2" in fan.locator("#leaderboard-live").inner_text()
        assert "Best Picture announced" in fan.locator("#live-status").inner_text()
        assert fan.evaluate("window.__stillHere") == "yes"
        assert fan.evaluate("performance.getEntriesByType('navigation').length") == 1
        assert fan.evaluate("window.frontrunnerLive.updates") >= 1
        # one category is still to come: the page keeps polling
        assert fan.evaluate("window.frontrunnerLive.stopped") is False
    finally:
        fan_context.close()
        editor_context.close()
