"""Reading the Academy Awards history file (DLu/oscar_data) into clean tables. No ORM here.

The file is tab-separated with backslash-escaped quotes; trailing empty fields are cut off, so
short rows are normal. Multi-valued fields use "|". SciTech and Special (honorary) rows are
kept, but in their own classes, apart from the competitive categories. Renamed categories share
a CanonicalCategory, which is what a category's history groups by.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.utils.text import slugify

COLUMNS = [
    "Ceremony",
    "Year",
    "Class",
    "CanonicalCategory",
    "Category",
    "Film",
    "FilmId",
    "Name",
    "Nominees",
    "NomineeIds",
    "Winner",
    "Detail",
    "Note",
    "Citation",
]
CLASSES = {"Title", "Acting", "Directing", "Writing", "Music", "Production", "SciTech", "Special"}
_YEAR_RE = re.compile(r"^(\d{4})(?:/\d{2})?$")
_FILM_ID_RE = re.compile(r"^tt\d+$")
# A pseudonym of several people (the Coens' "Roderick Jaynes") lists their ids joined by commas.
_NOMINEE_ID_RE = re.compile(r"^(nm|co|ch|tt)\d+(,(nm|co)\d+)*$")
UNKNOWN_ID = "?"

# Where the big categories sit on a ceremony page; the rest follow by class, then by name.
CANONICAL_ORDER = [
    "BEST PICTURE",
    "DIRECTING",
    "ACTOR IN A LEADING ROLE",
    "ACTRESS IN A LEADING ROLE",
    "ACTOR IN A SUPPORTING ROLE",
    "ACTRESS IN A SUPPORTING ROLE",
    "WRITING (Original Screenplay)",
    "WRITING (Adapted Screenplay)",
    "INTERNATIONAL FEATURE FILM",
    "ANIMATED FEATURE FILM",
    "DOCUMENTARY (Feature)",
    "CINEMATOGRAPHY",
    "FILM EDITING",
]
CLASS_ORDER = ["Title", "Directing", "Acting", "Writing", "Production", "Music", "SciTech", "Special"]


@dataclass
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ParsedFile:
    rows: pd.DataFrame  # one row per nomination that passed validation, with a "line" column
    bad_rows: list[BadRow] = field(default_factory=list)


def split_multi(value: str) -> list[str]:
    return [part.strip() for part in value.split("|")] if value else []


def split_ids(value: str) -> list[str]:
    """Like split_multi; the source's "?" (unknown) and a pseudonym's several ids become "" (match by name)."""
    return ["" if part == UNKNOWN_ID or "," in part else part for part in split_multi(value)]


def read_rows(path: Path) -> ParsedFile:
    """Tokenize with the csv module (it knows line numbers), then validate with pandas."""
    records, bad = [], []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t", doublequote=False, escapechar="\\")
        header = next(reader, None)
        if header != COLUMNS:
            raise ValueError(f"{path}: unexpected header {header!r}; expected {COLUMNS!r}")
        for fields in reader:
            line = reader.line_num
            if not any(fields):
                continue
            if len(fields) > len(COLUMNS):
                bad.append(BadRow(line, f"{len(fields)} fields, at most {len(COLUMNS)} expected"))
                continue
            records.append([line, *fields, *[""] * (len(COLUMNS) - len(fields))])
    df = pd.DataFrame(records, columns=["line", *COLUMNS], dtype=str).fillna("")
    df["line"] = df["line"].astype(int)
    for column in COLUMNS:
        df[column] = df[column].str.strip()
    return _validate(df, bad)


def _validate(df: pd.DataFrame, bad: list[BadRow]) -> ParsedFile:
    problems = pd.Series("", index=df.index, dtype=str)

    def flag(mask: pd.Series, reason: str) -> None:
        fresh = mask & (problems == "")
        problems[fresh] = reason

    flag(~df["Ceremony"].str.fullmatch(r"[1-9]\d{0,2}"), "Ceremony is not a positive number")
    flag(~df["Year"].str.fullmatch(_YEAR_RE.pattern), 'Year is not like "2020" or "1927/28"')
    flag(~df["Class"].isin(CLASSES), f"Class is not one of {', '.join(sorted(CLASSES))}")
    flag(df["Category"] == "", "Category is empty")
    flag(df["CanonicalCategory"] == "", "CanonicalCategory is empty")
    flag(~df["Winner"].isin(["", "True", "False"]), 'Winner is neither "True" nor empty')
    nothing = (df["Name"] == "") & (df["Film"] == "") & (df["Nominees"] == "") & (df["Detail"] == "")
    flag(nothing & (df["Citation"] == ""), "no film, name, nominee, detail or citation")
    film_counts = df["Film"].str.count(r"\|")
    id_counts = df["FilmId"].str.count(r"\|")
    flag((df["FilmId"] != "") & (film_counts != id_counts), "Film and FilmId list different numbers of films")
    flag((df["FilmId"] != "") & (df["Film"] == ""), "FilmId without a Film")
    bad_film_id = df["FilmId"].map(lambda v: any(p and not _FILM_ID_RE.match(p) for p in split_multi(v)))
    flag(bad_film_id, "FilmId is not an IMDb title id (tt...)")
    nominee_counts = df["Nominees"].str.count(r"\|")
    nominee_id_counts = df["NomineeIds"].str.count(r"\|")
    flag(
        (df["NomineeIds"] != "") & (nominee_counts != nominee_id_counts),
        "Nominees and NomineeIds list different numbers of people",
    )
    # "?" marks a nominee the source could not identify: kept, matched by name instead.
    bad_nominee_id = df["NomineeIds"].map(
        lambda v: any(p and p != UNKNOWN_ID and not _NOMINEE_ID_RE.match(p) for p in split_multi(v))
    )
    flag(bad_nominee_id, "NomineeIds holds something that is not an IMDb id")

    # One ceremony has one film year; a row that disagrees with the rest of its ceremony is bad.
    ok = problems == ""
    majority = df[ok].groupby("Ceremony")["Year"].agg(lambda s: s.mode().iloc[0])
    flag(ok & (df["Year"] != df["Ceremony"].map(majority)), "Year differs from the rest of its ceremony")

    bad = bad + [BadRow(int(line), reason) for line, reason in zip(df["line"], problems, strict=True) if reason]
    bad.sort(key=lambda b: b.line)
    good = df[problems == ""].copy()
    good["ceremony"] = good["Ceremony"].astype(int)
    good["film_year"] = good["Year"].str[:4].astype(int)
    good["is_winner"] = good["Winner"] == "True"
    good["import_key"] = _import_keys(good)
    return ParsedFile(rows=good.reset_index(drop=True), bad_rows=bad)


def _import_keys(df: pd.DataFrame) -> pd.Series:
    """A stable key per nomination within its category; identical rows are numbered in file order."""
    basis = df["Name"] + "\t" + df["FilmId"] + "\t" + df["Film"] + "\t" + df["NomineeIds"] + "\t"
    basis = basis + df["Nominees"] + "\t" + df["Detail"] + "\t" + df["Citation"]
    digest = basis.map(lambda s: hashlib.sha1(s.encode()).hexdigest()[:32])
    occurrence = df.assign(_d=digest).groupby(["Ceremony", "Category", "_d"]).cumcount()
    return digest + occurrence.map(lambda n: f"-{n}" if n else "")


def category_order(canonical: str, award_class: str, name: str) -> tuple:
    if canonical in CANONICAL_ORDER:
        return (0, CANONICAL_ORDER.index(canonical), name)
    return (1, CLASS_ORDER.index(award_class), name)


def unique_slug(base: str, taken: set[str], disambiguator: str = "") -> str:
    """A slug not in `taken` (which it then joins): base, base-<disambiguator>, base-2, ..."""
    base = slugify(base)[:300] or "untitled"
    candidates = [base]
    if disambiguator:
        candidates.append(f"{base}-{slugify(disambiguator)}")
    for slug in candidates:
        if slug not in taken:
            taken.add(slug)
            return slug
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    taken.add(f"{base}-{n}")
    return f"{base}-{n}"
