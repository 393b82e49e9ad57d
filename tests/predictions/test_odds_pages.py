"""Odds pages (category, ceremony overview) and the odds on the catalogue's ceremony and film pages.

Odds come from real saves (services.ballot_save, recomputed on commit with eager tasks); expected figures are
computed here from the rules of ARCHITECTURE.md, not read back from the engine.
"""

import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from films.models import Category, Round, ordinal
from predictions import odds as engine
from predictions.models import Odds, OddsHistory
from predictions.odds import fractional_odds, percent
from predictions.services import ballot_save
from tests.factories import CategoryFactory, ContenderFactory, FilmFactory, PersonFactory, UserFactory
from tests.helpers import query_count

pytestmark = pytest.mark.django_db

PICTURE_URL = "/ceremonies/academy-awards/93/odds/best-picture/"
OVERVIEW_URL = "/ceremonies/academy-awards/93/odds/"
CEREMONY_URL = "/ceremonies/academy-awards/93/"


# --- helpers -------------------------------------------------------------------------------------------------------


def _text(html: str) -> str:
    """Visible text, tags dropped (no space added), whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def _page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def _odds_rows(html: str) -> list[list[str]]:
    """The cells of the first odds table's body: [[rank, contender, odds, chance, movement], ...]."""
    table = re.search(r'<table class="odds-table">.*?<tbody>(.*?)</tbody>', html, flags=re.S)
    assert table, "no odds table on the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), flags=re.S)
    return [[_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)] for row in rows]


@pytest.fixture
def save(django_capture_on_commit_callbacks):
    def run(user, category, ranking):
        with django_capture_on_commit_callbacks(execute=True):
            return ballot_save(user=user, category=category, ranking=[c.id for c in ranking])

    return run


@pytest.fixture
def voted(season, fan, expert, editor, save):
    """Five ballots for Best Picture: three fans, an expert and an editor."""
    nomadland, father, minari = season["nominees"]["picture"]
    fans = [fan, UserFactory(display_name="Fan 2"), UserFactory(display_name="Fan 3")]
    save(fans[0], season["picture"], [nomadland, father, minari])
    save(fans[1], season["picture"], [nomadland, minari, father])
    save(fans[2], season["picture"], [minari, nomadland, father])
    save(expert, season["picture"], [father, nomadland, minari])
    save(editor, season["picture"], [nomadland, father, minari])
    return season


def _expected(first_places: dict[str, dict[str, int]], names: list[str]) -> dict[str, dict[str, Fraction]]:
    """The rules, by hand: smoothed first-place shares per segment and their equal-weight average."""
    n = len(names)
    all_hits = first_places["all"]
    n_all = sum(all_hits.values())
    p_all = {c: (all_hits.get(c, 0) + Fraction(1, n)) / (n_all + 1) for c in names}  # ALL_PSEUDO_COUNT = 1
    out = {"all": p_all}
    for segment, hits in first_places.items():
        if segment == "all":
            continue
        count = sum(hits.values())
        out[segment] = {c: (hits.get(c, 0) + 4 * p_all[c]) / (count + 4) for c in names}  # SEGMENT_PSEUDO_COUNT = 4
    out["combined"] = {c: sum(out[s][c] for s in out) / len(out) for c in names}
    return out


NAMES = ["Nomadland", "The Father", "Minari"]
EXPECTED = _expected(
    {
        "all": {"Nomadland": 3, "The Father": 1, "Minari": 1},
        "experts": {"The Father": 1},
        "editors": {"Nomadland": 1},
    },
    NAMES,
)


def test_the_hand_computed_odds_are_what_the_engine_stored(voted):
    assert engine.SEGMENT_PSEUDO_COUNT == 4 and engine.ALL_PSEUDO_COUNT == 1  # the constants _expected assumes
    stored = {(o.segment, o.contender.name): o.probability for o in Odds.objects.filter(category=voted["picture"])}
    for segment, probabilities in EXPECTED.items():
        for name, p in probabilities.items():
            assert stored[(segment, name)] == pytest.approx(float(p))


# --- the category page ---------------------------------------------------------------------------------------------


def test_category_page_shows_combined_odds_by_rank_with_prices_and_ballots(client, voted):
    html = _page(client, PICTURE_URL)
    rows = _odds_rows(html)
    combined = EXPECTED["combined"]
    assert [row[:4] for row in rows] == [
        ["1", "Nomadland", fractional_odds(float(combined["Nomadland"])), percent(float(combined["Nomadland"]))],
        ["2", "The Father", fractional_odds(float(combined["The Father"])), percent(float(combined["The Father"]))],
        ["3", "Minari", fractional_odds(float(combined["Minari"])), percent(float(combined["Minari"]))],
    ]
    # the same figures, written out: 148/270, 70/270 and 52/270
    assert [row[2:4] for row in rows] == [["5/6", "55%"], ["11/4", "26%"], ["4/1", "19%"]]
    text = _text(html)
    assert "Combined odds · based on 5 ballots" in text
    assert "Best Picture: the odds" in text
    # no history a day old: every movement is a dash, and says so in words
    assert all(row[4] == "–no odds a day earlier" for row in rows)


def test_segment_switcher_links_segments_with_ballots_and_disables_the_others(client, voted):
    html = _page(client, PICTURE_URL)
    switcher = re.search(r'<nav class="segment-switcher".*?</nav>', html, flags=re.S).group(0)
    assert re.search(r'<a href="[^"]*\?segment=experts">Experts <span class="segment-count">1 ballot</span>', switcher)
    assert re.search(r'<a href="[^"]*\?segment=all">All users <span class="segment-count">5 ballots</span>', switcher)
    assert re.search(r'<a href="/[^"?]*/best-picture/" aria-current="page">Combined', switcher)
    disabled = re.search(r'<span class="is-disabled" aria-disabled="true">Top 24 (.*?)</span></span>', switcher)
    assert disabled and "no ballots yet" in disabled.group(1)
    assert "?segment=top24" not in switcher


def test_choosing_a_segment_shows_its_own_odds(client, voted):
    html = _page(client, PICTURE_URL + "?segment=experts")
    experts = EXPECTED["experts"]
    assert [row[:4] for row in _odds_rows(html)] == [
        ["1", "Nomadland", fractional_odds(float(experts["Nomadland"])), percent(float(experts["Nomadland"]))],
        ["2", "The Father", fractional_odds(float(experts["The Father"])), percent(float(experts["The Father"]))],
        ["3", "Minari", fractional_odds(float(experts["Minari"])), percent(float(experts["Minari"]))],
    ]
    assert "Experts odds · based on 1 ballot" in _text(html)
    assert re.search(r'\?segment=experts" aria-current="page"', html)


def test_a_segment_without_ballots_and_an_unknown_segment_say_so(client, voted):
    text = _text(_page(client, PICTURE_URL + "?segment=top24"))
    assert "No ballots from Top 24 yet." in text
    html = _page(client, PICTURE_URL + "?segment=<b>nope</b>")
    assert "There is no segment “&lt;b&gt;nope&lt;/b&gt;”. Showing Combined." in html
    assert _odds_rows(html)[0][:2] == ["1", "Nomadland"]


def test_movement_compares_with_the_latest_history_at_least_a_day_old(client, voted):
    now = timezone.now()
    nomadland, father, minari = voted["nominees"]["picture"]
    current = {
        o.contender_id: o.probability for o in Odds.objects.filter(category=voted["picture"], segment="combined")
    }

    def history(contender, probability, age):
        OddsHistory.objects.create(
            round=voted["round"],
            category=voted["picture"],
            contender=contender,
            segment="combined",
            probability=probability,
            rank=2,
            ballots=3,
            recorded_at=now - age,
        )

    history(nomadland, current[nomadland.id] - 0.05, timedelta(days=3))  # older than the one that counts
    history(nomadland, current[nomadland.id] - 0.0321, timedelta(days=2))
    history(father, current[father.id] + 0.0098, timedelta(days=2))
    history(minari, 0.9, timedelta(hours=12))  # less than a day old: not "the day before"

    rows = {row[1]: row[4] for row in _odds_rows(_page(client, PICTURE_URL))}
    assert rows["Nomadland"] == "▲ 3.2up 3.2 percentage points since the day before"
    assert rows["The Father"] == "▼ 1.0down 1.0 percentage point since the day before"
    assert rows["Minari"] == "–no odds a day earlier"


def test_time_machine_shows_the_odds_as_they_stood_at_the_end_of_that_day(client, voted):
    now = timezone.now()
    day = (now - timedelta(days=5)).date()
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    nomadland, father, minari = voted["nominees"]["picture"]

    def history(contender, probability, rank, at):
        OddsHistory.objects.create(
            round=voted["round"],
            category=voted["picture"],
            contender=contender,
            segment="combined",
            probability=probability,
            rank=rank,
            ballots=2,
            recorded_at=at,
        )

    history(father, 0.5, 1, noon - timedelta(hours=6))
    history(nomadland, 0.25, 2, noon - timedelta(hours=6))
    history(nomadland, 0.3, 2, noon + timedelta(hours=11, minutes=59))  # still that day, UTC: the one shown
    history(father, 0.6, 1, noon)
    history(nomadland, 0.7, 1, noon + timedelta(hours=12))  # midnight: the next day

    html = _page(client, f"{PICTURE_URL}?as_of={day.isoformat()}")
    text = _text(html)
    assert f"Odds as of {day.day} {day:%B %Y}" in text
    assert [row[:4] for row in _odds_rows(html)] == [
        ["1", "The Father", fractional_odds(0.6), "60%"],
        ["2", "Nomadland", fractional_odds(0.3), "30%"],
    ]
    assert "based on 2 ballots" in text
    # the segment links keep the date
    assert f'href="{PICTURE_URL}?as_of={day.isoformat()}" aria-current="page"' in html


def test_time_machine_before_any_history_is_an_empty_state(client, voted):
    day = (timezone.now() - timedelta(days=40)).date()
    html = _page(client, f"{PICTURE_URL}?as_of={day.isoformat()}")
    assert f"No odds had been recorded for Best Picture by {day.day} {day:%B %Y}." in _text(html)
    assert "odds-table" not in html and "<svg" not in html


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "0001-01-01", "2026-1-5", "１２３４-01-01", "2999-01-01"])
def test_an_invalid_or_future_date_says_so_and_shows_the_latest_odds(client, voted, value):
    html = _page(client, f"{PICTURE_URL}?as_of={value}")
    assert "Showing the latest odds." in _text(html)
    assert 'role="alert"' in html
    assert "Odds as of" not in html
    assert _odds_rows(html)[0][:3] == ["1", "Nomadland", "5/6"]


def test_no_ballots_is_an_empty_state_with_a_link_to_the_ballot(client, season):
    html = _page(client, PICTURE_URL)
    text = _text(html)
    assert "No predictions yet — be the first" in text
    assert "odds-table" not in html
    try:
        ballot = reverse(
            "predictions:category_ballot", kwargs={"show": "academy-awards", "number": 93, "category": "best-picture"}
        )
    except NoReverseMatch:  # the ballot pages are not there yet
        return
    assert f'<a href="{ballot}">rank the contenders of Best Picture</a>' in html


def test_odds_left_from_ballots_since_removed_are_not_shown(client, season):
    now = timezone.now()
    for contender in season["nominees"]["picture"]:  # what a recompute writes once every ballot is gone
        Odds.objects.create(
            round=season["round"], category=season["picture"], contender=contender, segment="all",
            probability=1 / 3, rank=1, ballots=0, computed_at=now,
        )  # fmt: skip
    html = _page(client, PICTURE_URL + "?segment=all")
    assert "No predictions yet — be the first" in _text(html) and "odds-table" not in html


def test_a_ceremony_without_rounds_says_it_has_no_predictions(client, season):
    Round.objects.all().delete()
    for url in (PICTURE_URL, OVERVIEW_URL):
        html = _page(client, url)
        assert "Frontrunner has no predictions for the 93rd Academy Awards." in _text(html)
        assert "odds-table" not in html and "Time machine" not in html


def test_before_the_first_round_opens_the_pages_say_when_it_will(client, season):
    opens = timezone.now() + timedelta(days=3)
    Round.objects.filter(pk=season["round"].pk).update(opens_at=opens, closes_at=opens + timedelta(days=10))
    for url in (PICTURE_URL, OVERVIEW_URL):
        text = _text(_page(client, url))
        assert f"Predictions for the 93rd Academy Awards open on {opens.day} {opens:%B %Y}." in text


def test_unknown_or_honorary_categories_are_404(client, season):
    CategoryFactory(ceremony=season["ceremony"], name="HONORARY AWARD", award_class=Category.AwardClass.SPECIAL)
    _page(client, "/ceremonies/academy-awards/93/odds/no-such-category/", status=404)
    _page(client, "/ceremonies/academy-awards/93/odds/honorary-award/", status=404)
    _page(client, "/ceremonies/academy-awards/94/odds/best-picture/", status=404)
    _page(client, "/ceremonies/academy-awards/94/odds/", status=404)


def test_the_page_has_an_accessible_history_chart_and_its_table(client, voted):
    html = _page(client, PICTURE_URL)
    svg = re.search(r"<svg\b.*?</svg>", html, flags=re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert len(re.findall(r'<path class="series"', svg)) == 3
    assert "Best Picture: Combined odds over time" in svg
    details = re.search(r'<details class="odds-data">.*?</details>', html, flags=re.S).group(0)
    today = timezone.now().date()
    assert f"{today.day} {today:%b %Y}" in _text(details)
    assert "55%" in _text(details)


def test_contender_names_are_escaped_in_the_table_and_the_chart(client, season, fan, save):
    evil = ContenderFactory(category=season["picture"], name="<script>alert(1)</script>")
    save(fan, season["picture"], [evil])
    html = _page(client, PICTURE_URL)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_method_note_reads_the_engines_constants(client, voted, monkeypatch):
    monkeypatch.setattr(engine, "SEGMENT_PSEUDO_COUNT", 7.0)
    text = _text(_page(client, PICTURE_URL))
    assert "How the odds are made" in text
    assert "smoothed toward All users with 7 pseudo-ballots" in text
    assert "Combined is the equal-weight average of the segments that have ballots" in text
    monkeypatch.setattr(engine, "COMBINED_WEIGHTS", {"all": 2.0, "experts": 1.0, "editors": 1.0, "top24": 1.0})
    assert "weighted average (All users 2, Experts 1, Editors 1, Top 24 1)" in _text(_page(client, PICTURE_URL))


def _category_with_odds(season, save, size: int, name: str, award_class=Category.AwardClass.ACTING):
    category = CategoryFactory(ceremony=season["ceremony"], name=name, slots=size, award_class=award_class)
    contenders = [ContenderFactory(category=category, name=f"{name} {i}") for i in range(size)]
    for i in range(3):
        save(UserFactory(role=["fan", "expert", "editor"][i]), category, contenders[i:] + contenders[:i])
    return category, contenders


def test_category_page_query_count_does_not_grow_with_contenders(client, voted, save):
    big, _ = _category_with_odds(voted, save, 9, "ACTOR")
    small_url, big_url = PICTURE_URL, f"/ceremonies/academy-awards/93/odds/{big.slug}/"
    assert len(_odds_rows(_page(client, big_url))) == 9
    assert query_count(client, small_url) == query_count(client, big_url)
    day = timezone.now().date().isoformat()
    assert query_count(client, f"{small_url}?as_of={day}") == query_count(client, f"{big_url}?as_of={day}")


# --- the ceremony overview ----------------------------------------------------------------------------------------


def _overview(html: str) -> tuple[list[str], dict[str, list[str]]]:
    """The overview table: (column headers, {category: [cell text per segment]})."""
    table = re.search(r'<table class="odds-table odds-overview">.*?</table>', html, flags=re.S).group(0)
    header = [_text(h) for h in re.findall(r'<th scope="col">(.*?)</th>', table)]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        rows[cells[0]] = cells[1:]
    return header, rows


def test_ceremony_overview_shows_each_categorys_favourite_in_every_segment(client, voted):
    html = _page(client, OVERVIEW_URL)
    header, rows = _overview(html)
    assert header == ["Category", "All users", "Experts", "Editors", "Top 24", "Combined"]
    price = {s: fractional_odds(float(EXPECTED[s]["Nomadland"])) for s in EXPECTED}
    assert rows["Best Picture"] == [
        f"Nomadland {price['all']}",
        f"Nomadland {price['experts']}",
        f"Nomadland {price['editors']}",
        "–no ballots yet",
        f"Nomadland {price['combined']}",
    ]
    assert rows["Film Editing"] == ["–no ballots yet"] * 5
    assert f'<a href="{PICTURE_URL}">Best Picture</a>' in html


def test_ceremony_overview_shows_ties_for_first(client, season, fan, save):
    nomadland, father, _ = season["nominees"]["picture"]
    save(fan, season["picture"], [nomadland])
    save(UserFactory(), season["picture"], [father])
    tied = fractional_odds(4 / 9)  # (1 + 1/3) / (2 + 1) each
    _, rows = _overview(_page(client, OVERVIEW_URL))
    assert rows["Best Picture"][0] == rows["Best Picture"][4] == f"Nomadland {tied} / The Father {tied}"


def test_ceremony_overview_query_count_does_not_grow_with_categories(client, voted, save):
    before = query_count(client, OVERVIEW_URL)
    _category_with_odds(voted, save, 6, "ACTOR")
    _category_with_odds(voted, save, 5, "ACTRESS")
    assert query_count(client, OVERVIEW_URL) == before


# --- the catalogue's pages ----------------------------------------------------------------------------------------


def test_ceremony_page_shows_each_categorys_projected_winner(client, voted):
    html = _page(client, CEREMONY_URL)
    card = html[html.index('id="best-picture"') : html.index('id="film-editing"')]
    nomadland = EXPECTED["combined"]["Nomadland"]
    price = f"{fractional_odds(float(nomadland))} ({percent(float(nomadland))})"
    assert f"Projected winner Nomadland {price}" in _text(card)
    assert f'href="{PICTURE_URL}"' in card
    editing = html[html.index('id="film-editing"') :]
    assert "Projected winner" not in editing  # no ballots, no odds
    assert f'href="{OVERVIEW_URL}"' in html


def test_ceremony_and_film_pages_cost_the_same_queries_whatever_the_odds(client, voted, save):
    film = FilmFactory(title="Nomadland", year=2020)
    voted["nominees"]["picture"][0].films.add(film)
    ceremony_before = query_count(client, CEREMONY_URL)
    film_before = query_count(client, film.get_absolute_url())
    assert "Best Picture: 1st" in _text(_page(client, film.get_absolute_url()))

    _, actors = _category_with_odds(voted, save, 6, "ACTOR")
    _, songs = _category_with_odds(voted, save, 4, "SONG", award_class=Category.AwardClass.MUSIC)
    actors[0].films.add(film)
    songs[2].films.add(film)
    assert query_count(client, CEREMONY_URL) == ceremony_before
    film_text = _text(_page(client, film.get_absolute_url()))
    for contender, label in ((actors[0], "Actor (ACTOR 0)"), (songs[2], "Song")):  # people only where honoured
        odds = Odds.objects.get(contender=contender, segment="combined")
        assert f"{label}: {ordinal(odds.rank)}, {odds.fractional} ({odds.percent})" in film_text
    assert query_count(client, film.get_absolute_url()) == film_before <= 8


def test_film_page_shows_the_films_odds_in_each_category(client, voted, fan, save):
    nomadland = voted["nominees"]["picture"][0]
    film = FilmFactory(title="Nomadland", year=2020)
    nomadland.films.add(film)
    edit = voted["nominees"]["editing"][1]  # also "Nomadland"
    edit.films.add(film)
    save(fan, voted["editing"], [voted["nominees"]["editing"][0], edit])
    text = _text(_page(client, film.get_absolute_url()))
    combined = float(EXPECTED["combined"]["Nomadland"])
    assert "The odds now: 93rd Academy Awards" in text
    assert f"Best Picture: 1st, {fractional_odds(combined)} ({percent(combined)})" in text
    editing = Odds.objects.get(contender=edit, segment="combined")
    assert editing.rank == 2
    assert f"Film Editing: 2nd, {fractional_odds(editing.probability)} ({percent(editing.probability)})" in text


# --- no spoilers ---------------------------------------------------------------------------------------------------


@pytest.fixture
def announced(season):
    """Nomadland has won Best Picture in the data (an editor announced it, or the history says so)."""
    nomadland = season["nominees"]["picture"][0]
    nomadland.is_winner = True
    nomadland.save(update_fields=["is_winner"])
    film = FilmFactory(title="Nomadland", year=2020)
    nomadland.films.add(film)
    season["film"] = film
    return season


def _spoilers(client, season):
    ceremony = _page(client, CEREMONY_URL)
    film = _page(client, season["film"].get_absolute_url())
    return ceremony, film


def test_winners_stay_hidden_while_the_winners_round_is_open(client, announced):
    ceremony, film = _spoilers(client, announced)
    assert "★ Winner" not in ceremony and "is-winner" not in ceremony
    assert "Winners to be announced." in _text(ceremony)
    assert "★ Won" not in film and "is-winner" not in film
    assert "1 nomination/Winners to be announced" in _text(film)
    assert "93rd Academy Awards: winners to be announced." in _text(film)
    assert "0 wins" not in _text(film) and "1 win" not in _text(film)


def test_winners_stay_hidden_before_the_winners_round_opens(client, announced):
    now = timezone.now()
    Round.objects.filter(pk=announced["round"].pk).update(
        opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=30)
    )
    ceremony, film = _spoilers(client, announced)
    assert "★ Winner" not in ceremony and "★ Won" not in film
    assert "Winners to be announced." in _text(ceremony)


def test_winners_show_once_the_winners_round_has_closed(client, announced, fan, save):
    save(fan, announced["picture"], announced["nominees"]["picture"])
    now = timezone.now()
    Round.objects.filter(pk=announced["round"].pk).update(
        opens_at=now - timedelta(days=30), closes_at=now - timedelta(hours=1)
    )
    ceremony, film = _spoilers(client, announced)
    assert "★ Winner" in ceremony and "Winners to be announced" not in ceremony
    assert "★ Won" in film and "1 nomination/1 win" in _text(film)
    # the final odds stay on show
    assert "Projected winner Nomadland" in _text(ceremony)
    assert "The final odds: 93rd Academy Awards" in _text(film)


def test_without_rounds_winners_show_as_before(client, announced):
    Round.objects.all().delete()
    ceremony, film = _spoilers(client, announced)
    assert "★ Winner" in ceremony and "Winners to be announced" not in ceremony
    assert "Projected winner" not in ceremony and "/odds/" not in ceremony
    assert "★ Won" in film and "1 nomination/1 win" in _text(film)


def test_contenders_are_named_by_their_film_or_by_their_people(client, season, fan, save):
    nomadland = season["nominees"]["picture"][0]
    nomadland.name = "Frances McDormand, Peter Spears, Mollye Asher, Dan Janvey and Chloé Zhao, Producers"
    nomadland.save(update_fields=["name"])
    nomadland.films.add(FilmFactory(title="Nomadland", year=2020))
    actor = CategoryFactory(ceremony=season["ceremony"], name="ACTOR", award_class=Category.AwardClass.ACTING)
    hopkins = ContenderFactory(
        category=actor,
        name="Anthony Hopkins",
        films=[FilmFactory(title="The Father", year=2020)],
        people=[PersonFactory(name="Anthony Hopkins")],
    )
    save(fan, season["picture"], [nomadland])
    save(fan, actor, [hopkins])
    ceremony = _text(_page(client, CEREMONY_URL))
    assert "Projected winner Nomadland " in ceremony and "Projected winner Anthony Hopkins " in ceremony
    _, rows = _overview(_page(client, OVERVIEW_URL))
    assert rows["Best Picture"][0].startswith("Nomadland ") and rows["Actor"][0].startswith("Anthony Hopkins ")
    table = _odds_rows(_page(client, PICTURE_URL))
    assert table[0][1] == f"Nomadland {nomadland.name}"  # the film, then the nomination as printed
    svg = _page(client, "/ceremonies/academy-awards/93/odds/actor/")
    assert "<title>Anthony Hopkins (The Father)</title>" in svg


@pytest.mark.parametrize(
    "url",
    [
        "/ceremonies/academy-awards/99999999999/odds/",
        "/ceremonies/academy-awards/99999999999/odds/best-picture/",
        PICTURE_URL + "?as_of=2026-12-01\x00",
        PICTURE_URL + "?as_of=" + "9" * 5000,
        PICTURE_URL + "?as_of=9999-12-31",
        PICTURE_URL + "?segment=all\x00",
        PICTURE_URL + "?segment=experts&segment=editors&as_of=2026-01-01&as_of=x",
        PICTURE_URL + "?segment=" + "x" * 5000,
        "/ceremonies/academy-awards/93/odds/" + "x" * 300 + "/",
    ],
    ids=range(9),
)
def test_odd_requests_get_a_page_never_a_server_error(client, voted, url):
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    if response.status_code == 200:
        assert "Best Picture: the odds" in response.content.decode()
