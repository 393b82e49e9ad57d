"""The ceremony page refreshes itself while its winners are being announced."""

from datetime import timedelta

import pytest
from django.utils import timezone

from films.models import Round
from leaderboards.services import result_announce, result_undo

pytestmark = pytest.mark.django_db

URL = "/ceremonies/academy-awards/93/"


def _close(season) -> None:
    Round.objects.filter(pk=season["round"].pk).update(closes_at=timezone.now() - timedelta(minutes=1))


def _announce(season, editor, category, contender, capture):
    with capture(execute=True):
        result_announce(editor=editor, category=season[category], contender_ids=[contender.id])


def _version(html: str) -> str:
    return html.split('data-version="', 1)[1].split('"', 1)[0]


def test_the_page_is_live_between_the_first_and_the_last_envelope(
    client, season, editor, django_capture_on_commit_callbacks
):
    assert 'data-live="false"' in client.get(URL).content.decode()  # predictions still open
    _close(season)
    page = client.get(URL).content.decode()
    assert 'data-live="true"' in page and "js/live.js" in page
    assert "Live: 0 of 2 categories announced" in page

    _announce(season, editor, "picture", season["nominees"]["picture"][0], django_capture_on_commit_callbacks)
    fragment = client.get(URL, {"fragment": "1"})
    html = fragment.content.decode()
    assert "no-cache" in fragment["Cache-Control"]
    assert "<html" not in html and html.lstrip().startswith("<div data-live-root")
    assert "Live: 1 of 2 categories announced" in html and "★ Winner" in html
    first = _version(html)

    # Undo, then announce another nominee: same count, other winner, so a new version.
    with django_capture_on_commit_callbacks(execute=True):
        result_undo(editor=editor, category=season["picture"])
    _announce(season, editor, "picture", season["nominees"]["picture"][1], django_capture_on_commit_callbacks)
    assert _version(client.get(URL, {"fragment": "1"}).content.decode()) != first

    _announce(season, editor, "editing", season["nominees"]["editing"][0], django_capture_on_commit_callbacks)
    final = client.get(URL).content.decode()
    assert 'data-live="false"' in final and "js/live.js" not in final  # every envelope opened
