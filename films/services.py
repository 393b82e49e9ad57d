"""Writes to the catalogue that touch many rows: the Academy Awards import and the demo facts."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from tqdm import tqdm

from films.importers import oscars
from films.models import (
    AwardShow,
    Category,
    Ceremony,
    Contender,
    ContenderFilm,
    ContenderPerson,
    Credit,
    Film,
    Person,
)

ACADEMY_AWARDS = {"slug": "academy-awards", "name": "Academy Awards", "short_name": "Oscars"}


@dataclass
class ImportReport:
    rows: int = 0
    bad_rows: list[oscars.BadRow] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deleted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values()) or any(self.deleted.values())


def _sync(model, wanted: dict, existing: dict, fields: list[str], report: ImportReport, label: str) -> None:
    """Create the missing rows and update the rows whose fields differ; leave equal rows alone.

    `wanted` maps a natural key to a dict of field values; `existing` maps it to a model instance.
    """
    to_create, to_update = [], []
    for key, values in wanted.items():
        obj = existing.get(key)
        if obj is None:
            to_create.append(model(**values))
        elif any(getattr(obj, f) != values[f] for f in fields):
            for f in fields:
                setattr(obj, f, values[f])
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=2000)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=1000)
    report.created[label] += len(to_create)
    report.updated[label] += len(to_update)


@transaction.atomic
def oscars_import(*, path: Path, progress: bool = False, strict: bool = False) -> ImportReport:
    """Load the Academy Awards history into the catalogue, in bulk and idempotently.

    A second run with the same file changes nothing. Rows that fail validation are reported in
    `bad_rows` with their line number and skipped; everything else is imported. Facts the file
    lacks (synopses, credits, release dates, edits made in the admin) are left as they are.
    """
    started = time.monotonic()
    report = ImportReport()
    steps = tqdm(total=7, desc="Academy Awards", unit="step", disable=not progress)

    def step(name: str) -> None:
        steps.set_postfix_str(name)
        steps.update(1)

    parsed = oscars.read_rows(path)
    if strict and parsed.bad_rows:
        raise ValueError(f"{len(parsed.bad_rows)} bad rows, the first at {parsed.bad_rows[0]}")
    df = parsed.rows
    report.rows, report.bad_rows = len(df), parsed.bad_rows
    step("read")

    show, created = AwardShow.objects.get_or_create(
        slug=ACADEMY_AWARDS["slug"],
        defaults={"name": ACADEMY_AWARDS["name"], "short_name": ACADEMY_AWARDS["short_name"]},
    )
    report.created["shows"] += int(created)

    # Ceremonies: one per number; ceremony year = number + 1928 holds for all 98.
    per_ceremony = df.groupby("ceremony").agg(label=("Year", "first"), film_year=("film_year", "first"))
    wanted = {
        int(n): {
            "show": show,
            "number": int(n),
            "film_year_label": r.label,
            "film_year": int(r.film_year),
            "held_in": int(n) + 1928,
        }
        for n, r in per_ceremony.iterrows()
    }
    existing = {c.number: c for c in Ceremony.objects.filter(show=show)}
    _sync(Ceremony, wanted, existing, ["film_year_label", "film_year", "held_in"], report, "ceremonies")
    ceremony_ids = dict(Ceremony.objects.filter(show=show).values_list("number", "id"))
    step("ceremonies")

    # Categories: the exact name per ceremony; slots = its number of nominations.
    per_category = (
        df.groupby(["ceremony", "Category"], sort=False)
        .agg(canonical=("CanonicalCategory", "first"), award_class=("Class", "first"), slots=("line", "size"))
        .reset_index()
    )
    wanted = {}
    for n, group in per_category.groupby("ceremony"):
        ordered = sorted(
            group.itertuples(), key=lambda r: oscars.category_order(r.canonical, r.award_class, r.Category)
        )
        taken: set[str] = set()
        for order, r in enumerate(ordered):
            wanted[(ceremony_ids[n], r.Category)] = {
                "ceremony_id": ceremony_ids[n],
                "name": r.Category,
                "canonical_name": r.canonical,
                "canonical_slug": oscars.slugify(r.canonical),
                "slug": oscars.unique_slug(r.Category, taken),
                "award_class": r.award_class,
                "slots": int(r.slots),
                "order": order,
            }
    existing = {(c.ceremony_id, c.name): c for c in Category.objects.filter(ceremony__show=show)}
    fields = ["canonical_name", "canonical_slug", "slug", "award_class", "slots", "order"]
    _sync(Category, wanted, existing, fields, report, "categories")
    category_ids = {
        (cer, name): pk
        for pk, cer, name in Category.objects.filter(ceremony__show=show).values_list("id", "ceremony_id", "name")
    }
    step("categories")

    # Films, keyed by IMDb id (the one film without an id by title and year).
    film_rows = df.loc[df["Film"] != "", ["Film", "FilmId", "film_year"]]
    film_year: dict[tuple, int] = {}
    film_title: dict[tuple, str] = {}
    for titles, ids, year in film_rows.itertuples(index=False):
        titles, ids = oscars.split_multi(titles), oscars.split_multi(ids)
        for i, title in enumerate(titles):
            key = _film_key(ids[i] if ids else "", title, year)
            film_year[key] = min(film_year.get(key, year), year)
            film_title.setdefault(key, title)
    existing_films = {_film_key(f.imdb_id or "", f.title, f.year): f for f in Film.objects.all()}
    taken_slugs = set(Film.objects.values_list("slug", flat=True))
    wanted = {}
    for key, title in film_title.items():
        obj = existing_films.get(key)
        imdb_id = key[1] if key[0] == "id" else None
        values = {"imdb_id": imdb_id, "title": title, "year": film_year[key]}
        values["slug"] = (
            obj.slug if obj else oscars.unique_slug(f"{title} {values['year']}", taken_slugs, imdb_id or "")
        )
        wanted[key] = values
    _sync(Film, wanted, existing_films, ["title", "year"], report, "films")
    film_ids = {
        _film_key(i or "", t, y): pk for pk, i, t, y in Film.objects.values_list("id", "imdb_id", "title", "year")
    }
    step("films")

    # People (and companies), keyed by IMDb id, or by name where the file has none.
    person_name: dict[tuple, str] = {}
    for names, ids in df.loc[df["Nominees"] != "", ["Nominees", "NomineeIds"]].itertuples(index=False):
        ids_list = oscars.split_ids(ids)
        for i, name in enumerate(oscars.split_multi(names)):
            if name:
                person_name.setdefault(_person_key(ids_list[i] if ids_list else "", name), name)
    existing_people = {_person_key(p.imdb_id or "", p.name): p for p in Person.objects.all()}
    taken_slugs = set(Person.objects.values_list("slug", flat=True))
    wanted = {}
    for key, name in person_name.items():
        obj = existing_people.get(key)
        slug = obj.slug if obj else oscars.unique_slug(name, taken_slugs, key[1] if key[0] == "id" else "")
        wanted[key] = {"imdb_id": key[1] if key[0] == "id" else None, "name": name, "slug": slug}
    _sync(Person, wanted, existing_people, ["name"], report, "people")
    person_ids = {_person_key(i or "", n): pk for pk, i, n in Person.objects.values_list("id", "imdb_id", "name")}
    step("people")

    # Contenders, keyed by category and the row's import key.
    df["category_id"] = [
        category_ids[(ceremony_ids[n], c)] for n, c in zip(df["ceremony"], df["Category"], strict=True)
    ]
    df["order"] = df.groupby("category_id").cumcount()
    wanted = {}
    for r in df.itertuples(index=False):
        wanted[(r.category_id, r.import_key)] = {
            "category_id": r.category_id,
            "import_key": r.import_key,
            "name": (r.Name or r.Film or r.Nominees or r.Detail or r.Citation)[:500],
            "detail": "; ".join(oscars.split_multi(r.Detail))[:500],
            "note": "\n".join(oscars.split_multi(r.Note)),
            "citation": r.Citation,
            "is_nominee": True,
            "is_winner": bool(r.is_winner),
            "order": int(r.order),
        }
    imported = Contender.objects.filter(category__ceremony__show=show).exclude(import_key="")
    existing = {(c.category_id, c.import_key): c for c in imported}
    _sync(
        Contender,
        wanted,
        existing,
        ["name", "detail", "note", "citation", "is_nominee", "is_winner", "order"],
        report,
        "contenders",
    )
    contender_ids = {(cat, key): pk for pk, cat, key in imported.values_list("id", "category_id", "import_key")}
    step("contenders")

    # Links from contenders to their films and people, in the file's order.
    want_films, want_people = {}, {}
    for r in df.itertuples(index=False):
        cid = contender_ids[(r.category_id, r.import_key)]
        ids = oscars.split_multi(r.FilmId)
        for i, title in enumerate(oscars.split_multi(r.Film)):
            want_films[(cid, film_ids[_film_key(ids[i] if ids else "", title, r.film_year)])] = i
        ids = oscars.split_ids(r.NomineeIds)
        for i, name in enumerate(oscars.split_multi(r.Nominees)):
            if name:
                want_people.setdefault((cid, person_ids[_person_key(ids[i] if ids else "", name)]), i)
    links = {"contender__category__ceremony__show": show, "contender__import_key__gt": ""}
    _sync_links(ContenderFilm.objects.filter(**links), "film_id", want_films, report, "film links")
    _sync_links(ContenderPerson.objects.filter(**links), "person_id", want_people, report, "people links")
    step("links")
    steps.close()
    report.seconds = time.monotonic() - started
    return report


def _film_key(imdb_id: str, title: str, year: int) -> tuple:
    """("id", tt...) or, for a film the file gives no id, ("title", title, year)."""
    return ("id", imdb_id) if imdb_id else ("title", title, year)


def _person_key(imdb_id: str, name: str) -> tuple:
    return ("id", imdb_id) if imdb_id else ("name", name)


def _sync_links(links, target: str, wanted: dict, report: ImportReport, label: str) -> None:
    """Make the imported contenders' links (a QuerySet of a through model) exactly `wanted`."""
    model = links.model
    existing = {
        (cid, tid): (pk, order)
        for pk, cid, tid, order in links.values_list("id", "contender_id", target, "order").iterator(chunk_size=5000)
    }
    stale = [pk for key, (pk, _) in existing.items() if key not in wanted]
    if stale:
        model.objects.filter(id__in=stale).delete()
    changed = [model(id=existing[k][0], order=o) for k, o in wanted.items() if k in existing and existing[k][1] != o]
    if changed:
        model.objects.bulk_update(changed, ["order"], batch_size=1000)
    new = [
        model(contender_id=cid, **{target: tid}, order=o)
        for (cid, tid), o in wanted.items()
        if (cid, tid) not in existing
    ]
    model.objects.bulk_create(new, batch_size=2000)
    report.created[label] += len(new)
    report.updated[label] += len(changed)
    report.deleted[label] += len(stale)


DEMO_CATALOGUE_PATH = Path(__file__).parent / "demo" / "catalogue.json"
_FILM_FACTS = [
    "synopsis",
    "runtime_minutes",
    "festival_premiere",
    "festival_premiere_date",
    "theatrical_release",
    "theatrical_release_kind",
    "streaming_release",
    "streaming_service",
    "critics_score",
    "poster_url",
]


@transaction.atomic
def demo_catalogue_load(*, path: Path = DEMO_CATALOGUE_PATH) -> list[Film]:
    """Add the facts the data set lacks (credits, premieres, releases) to imported films. Idempotent.

    Call after `oscars_import`: films are found by IMDb id, and a missing one is an error.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    films = []
    for entry in data["films"]:
        try:
            film = Film.objects.get(imdb_id=entry["imdb_id"])
        except Film.DoesNotExist:
            raise ValidationError(
                f"{entry['imdb_id']} is not in the catalogue: import the Academy Awards first."
            ) from None
        for name in _FILM_FACTS:
            if name in entry:
                setattr(film, name, entry[name])
        film.full_clean()
        film.save()
        for order, credit in enumerate(entry.get("credits", [])):
            Credit.objects.update_or_create(
                film=film,
                person=_person_find_or_create(**credit["person"]),
                role=credit["role"],
                character=credit.get("character", ""),
                defaults={"order": order},
            )
        films.append(film)
    for entry in data.get("ceremonies", []):
        Ceremony.objects.filter(show__slug=entry["show"], number=entry["number"]).update(date=entry["date"])
    return films


def _person_find_or_create(*, name: str, imdb_id: str | None = None) -> Person:
    if imdb_id:
        person = Person.objects.filter(imdb_id=imdb_id).first()
        if person:
            return person
    else:
        person = Person.objects.filter(name=name).order_by("id").first()
        if person:
            return person
    taken = set(Person.objects.filter(slug__startswith=oscars.slugify(name)).values_list("slug", flat=True))
    return Person.objects.create(name=name, imdb_id=imdb_id, slug=oscars.unique_slug(name, taken, imdb_id or ""))
