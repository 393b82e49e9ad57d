"""Forum fixtures: a board with a thread, and the people of the permission matrix."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from forums import services
from forums.models import Board
from tests.factories import UserFactory

A_MONTH_AGO = timedelta(days=30)


@pytest.fixture(autouse=True)
def clean_rate_limits():
    """Posting limits are counted in the cache; every test starts with none used."""
    cache.clear()
    yield
    cache.clear()


def member(**kwargs):
    """A member past the new-account rules (joined a month ago), unless date_joined says otherwise."""
    kwargs.setdefault("date_joined", timezone.now() - A_MONTH_AGO)
    return UserFactory(**kwargs)


@pytest.fixture
def author(db):
    return member(display_name="Thread Author")


@pytest.fixture
def fan(db):
    return member(display_name="Other Fan")


@pytest.fixture
def moderator(db):
    return member(display_name="Mod Squad", role="moderator")


@pytest.fixture
def board(db):
    return Board.objects.create(name="Oscars", slug="oscars", is_default=True, position=1)


@pytest.fixture
def other_board(db):
    return Board.objects.create(name="Off topic", slug="off-topic", position=9)


@pytest.fixture
def thread(board, author):
    return services.thread_create(author=author, board=board, title="Is Nomadland the frontrunner?", body="Discuss.")


@pytest.fixture
def reply(thread, fan):
    return services.post_create(author=fan, thread=thread, body="*Minari* could surprise.")
