"""The Academy Awards import, on the real file (once per module) and on small files with bad rows."""

import pytest
from django.conf import settings
from django.db.models import Count, Q

from films.models import AwardShow, Category, Ceremony, Contender, ContenderFilm, ContenderPerson, Film, Person
from films.services import oscars_import

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (AwardShow, Ceremony, Category, Contender, Film, Person, ContenderFilm, ContenderPerson)
    }


def test_every_ceremony_is_imported(oscars):
    assert oscars.rows == 12137
    assert oscars.bad_rows == []
    assert Ceremony.objects.count() == 98
    assert sorted(Ceremony.objects.values_list("number", flat=True)) == list(range(1, 99))
    first = Ceremony.objects.get(number=1)
    assert (first.film_year_label, first.film_year, first.held_in) == ("1927/28", 1927, 1929)
    assert Ceremony.objects.get(number=93).held_in == 2021


def test_93rd_has_23_competitive_categories_and_118_nominations(oscars):
    ceremony = Ceremony.objects.get(number=93)
    competitive = ceremony.categories.competitive()
    assert competitive.count() == 23
    assert Contender.objects.filter(category__in=competitive).count() == 118
    honorary = list(ceremony.categories.non_competitive().values_list("name", "award_class"))
    assert honorary == [("JEAN HERSHOLT HUMANITARIAN AWARD", "Special")]
    assert Contender.objects.filter(category__ceremony=ceremony, category__award_class="Special").count() == 2
    # Best Picture leads the page; the 93rd's SOUND is grouped with the older SOUND MIXING.
    assert competitive.order_by("order").first().name == "BEST PICTURE"
    sound = competitive.get(name="SOUND")
    assert (sound.canonical_name, sound.canonical_slug, sound.slots) == ("SOUND MIXING", "sound-mixing", 5)
    assert competitive.get(name="BEST PICTURE").slots == 8


def test_every_ceremony_has_exactly_one_best_picture_winner(oscars):
    per_ceremony = Ceremony.objects.annotate(
        winners=Count(
            "categories__contenders",
            filter=Q(categories__canonical_slug="best-picture", categories__contenders__is_winner=True),
        )
    )
    assert sorted({c.winners for c in per_ceremony}) == [1]
    nomadland = Contender.objects.get(category__ceremony__number=93, category__name="BEST PICTURE", is_winner=True)
    assert [f.title for f in nomadland.films.all()] == ["Nomadland"]


def test_ties_keep_both_winners(oscars):
    sound_editing = Contender.objects.filter(
        category__ceremony__number=85, category__name="SOUND EDITING", is_winner=True
    )
    assert sorted(f.title for c in sound_editing for f in c.films.all()) == ["Skyfall", "Zero Dark Thirty"]
    actress_41 = Contender.objects.filter(
        category__ceremony__number=41, category__canonical_slug="actress-in-a-leading-role", is_winner=True
    )
    assert sorted(actress_41.values_list("name", flat=True)) == ["Barbra Streisand", "Katharine Hepburn"]


def test_sound_of_metal_has_six_nominations_and_two_wins(oscars):
    film = Film.objects.get(imdb_id="tt5363618")
    assert (film.title, film.slug, film.year) == ("Sound of Metal", "sound-of-metal-2020", 2020)
    contenders = film.contenders.select_related("category")
    assert contenders.count() == 6
    assert sorted(c.category.name for c in contenders if c.is_winner) == ["FILM EDITING", "SOUND"]


def test_multi_valued_fields_are_split(oscars):
    jannings = Contender.objects.get(category__ceremony__number=1, name="Emil Jannings")
    assert [f.title for f in jannings.films.order_by("contenderfilm__order")] == [
        "The Last Command",
        "The Way of All Flesh",
    ]
    assert jannings.detail == "General Dolgorucki [Grand Duke Sergius Alexander]; August Schilling"
    nomadland = Contender.objects.get(category__ceremony__number=93, category__name="BEST PICTURE", is_winner=True)
    assert nomadland.people.count() == 5
    # A pseudonym of two people ("Roderick Jaynes", the Coens) is one person, matched by name.
    jaynes = Person.objects.get(name="Roderick Jaynes")
    assert jaynes.imdb_id is None and jaynes.contenders.count() == 2


def test_scitech_and_honorary_are_kept_apart(oscars):
    classes = dict(
        Category.objects.values_list("award_class").annotate(n=Count("contenders")).values_list("award_class", "n")
    )
    assert classes["SciTech"] == 919
    assert classes["Special"] == 384
    assert Contender.objects.filter(category__award_class__in=Category.COMPETITIVE_CLASSES).count() == 10834


def test_renamed_categories_share_a_canonical_slug(oscars):
    names = set(Category.objects.filter(canonical_slug="best-picture").values_list("name", flat=True))
    assert {"BEST PICTURE", "OUTSTANDING PICTURE", "OUTSTANDING PRODUCTION", "BEST MOTION PICTURE"} <= names
    assert not Category.objects.filter(canonical_slug="best-picture", name="UNIQUE AND ARTISTIC PICTURE").exists()


def test_a_second_import_changes_nothing(oscars):
    before = _counts()
    snapshot = list(Contender.objects.order_by("id").values_list("id", "name", "is_winner", "order", "category_id"))
    report = oscars_import(path=settings.OSCARS_DATA_PATH)
    assert not report.changed, (report.created, report.updated, report.deleted)
    assert _counts() == before
    assert (
        list(Contender.objects.order_by("id").values_list("id", "name", "is_winner", "order", "category_id"))
        == snapshot
    )


def test_reimport_keeps_editor_facts_and_restores_changed_rows(oscars):
    film = Film.objects.get(imdb_id="tt5363618")
    film.synopsis = "Written by an editor."
    film.save()
    winner = Contender.objects.get(category__ceremony__number=93, category__name="BEST PICTURE", is_winner=True)
    Contender.objects.filter(pk=winner.pk).update(is_winner=False)
    report = oscars_import(path=settings.OSCARS_DATA_PATH)
    assert report.updated["contenders"] == 1
    assert Contender.objects.get(pk=winner.pk).is_winner
    assert Film.objects.get(pk=film.pk).synopsis == "Written by an editor."
