"""Scoring (leaderboards.scoring): pure, no database. Every expected value is worked out by hand in the comments.

Prices used (predictions.odds.ladder_price, the nearest ladder price to the locked probability):
    0.5 -> EVEN (1/1): correct +100      0.2  -> 4/1: +400     0.25 -> 3/1: +300     0.1 -> 9/1: +900
    0.6 -> 4/6: +100*4/6 = +66.67        0.19 -> 9/2: +450 (nearest: 9/2 implies 2/11 = 0.182, 4/1 implies 0.2,
                                                          the midpoint is 0.191 > 0.19)
    a wrong pick: -100 whatever its price; no pick: 0.
"""

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from leaderboards import scoring
from leaderboards.scoring import COLUMNS, POINTS_STAKE, ladder_prices, pick_points, score
from predictions.odds import LADDER, implied_probability, ladder_price

T0 = datetime(2021, 4, 25, 17, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_picks(rows) -> pd.DataFrame:
    """rows: (user_id, category_id, contender_id, rank, locked_probability, saved_at)."""
    return pd.DataFrame(rows, columns=list(scoring.PICK_COLUMNS))


def make_winners(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["category_id", "contender_id"])


def make_members(rows=()) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["user_id", "segment"])


def board(result: pd.DataFrame, segment: str = "all") -> dict[int, dict]:
    """{user_id: row as a dict} of one segment."""
    rows = result[result["segment"] == segment].drop(columns="segment")
    return {int(row["user_id"]): row for row in rows.to_dict("records")}


def ranks(result: pd.DataFrame, segment: str = "all") -> dict[int, int]:
    return {user: int(row["rank"]) for user, row in board(result, segment).items()}


def winners_round(picks, winners, *, slots, decided, members=None):
    return score(picks, winners, kind="winners", slots=slots, decided=decided, members=make_members(members or ()))


# --- winners round ------------------------------------------------------------------------------------------------


def test_tied_winners_a_pick_of_either_is_correct():
    # Category 1 ends in a tie: contenders 11 and 12 both win.
    #   user 1 picks 11 at 0.5 -> EVEN: correct, +100
    #   user 2 picks 12 at 0.2 -> 4/1:  correct, +400
    #   user 3 picks 13 at 0.5:         wrong,   -100
    # accuracy 1/1, 1/1, 0/1; users 1 and 2 tie on accuracy, user 2 has more points.
    picks = make_picks(
        [
            (1, 1, 11, 1, 0.5, at(0)),
            (1, 1, 12, 2, 0.3, at(0)),  # second place: not the pick, scores nothing
            (2, 1, 12, 1, 0.2, at(0)),
            (3, 1, 13, 1, 0.5, at(0)),
        ]
    )
    result = winners_round(picks, make_winners([(1, 11), (1, 12)]), slots={1: 1}, decided=[1])

    rows = board(result)
    assert {u: (r["correct"], r["decided"], r["predicted"]) for u, r in rows.items()} == {
        1: (1, 1, 1),
        2: (1, 1, 1),
        3: (0, 1, 1),
    }
    assert {u: r["accuracy"] for u, r in rows.items()} == {1: 1.0, 2: 1.0, 3: 0.0}
    assert {u: r["points"] for u, r in rows.items()} == {1: 100.0, 2: 400.0, 3: -100.0}
    assert ranks(result) == {2: 1, 1: 2, 3: 3}


def test_an_unpredicted_decided_category_counts_as_wrong_and_scores_nothing():
    # Categories 1 (won by 11) and 2 (won by 21) are decided.
    #   user 1: 11 at 0.5 (+100) and 21 at 0.25 (3/1, +300): correct 2 of 2, points 400
    #   user 2: 11 at 0.5 (+100), nothing in category 2:        correct 1 of 2 (accuracy 0.5), predicted 1, points 100
    picks = make_picks(
        [
            (1, 1, 11, 1, 0.5, at(0)),
            (1, 2, 21, 1, 0.25, at(0)),
            (2, 1, 11, 1, 0.5, at(0)),
        ]
    )
    result = winners_round(picks, make_winners([(1, 11), (2, 21)]), slots={1: 1, 2: 1}, decided=[1, 2])

    rows = board(result)
    assert (rows[1]["correct"], rows[1]["decided"], rows[1]["predicted"], rows[1]["accuracy"]) == (2, 2, 2, 1.0)
    assert (rows[2]["correct"], rows[2]["decided"], rows[2]["predicted"], rows[2]["accuracy"]) == (1, 2, 1, 0.5)
    assert rows[1]["points"] == 400.0
    assert rows[2]["points"] == 100.0  # the unpredicted category neither adds nor takes away
    assert ranks(result) == {1: 1, 2: 2}


def test_undecided_categories_do_not_count():
    # Three categories, only 1 is decided (won by 11). Category 2 has a result row but is not in `decided`
    # (the list is what counts), category 3 has nothing yet.
    #   user 1: 11 at 0.5 (+100); 21 and 31 do not count  -> correct 1, decided 1, predicted 1, accuracy 1, points 100
    #   user 2: 12 at 0.5 (-100); 21 does not count        -> correct 0, decided 1, predicted 1, accuracy 0, points -100
    picks = make_picks(
        [
            (1, 1, 11, 1, 0.5, at(0)),
            (1, 2, 21, 1, 0.2, at(0)),
            (1, 3, 31, 1, 0.2, at(0)),
            (2, 1, 12, 1, 0.5, at(0)),
            (2, 2, 21, 1, 0.2, at(0)),
        ]
    )
    result = winners_round(picks, make_winners([(1, 11), (2, 21)]), slots={1: 1, 2: 1, 3: 1}, decided=[1])

    rows = board(result)
    assert {u: (r["correct"], r["decided"], r["predicted"], r["accuracy"], r["points"]) for u, r in rows.items()} == {
        1: (1, 1, 1, 1.0, 100.0),
        2: (0, 1, 1, 0.0, -100.0),
    }


def test_equal_accuracy_is_broken_by_points():
    # Categories 1 (won by 11), 2 (won by 21) and 3 (won by 31), all decided.
    #   user 1: 11 at 0.5  right (EVEN, +100), 22 wrong (-100), 31 at 0.6 right (4/6, +66.67): 2/3, 66.67
    #   user 2: 12 wrong (-100), 21 at 0.19 right (9/2, +450), 31 at 0.2 right (4/1, +400):    2/3, 750
    #   user 3: 11 at 0.5 right (+100), 21 at 0.5 right (+100), 32 wrong (-100):               2/3, 100
    # User 1 saved first and user 2 last, so the save time alone would order them the other way.
    picks = make_picks(
        [
            (1, 1, 11, 1, 0.5, at(0)),
            (1, 2, 22, 1, 0.5, at(0)),
            (1, 3, 31, 1, 0.6, at(0)),
            (2, 1, 12, 1, 0.5, at(20)),
            (2, 2, 21, 1, 0.19, at(20)),
            (2, 3, 31, 1, 0.2, at(20)),
            (3, 1, 11, 1, 0.5, at(10)),
            (3, 2, 21, 1, 0.5, at(10)),
            (3, 3, 32, 1, 0.5, at(10)),
        ]
    )
    result = winners_round(
        picks, make_winners([(1, 11), (2, 21), (3, 31)]), slots={1: 1, 2: 1, 3: 1}, decided=[1, 2, 3]
    )

    rows = board(result)
    assert {u: r["correct"] for u, r in rows.items()} == {1: 2, 2: 2, 3: 2}
    assert {u: r["accuracy"] for u, r in rows.items()} == pytest.approx({1: 2 / 3, 2: 2 / 3, 3: 2 / 3})
    assert rows[1]["points"] == pytest.approx(66.666666667, abs=1e-6)  # 100 - 100 + 400/6
    assert rows[2]["points"] == 750.0  # -100 + 450 + 400
    assert rows[3]["points"] == 100.0  # 100 + 100 - 100
    assert ranks(result) == {2: 1, 3: 2, 1: 3}


def test_equal_accuracy_and_points_are_broken_by_the_earliest_final_save():
    # Category 1 (won by 11) is decided, category 2 is not. Both users pick 11 at 0.5: 1/1, +100 each.
    # The final save is the latest save of any ballot of the round, decided or not, whatever the rank:
    #   user 1: category 1 at 0', category 2 at 30'  -> final save 30'
    #   user 2: category 1 at 10', category 2 at 20' (its second place too) -> final save 20'
    picks = make_picks(
        [
            (1, 1, 11, 1, 0.5, at(0)),
            (1, 2, 21, 1, 0.5, at(30)),
            (2, 1, 11, 1, 0.5, at(10)),
            (2, 2, 22, 1, 0.5, at(20)),
            (2, 2, 21, 2, 0.5, at(20)),
        ]
    )
    result = winners_round(picks, make_winners([(1, 11)]), slots={1: 1, 2: 1}, decided=[1])

    rows = board(result)
    assert rows[1]["final_saved_at"] == at(30)
    assert rows[2]["final_saved_at"] == at(20)
    assert (rows[1]["accuracy"], rows[1]["points"]) == (rows[2]["accuracy"], rows[2]["points"]) == (1.0, 100.0)
    assert ranks(result) == {2: 1, 1: 2}


def test_a_full_tie_shares_the_rank_and_skips_the_next():
    # Categories 1, 2, 3 won by 11, 21, 31, all decided; everyone saved at 0'.
    #   user 1: all right at 0.1 (9/1 each):                     3/3, 900 * 3 = 2700            -> rank 1
    #   user 2: all right at 15/23, 15/23, 3/13 (8/15, 8/15, 10/3): 3/3, 53.33 + 53.33 + 333.33 = 440
    #   user 3: all right at 5/6, 5/6, 0.2 (1/5, 1/5, 4/1):      3/3, 20 + 20 + 400 = 440       -> ranks 2, 2
    #   user 4: 11 at 0.5 right (+100), 22 and 32 wrong (-200):  1/3, -100                     -> rank 4 (3 is skipped)
    # In floats user 2's 440 comes out as 439.99999999999994: equal within the tolerance, so still a tie.
    picks = make_picks(
        [
            *[(1, c, c * 10 + 1, 1, 0.1, at(0)) for c in (1, 2, 3)],
            (2, 1, 11, 1, 15 / 23, at(0)),
            (2, 2, 21, 1, 15 / 23, at(0)),
            (2, 3, 31, 1, 3 / 13, at(0)),
            (3, 1, 11, 1, 5 / 6, at(0)),
            (3, 2, 21, 1, 5 / 6, at(0)),
            (3, 3, 31, 1, 0.2, at(0)),
            (4, 1, 11, 1, 0.5, at(0)),
            (4, 2, 22, 1, 0.5, at(0)),
            (4, 3, 32, 1, 0.5, at(0)),
        ]
    )
    result = winners_round(
        picks, make_winners([(1, 11), (2, 21), (3, 31)]), slots={1: 1, 2: 1, 3: 1}, decided=[1, 2, 3]
    )

    rows = board(result)
    assert rows[1]["points"] == 2700.0
    assert rows[2]["points"] != rows[3]["points"]  # not bitwise equal, which is why the tolerance exists
    assert rows[2]["points"] == pytest.approx(440.0, abs=1e-9)
    assert rows[3]["points"] == 440.0
    assert rows[4]["points"] == -100.0
    assert ranks(result) == {1: 1, 2: 2, 3: 2, 4: 4}
    assert result["user_id"].tolist() == [1, 2, 3, 4]  # rank, then user id


def test_points_come_from_the_price_not_the_raw_probability():
    # One decided category won by 11, same save time: user 1 at 0.5 (EVEN, +100); user 2 at 0.49, still EVEN
    # (11/10 implies 10/21 = 0.476, the midpoint with EVEN is 0.488 < 0.49), so +100 and a tie with user 1;
    # user 3 at 0.48, nearer 11/10: +110, first.
    picks = make_picks([(1, 1, 11, 1, 0.5, at(0)), (2, 1, 11, 1, 0.49, at(0)), (3, 1, 11, 1, 0.48, at(0))])
    result = winners_round(picks, make_winners([(1, 11)]), slots={1: 1}, decided=[1])

    assert {u: r["points"] for u, r in board(result).items()} == {1: 100.0, 2: 100.0, 3: 110.0}
    assert ranks(result) == {3: 1, 1: 2, 2: 2}


def test_segments_rank_their_own_members():
    # One decided category won by 11, everyone saved at 0'.
    #   user 1:            11 at 0.2 (+400)                      -> 1/1, 400
    #   user 2 (editor):   11 at 0.5 (+100)                      -> 1/1, 100
    #   user 3 (expert):   12 (-100)                             -> 0/1, -100
    #   user 4 (expert):   only a pick in undecided category 2   -> 0/1, 0 (unpredicted scores nothing)
    #   All: user 1 -> 1, user 2 -> 2, user 4 -> 3 (0 points beat -100), user 3 -> 4.
    #   Experts (3, 4): user 4 -> 1 (3rd overall), user 3 -> 2.   Editors (2): user 2 -> 1.   Top 24: nobody.
    # User 99 is an expert with no picks: left out. User 1 is not listed on "all": everyone with picks is.
    picks = make_picks(
        [
            (1, 1, 11, 1, 0.2, at(0)),
            (2, 1, 11, 1, 0.5, at(0)),
            (3, 1, 12, 1, 0.5, at(0)),
            (4, 2, 21, 1, 0.5, at(0)),
        ]
    )
    members = [(2, "all"), (3, "all"), (4, "all"), (2, "editors"), (3, "experts"), (4, "experts"), (99, "experts")]
    result = winners_round(picks, make_winners([(1, 11)]), slots={1: 1, 2: 1}, decided=[1], members=members)

    assert ranks(result, "all") == {1: 1, 2: 2, 4: 3, 3: 4}
    assert ranks(result, "experts") == {4: 1, 3: 2}
    assert ranks(result, "editors") == {2: 1}
    assert "top24" not in set(result["segment"])
    assert result["segment"].tolist() == ["all"] * 4 + ["experts"] * 2 + ["editors"]
    # a member's figures are the same on every board, only the rank differs
    assert board(result, "experts")[4]["points"] == board(result, "all")[4]["points"] == 0.0


def test_nothing_decided_yet_everyone_has_zero_accuracy_and_the_save_time_orders():
    # One category, not decided: decided 0, accuracy 0 (not a division by zero), points 0; user 2 saved first.
    picks = make_picks([(1, 1, 11, 1, 0.5, at(10)), (2, 1, 12, 1, 0.5, at(5))])
    result = winners_round(picks, make_winners([]), slots={1: 1}, decided=[])

    rows = board(result)
    assert {u: (r["correct"], r["decided"], r["predicted"], r["accuracy"], r["points"]) for u, r in rows.items()} == {
        1: (0, 0, 0, 0.0, 0.0),
        2: (0, 0, 0, 0.0, 0.0),
    }
    assert ranks(result) == {2: 1, 1: 2}


# --- nominations round --------------------------------------------------------------------------------------------


def nominations_picks():
    # Category 1 has K = 3 nominee places (nominees 11, 12, 13); category 2 has K = 2 (nominees 21, 22).
    return make_picks(
        [
            # user 1, category 1: top 3 = 11, 12, 14; 13 at 4th is outside the top 3 and does not count
            (1, 1, 11, 1, 0.5, at(0)),
            (1, 1, 12, 2, 0.25, at(0)),
            (1, 1, 14, 3, 0.2, at(0)),
            (1, 1, 13, 4, 0.5, at(0)),
            # user 1, category 2: top 2 = 21, 23
            (1, 2, 21, 1, 0.6, at(0)),
            (1, 2, 23, 2, 0.5, at(0)),
            # user 2, category 1: only two places filled; nothing in category 2
            (2, 1, 13, 1, 0.2, at(5)),
            (2, 1, 15, 2, 0.5, at(5)),
        ]
    )


NOMINEES = [(1, 11), (1, 12), (1, 13), (2, 21), (2, 22)]


def test_nominations_round_scores_each_nominee_place_of_the_top_k():
    # decided = 3 + 2 = 5 nominee places.
    #   user 1: 11 yes at 0.5 (+100), 12 yes at 0.25 (+300), 14 no (-100); 21 yes at 0.6 (+66.67), 23 no (-100)
    #           correct 3, predicted 5, accuracy 3/5 = 0.6, points 100 + 300 - 100 + 66.67 - 100 = 266.67
    #   user 2: 13 yes at 0.2 (+400), 15 no (-100); 2 empty places in category 1 and 2 in category 2 count as wrong
    #           correct 1, predicted 2, accuracy 1/5 = 0.2, points 300
    result = score(
        nominations_picks(),
        make_winners(NOMINEES),
        kind="nominations",
        slots={1: 3, 2: 2},
        decided=[1, 2],
        members=make_members(),
    )

    rows = board(result)
    assert {u: (r["correct"], r["decided"], r["predicted"]) for u, r in rows.items()} == {1: (3, 5, 5), 2: (1, 5, 2)}
    assert rows[1]["accuracy"] == pytest.approx(0.6)
    assert rows[2]["accuracy"] == pytest.approx(0.2)
    assert rows[1]["points"] == pytest.approx(266.666666667, abs=1e-6)
    assert rows[2]["points"] == 300.0
    assert ranks(result) == {1: 1, 2: 2}


def test_nominations_round_counts_only_the_places_of_decided_categories():
    # Only category 1 is decided: decided = K = 3.
    #   user 1: 11, 12 yes, 14 no -> 2/3, points 100 + 300 - 100 = 300
    #   user 2: 13 yes, 15 no     -> 1/3, points 400 - 100 = 300
    result = score(
        nominations_picks(),
        make_winners(NOMINEES),
        kind="nominations",
        slots={1: 3, 2: 2},
        decided=[1],
        members=make_members(),
    )

    rows = board(result)
    assert {u: (r["correct"], r["decided"], r["predicted"], r["points"]) for u, r in rows.items()} == {
        1: (2, 3, 3, 300.0),
        2: (1, 3, 2, 300.0),
    }


# --- live bounds --------------------------------------------------------------------------------------------------


def live_picks():
    # Categories 1 (won by 11), 2 (won by 21) decided; category 3 not yet.
    #   user 1: 11 at 0.5 yes, 21 at 0.5 yes, picks 31  -> current 2, most 3, points 200     -> rank 1
    #   user 2: 11 at 0.2 yes, 22 no, picks 31          -> current 1, most 2, points 300     -> rank 2
    #   user 3: 12 no, 22 no, no pick in 3              -> current 0, most 0, points -200    -> rank 4
    #   user 4 (expert): 11 at 0.5 yes, nothing else    -> current 1, most 1, points 100     -> rank 3
    #   user 3 is an expert too.
    return make_picks(
        [
            (1, 1, 11, 1, 0.5, at(0)),
            (1, 2, 21, 1, 0.5, at(0)),
            (1, 3, 31, 1, 0.5, at(0)),
            (2, 1, 11, 1, 0.2, at(0)),
            (2, 2, 22, 1, 0.5, at(0)),
            (2, 3, 31, 1, 0.5, at(0)),
            (3, 1, 12, 1, 0.5, at(0)),
            (3, 2, 22, 1, 0.5, at(0)),
            (4, 1, 11, 1, 0.5, at(0)),
        ]
    )


def test_live_bounds_while_a_category_is_undecided():
    # best = 1 + others whose current exceeds my most; worst = 1 + others whose most exceeds my current.
    #   All (currents 2, 1, 0, 1; mosts 3, 2, 0, 1):
    #     user 1: most 3  -> nobody's current > 3: best 1;  current 2 -> nobody else's most > 2 (2, 0, 1): worst 1
    #     user 2: most 2  -> currents 2, 0, 1 > 2? none: best 1; current 1 -> mosts 3, 0, 1 > 1: user 1: worst 2
    #     user 3: most 0  -> currents 2, 1, 1 > 0: all three: best 4; current 0 -> mosts 3, 2, 1 > 0: worst 4
    #     user 4: most 1  -> currents 2, 1, 0 > 1: user 1: best 2; current 1 -> mosts 3, 2, 0 > 1: users 1, 2: worst 3
    #   Experts (users 3, 4):
    #     user 3: most 0 -> user 4's current 1 > 0: best 2; current 0 -> user 4's most 1 > 0: worst 2
    #     user 4: most 1 -> user 3's current 0: best 1;      current 1 -> user 3's most 0: worst 1
    result = winners_round(
        live_picks(),
        make_winners([(1, 11), (2, 21)]),
        slots={1: 1, 2: 1, 3: 1},
        decided=[1, 2],
        members=[(3, "experts"), (4, "experts")],
    )

    def bounds(segment):
        return {u: (r["rank"], r["best_rank"], r["worst_rank"]) for u, r in board(result, segment).items()}

    assert bounds("all") == {1: (1, 1, 1), 2: (2, 1, 2), 4: (3, 2, 3), 3: (4, 4, 4)}
    assert bounds("experts") == {4: (1, 1, 1), 3: (2, 2, 2)}
    assert result["best_rank"].dtype == "Int64"
    assert result["worst_rank"].dtype == "Int64"


def test_no_live_bounds_once_everything_is_decided():
    # Category 3 is won by 31: users 1 and 2 gain a correct pick; the bounds disappear.
    result = winners_round(
        live_picks(), make_winners([(1, 11), (2, 21), (3, 31)]), slots={1: 1, 2: 1, 3: 1}, decided=[1, 2, 3]
    )

    assert result["best_rank"].isna().all()
    assert result["worst_rank"].isna().all()
    assert result["best_rank"].dtype == "Int64"
    # user 1: 3/3, 300; user 2: 2/3, 400; user 4: 1/3, 100; user 3: 0/3, -200
    assert ranks(result) == {1: 1, 2: 2, 4: 3, 3: 4}


# --- shape and validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "picks",
    [make_picks([]), pd.DataFrame()],
    ids=["empty with columns", "no columns at all"],
)
def test_no_picks_give_an_empty_frame_with_the_columns(picks):
    result = score(picks, make_winners([(1, 11)]), kind="winners", slots={1: 1}, decided=[1], members=make_members())

    assert result.empty
    assert list(result.columns) == list(COLUMNS)
    assert result["best_rank"].dtype == "Int64"
    assert result["rank"].dtype == "int64"


def test_the_result_has_the_contract_columns_and_types():
    result = winners_round(live_picks(), make_winners([(1, 11), (2, 21)]), slots={1: 1, 2: 1, 3: 1}, decided=[1, 2])

    assert list(result.columns) == list(COLUMNS)
    for column in ("user_id", "rank", "correct", "decided", "predicted"):
        assert result[column].dtype == "int64", column
    assert result["accuracy"].dtype == "float64"
    assert result["points"].dtype == "float64"
    assert isinstance(result["final_saved_at"].dtype, pd.DatetimeTZDtype)


def test_saved_at_in_mixed_time_zones_is_compared_as_instants():
    # 19:00 in Paris (UTC+2 in April) is 17:00 UTC = at(0), before at(10): user 1 saved first.
    paris = datetime(2021, 4, 25, 19, 0, tzinfo=timezone(timedelta(hours=2)))
    picks = make_picks([(1, 1, 11, 1, 0.5, paris), (2, 1, 11, 1, 0.5, at(10))])
    result = winners_round(picks, make_winners([(1, 11)]), slots={1: 1}, decided=[1])

    assert ranks(result) == {1: 1, 2: 2}
    assert board(result)[1]["final_saved_at"] == at(0)


GOOD = {
    "picks": make_picks([(1, 1, 11, 1, 0.5, at(0))]),
    "winners": make_winners([(1, 11)]),
    "kind": "winners",
    "slots": {1: 1},
    "decided": [1],
    "members": make_members([(1, "all")]),
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"picks": GOOD["picks"].drop(columns="locked_probability")}, "picks is missing column.*locked_probability"),
        ({"winners": make_winners([(1, 11)]).drop(columns="contender_id")}, "winners is missing column.*contender_id"),
        ({"members": pd.DataFrame({"user_id": [1]})}, "members is missing column.*segment"),
        ({"kind": "combined"}, "unknown kind 'combined'"),
        ({"picks": make_picks([(1, 7, 71, 1, 0.5, at(0))])}, r"picks for category\(ies\) not in slots: \[7\]"),
        ({"picks": make_picks([(1, 1, 11, 0, 0.5, at(0))])}, "rank must be >= 1"),
        ({"picks": make_picks([(1, 1, 11, 1, 1.5, at(0))])}, r"locked_probability must be in \[0, 1\]"),
        ({"picks": make_picks([(1, 1, 11, 1, None, at(0))])}, r"locked_probability must be in \[0, 1\]"),
        ({"picks": make_picks([(1, 1, 11, 1, 0.5, datetime(2021, 4, 25))])}, "timezone-aware"),  # noqa: DTZ001
        ({"picks": make_picks([(1, 1, 11, 1, 0.5, at(0)), (1, 1, 12, 1, 0.5, at(0))])}, "rank 1 twice for user 1"),
        ({"picks": make_picks([(1, 1, 11, 1, 0.5, at(0)), (1, 1, 11, 2, 0.5, at(0))])}, "contender 11 twice"),
        ({"winners": make_winners([(8, 81)])}, r"winners for category\(ies\) not in slots: \[8\]"),
        ({"decided": [1, 9]}, r"decided category\(ies\) not in slots: \[9\]"),
        ({"slots": {1: 0}}, r"slots\[1\] must be an integer >= 1"),
        ({"members": make_members([(1, "combined")])}, "unknown segment.*combined"),
    ],
)
def test_invalid_input_raises_a_clear_value_error(change, message):
    with pytest.raises(ValueError, match=message):
        score(**{**GOOD, **change})


def test_the_good_input_of_the_validation_cases_scores():
    # so that every error above is caused by its one change: 1/1 at EVEN
    result = score(**GOOD)
    assert (result["rank"].tolist(), result["points"].tolist()) == ([1], [100.0])


# --- prices -------------------------------------------------------------------------------------------------------


def test_vectorized_prices_match_ladder_price_everywhere_including_on_the_midpoints():
    prices = LADDER[::-1]
    midpoints = [
        float((implied_probability(a) + implied_probability(b)) / 2) for a, b in zip(prices, prices[1:], strict=False)
    ]
    edges = np.array(midpoints)
    probabilities = np.concatenate(
        [
            np.linspace(0, 1, 20001),
            edges,
            np.nextafter(edges, 2.0),
            np.nextafter(edges, -1.0),
            [float(implied_probability(price)) for price in LADDER],
        ]
    )
    nums, dens = ladder_prices(probabilities)
    expected = [ladder_price(p) for p in probabilities]
    assert list(zip(nums.tolist(), dens.tolist(), strict=True)) == expected


def test_pick_points():
    assert POINTS_STAKE == 100
    assert pick_points(0.5, correct=True) == 100.0  # EVEN
    assert pick_points(0.2, correct=True) == 400.0  # 4/1
    assert pick_points(0.6, correct=True) == pytest.approx(66.6666666667)  # 4/6
    assert pick_points(0.2, correct=False) == -100.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pick_points(-0.1, correct=True)
