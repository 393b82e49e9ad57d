from datetime import timedelta

import pytest
from django.utils import timezone

from films.models import Round
from tests.factories import CategoryFactory, CeremonyFactory, ContenderFactory, UserFactory


@pytest.fixture
def season(db):
    """A ceremony with an open winners round and two categories of nominees (plus a long-list entry)."""
    now = timezone.now()
    ceremony = CeremonyFactory(number=93)
    winners = Round.objects.create(
        ceremony=ceremony, kind=Round.Kind.WINNERS, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=21)
    )
    picture = CategoryFactory(ceremony=ceremony, name="BEST PICTURE", slots=3)
    editing = CategoryFactory(ceremony=ceremony, name="FILM EDITING", slots=3)
    nominees = {
        "picture": [ContenderFactory(category=picture, name=n) for n in ("Nomadland", "The Father", "Minari")],
        "editing": [ContenderFactory(category=editing, name=n) for n in ("Sound of Metal", "Nomadland", "Promising")],
    }
    long_list = ContenderFactory(category=picture, name="Not nominated", is_nominee=False)
    return {
        "ceremony": ceremony,
        "round": winners,
        "picture": picture,
        "editing": editing,
        "nominees": nominees,
        "long_list": long_list,
        "now": now,
    }


@pytest.fixture
def fan(db):
    return UserFactory(display_name="A Fan")


@pytest.fixture
def expert(db):
    return UserFactory(display_name="An Expert", role="expert")


@pytest.fixture
def editor(db):
    return UserFactory(display_name="An Editor", role="editor")
