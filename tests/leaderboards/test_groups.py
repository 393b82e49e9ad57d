"""Which group predicted best: leaderboards.groups.group_scores (pure, hand-computed) and the groups page (odds
built by real ballot saves, the round closed, winners announced through the service).

The hand-computed case, three categories (3 is undecided), winners: category 1 -> 11; category 2 -> 21 and 22 tied.

    all      c1: 11 .5 r1, 12 .3 r2, 13 .2 r3   brier .25+.09+.04 = .38   ln .5   favourite won
             c2: 21 .2 r2, 22 .2 r2, 23 .6 r1   brier .64+.64+.36 = 1.64  ln .4   favourite lost
             -> decided 2, favourites 1, brier 1.01, log (ln .5 + ln .4) / 2
    experts  c1 only (no odds in c2): 11 .1 r3, 12 .6 r1, 13 .3 r2   brier .81+.36+.09 = 1.26, ln .1, lost
             -> decided 1, favourites 0, brier 1.26, log ln .1
    editors  c1: 11 .4 r1, 12 .4 r1 (tied favourites), 13 .2 r3   brier .36+.16+.04 = .56, ln .4, won (a tied
             favourite won)
             c2: 21 0 r2, 22 0 r2, 23 1 r1   brier 1+1+1 = 3, ln(1e-6) (clipped), lost
             -> decided 2, favourites 1, brier (.56 + 3) / 2 = 1.78, log (ln .4 + ln 1e-6) / 2
    top24    c3 only (undecided) -> decided 0, favourites 0, brier and log NaN
"""

import math
import re
from datetime import timedelta

import pandas as pd
import pytest
from django.utils import timezone

from films.models import Contender, Round
from leaderboards.groups import COLUMNS, LOG_FLOOR, group_scores
from leaderboards.services import result_announce
from predictions.models import Odds, OddsHistory
from predictions.services import ballot_save
from tests.factories import UserFactory
from tests.helpers import page_text, query_count

ODDS = [
    # segment, category, contender, probability, rank
    ("all", 1, 11, 0.5, 1),
    ("all", 1, 12, 0.3, 2),
    ("all", 1, 13, 0.2, 3),
    ("all", 2, 21, 0.2, 2),
    ("all", 2, 22, 0.2, 2),
    ("all", 2, 23, 0.6, 1),
    ("all", 3, 31, 0.5, 1),
    ("all", 3, 32, 0.5, 1),
    ("experts", 1, 11, 0.1, 3),
    ("experts", 1, 12, 0.6, 1),
    ("experts", 1, 13, 0.3, 2),
    ("experts", 3, 31, 1.0, 1),
    ("experts", 3, 32, 0.0, 2),
    ("editors", 1, 11, 0.4, 1),
    ("editors", 1, 12, 0.4, 1),
    ("editors", 1, 13, 0.2, 3),
    ("editors", 2, 21, 0.0, 2),
    ("editors", 2, 22, 0.0, 2),
    ("editors", 2, 23, 1.0, 1),
    ("top24", 3, 31, 0.9, 1),
    ("top24", 3, 32, 0.1, 2),
]
WINNERS = [(1, 11), (2, 21), (2, 22)]


def make_odds(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment", "category_id", "contender_id", "probability", "rank"])


def make_winners(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["category_id", "contender_id"])


def by_segment(result: pd.DataFrame) -> dict[str, dict]:
    return {row["segment"]: row for row in result.to_dict("records")}


# --- group_scores ---------------------------------------------------------------------------------------------------


def test_hand_computed_case():
    result = group_scores(make_odds(ODDS), make_winners(WINNERS))
    assert list(result.columns) == list(COLUMNS)
    assert list(result["segment"]) == ["all", "experts", "editors", "top24"]
    rows = by_segment(result)

    assert (rows["all"]["decided"], rows["all"]["favourites_won"]) == (2, 1)
    assert rows["all"]["brier"] == pytest.approx(1.01)
    assert rows["all"]["log_score"] == pytest.approx((math.log(0.5) + math.log(0.4)) / 2)

    # experts have no odds in category 2: scored on category 1 alone.
    assert (rows["experts"]["decided"], rows["experts"]["favourites_won"]) == (1, 0)
    assert rows["experts"]["brier"] == pytest.approx(1.26)
    assert rows["experts"]["log_score"] == pytest.approx(math.log(0.1))

    # editors: tied favourites in category 1 (one won: a win); a sure and wrong forecast in category 2.
    assert (rows["editors"]["decided"], rows["editors"]["favourites_won"]) == (2, 1)
    assert rows["editors"]["brier"] == pytest.approx(1.78)
    assert rows["editors"]["log_score"] == pytest.approx((math.log(0.4) + math.log(LOG_FLOOR)) / 2)

    assert (rows["top24"]["decided"], rows["top24"]["favourites_won"]) == (0, 0)
    assert math.isnan(rows["top24"]["brier"]) and math.isnan(rows["top24"]["log_score"])


def test_tied_winners_sum_their_probabilities_for_the_log_score():
    # Only category 2 (21 and 22 tied winners at .2 each): ln(.4), not ln(.2).
    result = by_segment(group_scores(make_odds(ODDS), make_winners([(2, 21), (2, 22)])))
    assert result["all"]["log_score"] == pytest.approx(math.log(0.4))
    assert result["all"]["brier"] == pytest.approx(1.64)
    assert result["all"]["favourites_won"] == 0
    assert result["experts"]["decided"] == 0


def test_a_favourite_tie_with_no_winner_among_them_is_a_loss():
    odds = make_odds([("all", 1, 11, 0.4, 1), ("all", 1, 12, 0.4, 1), ("all", 1, 13, 0.2, 3)])
    result = by_segment(group_scores(odds, make_winners([(1, 13)])))
    assert result["all"]["favourites_won"] == 0
    assert result["all"]["brier"] == pytest.approx(0.16 + 0.16 + 0.64)
    assert result["all"]["log_score"] == pytest.approx(math.log(0.2))


def test_a_winner_missing_from_the_odds_counts_as_probability_zero():
    # The segment has odds for category 1 but none for contender 14, the winner: (0 - 1)^2 is added, ln(1e-6).
    odds = make_odds([("all", 1, 11, 0.7, 1), ("all", 1, 12, 0.3, 2)])
    result = by_segment(group_scores(odds, make_winners([(1, 14)])))
    assert result["all"]["decided"] == 1
    assert result["all"]["favourites_won"] == 0
    assert result["all"]["brier"] == pytest.approx(0.49 + 0.09 + 1.0)
    assert result["all"]["log_score"] == pytest.approx(math.log(LOG_FLOOR))


def test_nothing_decided_yet():
    result = group_scores(make_odds(ODDS), make_winners([]))
    assert list(result["segment"]) == ["all", "experts", "editors", "top24"]
    assert list(result["decided"]) == [0, 0, 0, 0]
    assert result["brier"].isna().all() and result["log_score"].isna().all()


def test_no_odds_at_all():
    result = group_scores(make_odds([]), make_winners(WINNERS))
    assert list(result.columns) == list(COLUMNS)
    assert result.empty


def test_a_perfect_forecast_scores_zero_on_both():
    odds = make_odds([("combined", 1, 11, 1.0, 1), ("combined", 1, 12, 0.0, 2)])
    result = by_segment(group_scores(odds, make_winners([(1, 11)])))
    assert result["combined"]["brier"] == pytest.approx(0.0)
    assert result["combined"]["log_score"] == pytest.approx(0.0)
    assert result["combined"]["favourites_won"] == 1


def test_missing_columns_are_refused():
    with pytest.raises(ValueError, match="rank"):
        group_scores(make_odds(ODDS).drop(columns="rank"), make_winners(WINNERS))


# --- the page -------------------------------------------------------------------------------------------------------

BASE = "/ceremonies/academy-awards/93"
GROUPS = f"{BASE}/groups/"


def nominee(season, category, name) -> Contender:
    return next(c for c in season["nominees"][category] if c.name == name)


def close(season, at=None) -> None:
    # Now by default: the saves before this call are recorded before the close.
    Round.objects.filter(pk=season["round"].pk).update(closes_at=at or timezone.now())


@pytest.fixture
def save(django_capture_on_commit_callbacks):
    def run(user, season, category, *names):
        with django_capture_on_commit_callbacks(execute=True):
            ballot_save(user=user, category=season[category], ranking=[nominee(season, category, n).id for n in names])

    return run


@pytest.fixture
def announce(django_capture_on_commit_callbacks, editor):
    def run(season, category, *names):
        with django_capture_on_commit_callbacks(execute=True):
            result_announce(
                editor=editor, category=season[category], contender_ids=[nominee(season, category, n).id for n in names]
            )

    return run


def current_odds(season) -> pd.DataFrame:
    """The Odds table as it stands (read straight from it, not through the page's history query)."""
    rows = Odds.objects.filter(round=season["round"]).values_list(
        "segment", "category_id", "contender_id", "probability", "rank"
    )
    return make_odds(list(rows))


def table(response) -> dict[str, list[str]]:
    """segment -> [group, categories scored, favourites, brier, log] as shown."""
    html = response.content.decode()
    body = re.search(r'<table class="odds-table groups-table">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, "no groups table on the page"
    rows = re.findall(r'<tr data-segment="([a-z0-9]+)">(.*?)</tr>', body.group(1), flags=re.S)
    return {
        segment: [page_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", cells, flags=re.S)]
        for segment, cells in rows
    }


def shown(value: float) -> str:
    return f"{value:.3f}".replace("-", "−")


def expected(scores: pd.DataFrame) -> dict[str, list[str]]:
    """What the page must show for each scored segment, from group_scores (the "best" badges stripped)."""
    return {
        row["segment"]: [
            str(row["decided"]),
            f"{row['favourites_won']} of {row['decided']}",
            shown(row["brier"]),
            shown(row["log_score"]),
        ]
        for row in scores.to_dict("records")
        if row["decided"]
    }


def figures(cells: list[str]) -> list[str]:
    decided, favourites, brier, log = cells[1:]
    return [decided, favourites.split(" (")[0], brier.removesuffix(" best"), log.removesuffix(" best")]


@pytest.fixture
def voted(season, fan, expert, editor, save):
    """Best Picture: the fan and the editor pick Nomadland, the expert The Father. Film Editing: the fan and the
    expert pick Sound of Metal; the editor makes no pick there (the editors have no odds in it)."""
    save(fan, season, "picture", "Nomadland", "The Father")
    save(fan, season, "editing", "Sound of Metal")
    save(expert, season, "picture", "The Father")
    save(expert, season, "editing", "Sound of Metal")
    save(editor, season, "picture", "Nomadland")
    return season


def test_the_page_scores_each_segment_like_group_scores(client, voted, announce):
    close(voted)
    announce(voted, "picture", "Nomadland")
    announce(voted, "editing", "Sound of Metal", "Promising")  # tied winners
    response = client.get(GROUPS)
    assert response.status_code == 200
    shown_rows = table(response)
    assert list(shown_rows) == ["all", "experts", "editors", "top24", "combined"]
    assert [cells[0] for cells in shown_rows.values()] == ["All users", "Experts", "Editors", "Top 24", "Combined"]

    winners = make_winners(
        [(voted["picture"].id, nominee(voted, "picture", "Nomadland").id)]
        + [(voted["editing"].id, nominee(voted, "editing", n).id) for n in ("Sound of Metal", "Promising")]
    )
    scores = group_scores(current_odds(voted), winners)
    want = expected(scores)
    assert set(want) == {"all", "experts", "editors", "combined"}
    for segment, figures_wanted in want.items():
        assert figures(shown_rows[segment]) == figures_wanted, segment
    # The editors made no Film Editing pick: scored on Best Picture alone, where their favourite won.
    assert figures(shown_rows["editors"])[:2] == ["1", "1 of 1"]
    assert figures(shown_rows["all"])[:2] == ["2", "2 of 2"]
    # Nobody is in the Top 24: dashes.
    assert shown_rows["top24"][1:] == ["0", "—", "—", "—"]
    text = page_text(response)
    assert "2 of 2 categories announced" in text
    assert "lower is better" in text and "higher is better" in text
    assert "if any of them won" in text


def test_the_odds_are_those_at_the_close_not_later(client, season, fan, expert, save, announce):
    save(fan, season, "picture", "Nomadland")
    at_close = current_odds(season)
    closes_at = timezone.now()
    # Odds recomputed after the close (as a late recompute would record them) must not count.
    save(expert, season, "picture", "Minari")
    assert not current_odds(season).equals(at_close)
    assert OddsHistory.objects.filter(recorded_at__gt=closes_at).exists()
    close(season, at=closes_at)
    announce(season, "picture", "Minari")

    winners = make_winners([(season["picture"].id, nominee(season, "picture", "Minari").id)])
    want = expected(group_scores(at_close, winners))
    later = expected(group_scores(current_odds(season), winners))
    assert want["all"] != later["all"]
    shown_rows = table(client.get(GROUPS))
    assert {s: figures(cells) for s, cells in shown_rows.items() if cells[1] != "0"} == want
    assert "experts" not in want  # no expert had picked before the close
    assert figures(shown_rows["all"])[1] == "0 of 1"


def test_an_undone_announcement_is_not_scored(client, voted, announce, editor, django_capture_on_commit_callbacks):
    from leaderboards.services import result_undo

    close(voted)
    announce(voted, "picture", "Nomadland")
    announce(voted, "editing", "Sound of Metal")
    with django_capture_on_commit_callbacks(execute=True):
        result_undo(editor=editor, category=voted["editing"])
    shown_rows = table(client.get(GROUPS))
    assert figures(shown_rows["all"])[:2] == ["1", "1 of 1"]
    assert "1 of 2 categories announced" in page_text(client.get(GROUPS))


def test_empty_states(client, season, voted, announce):
    text = page_text(client.get(GROUPS))
    assert "Predictions are still open" in text
    assert "groups-table" not in client.get(GROUPS).content.decode()
    close(season)
    response = client.get(GROUPS)
    assert "No winner has been announced yet" in page_text(response)
    assert "groups-table" not in response.content.decode()
    announce(season, "picture", "Nomadland")
    assert "groups-table" in client.get(GROUPS).content.decode()


def test_a_ceremony_without_a_winners_round(client, season):
    Round.objects.filter(pk=season["round"].pk).delete()
    response = client.get(GROUPS)
    assert response.status_code == 200
    assert "has no winners round" in page_text(response)


def test_an_announced_category_nobody_predicted(client, season, announce):
    close(season)
    announce(season, "editing", "Promising")
    response = client.get(GROUPS)
    assert response.status_code == 200
    assert "No one made a prediction in the 1 category announced" in page_text(response)


def test_an_unknown_ceremony_is_a_404(client, season):
    assert client.get("/ceremonies/academy-awards/12/groups/").status_code == 404
    assert client.get("/ceremonies/no-such-show/93/groups/").status_code == 404


def test_constant_query_count(client, voted, save, announce):
    close(voted)
    announce(voted, "picture", "Nomadland")
    few = query_count(client, GROUPS)
    Round.objects.filter(pk=voted["round"].pk).update(closes_at=timezone.now() + timedelta(days=1))
    for i in range(5):
        user = UserFactory(display_name=f"Fan {i}", role="expert" if i % 2 else "fan")
        save(user, voted, "editing", "Promising", "Nomadland")
        save(user, voted, "picture", "Minari")
    close(voted)
    announce(voted, "editing", "Promising")
    assert "2 of 2 categories announced" in page_text(client.get(GROUPS))
    assert query_count(client, GROUPS) == few


def live_root(html: str) -> dict[str, str]:
    tag = re.search(r"<div id=\"groups-live\"[^>]*>", html)
    assert tag, "no live root on the page"
    return dict(re.findall(r'data-(live|version|summary|poll-seconds)="([^"]*)"', tag.group(0)))


def test_the_page_refreshes_its_table_while_the_envelopes_are_opening(client, voted, announce):
    """The same enhancement as the leaderboard: live.js on the page, ?fragment=1 answers the table partial alone."""
    close(voted)
    none_yet = client.get(GROUPS).content.decode()
    assert "js/live.js" in none_yet and live_root(none_yet)["live"] == "true"

    announce(voted, "picture", "Nomadland")
    page = client.get(GROUPS).content.decode()
    fragment = client.get(GROUPS + "?fragment=1")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "no-cache" in fragment["Cache-Control"]
    assert body.lstrip().startswith('<div id="groups-live"') and "<html" not in body and "js/live.js" not in body
    assert live_root(body) == live_root(page)
    assert live_root(body)["live"] == "true" and live_root(body)["summary"] == "1 of 2 categories announced"
    assert live_root(body)["version"] != live_root(none_yet)["version"]
    assert table(fragment) == table(client.get(GROUPS))

    announce(voted, "editing", "Sound of Metal")  # the last envelope: the script stops polling
    done = client.get(GROUPS + "?fragment=1").content.decode()
    assert live_root(done)["live"] == "false" and live_root(done)["version"] != live_root(body)["version"]
    assert "js/live.js" not in client.get(GROUPS).content.decode()


def test_the_page_does_not_poll_while_predictions_are_open(client, voted):
    page = client.get(GROUPS).content.decode()
    assert "js/live.js" not in page and live_root(page)["live"] == "false"
