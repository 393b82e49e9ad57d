"""The odds engine (predictions.odds): pure, no database. Expected values are worked out by hand in the comments."""

import math
from fractions import Fraction

import pandas as pd
import pytest

from predictions import odds
from predictions.odds import (
    ALL_SEGMENTS,
    COMBINED,
    LADDER,
    compute_odds,
    fractional_odds,
    ladder_price,
    movement,
    percent,
)

A, B, C = 101, 102, 103


def make_hits(rows):
    return pd.DataFrame(rows, columns=["segment", "contender_id", "hits"])


def probs(result, segment):
    """{contender_id: probability} of one segment."""
    rows = result[result["segment"] == segment]
    return dict(zip(rows["contender_id"], rows["probability"], strict=True))


def ranks(result, segment):
    rows = result[result["segment"] == segment]
    return dict(zip(rows["contender_id"], rows["rank"], strict=True))


# All users: 10 ballots, first places A 6, B 3, C 1.  k/n = 1/3, pseudo-count 1:
#   p_all(A) = (6 + 1/3) / 11 = 19/33,  p_all(B) = (3 + 1/3) / 11 = 10/33,  p_all(C) = (1 + 1/3) / 11 = 4/33
ALL_ROWS = [("all", A, 6), ("all", B, 3), ("all", C, 1)]
P_ALL = {A: 19 / 33, B: 10 / 33, C: 4 / 33}
# Experts: 3 ballots, all on A.  pseudo-count 4 toward p_all:
#   p(A) = (3 + 4 * 19/33) / 7 = (99/33 + 76/33) / 7 = 25/33
#   p(B) = (0 + 4 * 10/33) / 7 = 40/231,  p(C) = (0 + 4 * 4/33) / 7 = 16/231     (175 + 40 + 16 = 231)
EXPERT_ROWS = [("experts", A, 3)]
P_EXPERTS = {A: 25 / 33, B: 40 / 231, C: 16 / 231}
# Editors: 2 ballots, one on B, one on C:
#   p(A) = (0 + 4 * 19/33) / 6 = 76/198,  p(B) = (1 + 40/33) / 6 = 73/198,  p(C) = (1 + 16/33) / 6 = 49/198
EDITOR_ROWS = [("editors", B, 1), ("editors", C, 1)]
P_EDITORS = {A: 76 / 198, B: 73 / 198, C: 49 / 198}


def assert_probs(actual, expected):
    assert actual.keys() == expected.keys()
    for contender, p in expected.items():
        assert actual[contender] == pytest.approx(p, abs=1e-12), contender


# --- compute_odds ---------------------------------------------------------------------------------------------------


def test_all_users_share_is_smoothed_toward_uniform():
    result = compute_odds(make_hits(ALL_ROWS), {"all": 10}, [A, B, C])

    assert list(result.columns) == ["segment", "contender_id", "probability", "rank", "ballots"]
    assert_probs(probs(result, "all"), P_ALL)
    assert sum(probs(result, "all").values()) == pytest.approx(1.0)
    assert ranks(result, "all") == {A: 1, B: 2, C: 3}
    assert set(result.loc[result["segment"] == "all", "ballots"]) == {10}
    # only All has ballots: Combined is All
    assert_probs(probs(result, COMBINED), P_ALL)
    assert list(result["segment"].unique()) == ["all", COMBINED]


def test_small_segment_is_smoothed_toward_all_users():
    result = compute_odds(make_hits(ALL_ROWS + EXPERT_ROWS), {"all": 10, "experts": 3}, [A, B, C])

    experts = probs(result, "experts")
    assert_probs(experts, P_EXPERTS)
    assert experts[A] < 1 and experts[B] > 0 and experts[C] > 0  # three unanimous experts: not 100% / 0%
    assert sum(experts.values()) == pytest.approx(1.0)
    assert set(result.loc[result["segment"] == "experts", "ballots"]) == {3}


def test_no_ballots_at_all_gives_uniform_all_users_only():
    result = compute_odds(make_hits([]), {}, [11, 12, 13, 14])

    assert list(result["segment"]) == ["all"] * 4
    assert list(result["contender_id"]) == [11, 12, 13, 14]
    assert list(result["probability"]) == [0.25] * 4  # 1/n
    assert list(result["rank"]) == [1, 1, 1, 1]
    assert list(result["ballots"]) == [0, 0, 0, 0]

    zeros = compute_odds(pd.DataFrame(), {"all": 0, "experts": 0}, [11, 12])
    assert list(zeros["segment"]) == ["all", "all"] and list(zeros["probability"]) == [0.5, 0.5]


def test_segment_without_ballots_is_absent_and_combined_averages_present_segments():
    result = compute_odds(make_hits(ALL_ROWS + EXPERT_ROWS), {"all": 10, "experts": 3, "editors": 0}, [A, B, C])

    assert set(result["segment"]) == {"all", "experts", COMBINED}
    # Combined = (all + experts) / 2:
    #   A: (19/33 + 25/33) / 2 = 2/3
    #   B: (10/33 + 40/231) / 2 = (70/231 + 40/231) / 2 = 55/231 = 5/21
    #   C: (4/33 + 16/231) / 2 = (28/231 + 16/231) / 2 = 22/231 = 2/21        (14 + 5 + 2 = 21)
    assert_probs(probs(result, COMBINED), {A: 2 / 3, B: 5 / 21, C: 2 / 21})
    assert set(result.loc[result["segment"] == COMBINED, "ballots"]) == {10}  # Combined shows the All count


def test_combined_of_three_segments():
    hits = make_hits(ALL_ROWS + EXPERT_ROWS + EDITOR_ROWS)
    result = compute_odds(hits, {"all": 10, "experts": 3, "editors": 2}, [A, B, C])

    assert_probs(probs(result, "editors"), P_EDITORS)
    assert set(result["segment"]) == {"all", "experts", "editors", COMBINED}
    # Combined = (all + experts + editors) / 3, over 1386 = 2 * 9 * 7 * 11:
    #   A: (57/99 + 75/99 + 38/99) / 3 = 170/297 = 2380/4158
    #   B: (420 + 240 + 511) / 1386 / 3 = 1171/4158
    #   C: (168 + 96 + 343) / 1386 / 3 = 607/4158                (2380 + 1171 + 607 = 4158)
    assert_probs(probs(result, COMBINED), {A: 2380 / 4158, B: 1171 / 4158, C: 607 / 4158})
    assert sum(probs(result, COMBINED).values()) == pytest.approx(1.0)


def test_combined_weights_are_renormalized_over_present_segments(monkeypatch):
    monkeypatch.setattr(odds, "COMBINED_WEIGHTS", {"all": 1.0, "experts": 3.0, "editors": 1.0, "top24": 1.0})
    result = compute_odds(make_hits(ALL_ROWS + EXPERT_ROWS), {"all": 10, "experts": 3}, [A, B, C])
    # weights 1 and 3 over all + experts -> 1/4, 3/4:  A = (19/33 + 3 * 25/33) / 4 = 94/132 = 47/66
    assert probs(result, COMBINED)[A] == pytest.approx(47 / 66, abs=1e-12)


def test_nominations_round_top_k():
    # 4 ballots, top 5 of 10 contenders:
    #   {1,2,3,4,5} {1,2,3,4,6} {1,2,3,5,7} {1,2,4,6,8}  ->  hits 1:4 2:4 3:3 4:3 5:2 6:2 7:1 8:1 9:0 10:0  (sum 20)
    top5 = {1: 4, 2: 4, 3: 3, 4: 3, 5: 2, 6: 2, 7: 1, 8: 1}
    # 2 experts, the first two ballots: 1:2 2:2 3:2 4:2 5:1 6:1  (sum 10)
    experts = {1: 2, 2: 2, 3: 2, 4: 2, 5: 1, 6: 1}
    hits = make_hits([("all", c, h) for c, h in top5.items()] + [("experts", c, h) for c, h in experts.items()])
    result = compute_odds(hits, {"all": 4, "experts": 2}, list(range(1, 11)), slots=5)

    # k/n = 5/10 = 1/2;  p = (hits + 1/2) / 5:  4 -> 0.9, 3 -> 0.7, 2 -> 0.5, 1 -> 0.3, 0 -> 0.1
    p_all = probs(result, "all")
    assert_probs(p_all, {1: 0.9, 2: 0.9, 3: 0.7, 4: 0.7, 5: 0.5, 6: 0.5, 7: 0.3, 8: 0.3, 9: 0.1, 10: 0.1})
    assert sum(p_all.values()) == pytest.approx(5.0)  # 2 * (0.9 + 0.7 + 0.5 + 0.3 + 0.1)
    assert 0.9 < 1  # in every top 5, still below 1
    assert ranks(result, "all") == {1: 1, 2: 1, 3: 3, 4: 3, 5: 5, 6: 5, 7: 7, 8: 7, 9: 9, 10: 9}
    # experts: (2 + 4 * 0.9) / 6 = 5.6/6 = 14/15 for contender 1; (0 + 4 * 0.1) / 6 = 1/15 for contender 9
    p_exp = probs(result, "experts")
    assert p_exp[1] == pytest.approx(14 / 15) and p_exp[9] == pytest.approx(1 / 15)
    assert sum(p_exp.values()) == pytest.approx(5.0)  # (10 + 4 * 5) / 6
    assert sum(probs(result, COMBINED).values()) == pytest.approx(5.0)


def test_slots_are_capped_at_the_number_of_contenders():
    # 3 contenders, slots 5 -> k = 3; 2 ballots place all three: p = (2 + 1 * 3/3) / 3 = 1
    hits = make_hits([("all", A, 2), ("all", B, 2), ("all", C, 2)])
    result = compute_odds(hits, {"all": 2}, [A, B, C], slots=5)
    assert list(probs(result, "all").values()) == [1.0, 1.0, 1.0]
    # no ballots: uniform k/n = 3/3
    assert list(compute_odds(make_hits([]), {}, [A, B, C], slots=5)["probability"]) == [1.0, 1.0, 1.0]


def test_tied_shares_share_a_rank_and_skip_the_next():
    # 5 ballots: A 3, B 1, C 1, D 0; p = (h + 1/4) / 6 -> 3.25/6, 1.25/6, 1.25/6, 0.25/6
    D = 104
    hits = make_hits([("all", A, 3), ("all", B, 1), ("all", C, 1)])
    result = compute_odds(hits, {"all": 5}, [D, C, B, A])

    assert ranks(result, "all") == {A: 1, B: 2, C: 2, D: 4}
    rows = result[result["segment"] == "all"]
    assert list(rows["contender_id"]) == [A, B, C, D]  # ordered by rank, then contender id
    assert rows["probability"].iloc[1] == pytest.approx(1.25 / 6)


def test_ranks_tolerate_float_noise():
    assert odds._competition_rank([0.5, 0.3, 0.3 + 1e-13, 0.2]).tolist() == [1, 2, 2, 4]
    assert odds._competition_rank([0.3, 0.3 + 1e-9]).tolist() == [2, 1]


def test_output_types_and_bounds():
    result = compute_odds(make_hits(ALL_ROWS + EXPERT_ROWS), {"all": 10, "experts": 3}, [A, B, C])
    assert str(result["contender_id"].dtype) == "int64"
    assert str(result["probability"].dtype) == "float64"
    assert str(result["rank"].dtype) == "int64"
    assert str(result["ballots"].dtype) == "int64"
    assert result["probability"].between(0, 1).all()
    assert list(result["segment"].unique()) == [s for s in ALL_SEGMENTS if s in {"all", "experts", COMBINED}]


@pytest.mark.parametrize(
    ("hits", "ballots", "contenders", "slots", "message"),
    [
        (make_hits([("fans", A, 1)]), {"all": 1}, [A, B], 1, "unknown segment"),
        (make_hits([(COMBINED, A, 1)]), {"all": 1}, [A, B], 1, "computed"),
        (make_hits([]), {"fans": 1}, [A, B], 1, "unknown segment"),
        (make_hits([]), {COMBINED: 1}, [A, B], 1, "computed"),
        (make_hits([("all", 999, 1)]), {"all": 1}, [A, B], 1, "not in contender_ids"),
        (make_hits([("all", A, -1)]), {"all": 1}, [A, B], 1, "negative hits"),
        (make_hits([]), {"all": -1}, [A, B], 1, "negative"),
        (make_hits([("all", A, 3)]), {"all": 2}, [A, B], 1, "hits > ballots"),
        (make_hits([("experts", A, 1)]), {"all": 5}, [A, B], 1, "hits > ballots"),
        (make_hits([("all", A, 2), ("all", B, 1)]), {"all": 2}, [A, B], 1, "place"),
        (make_hits([("all", A, 1), ("all", A, 1)]), {"all": 2}, [A, B], 1, "more than one row"),
        (make_hits([("all", A, 0.5)]), {"all": 2}, [A, B], 1, "whole numbers"),
        (pd.DataFrame({"segment": ["all"], "hits": [1]}), {"all": 1}, [A, B], 1, "missing column"),
        (make_hits([]), {"all": 1}, [A, B], 0, "slots"),
        (make_hits([]), {"all": 1}, [A, B], 1.5, "slots"),
        (make_hits([]), {"all": 1}, [A, A], 1, "duplicates"),
        (make_hits([]), {"all": 1}, [], 1, "empty"),
    ],
)
def test_invalid_input_raises(hits, ballots, contenders, slots, message):
    with pytest.raises(ValueError, match=message):
        compute_odds(hits, ballots, contenders, slots=slots)


# --- ladder ---------------------------------------------------------------------------------------------------------


def test_ladder_is_ascending_and_keeps_bookmaker_spelling():
    assert LADDER[0] == (1, 5) and LADDER[-1] == (100, 1)
    assert len(LADDER) == 58
    values = [Fraction(num, den) for num, den in LADDER]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert (4, 6) in LADDER and (6, 4) in LADDER and (2, 3) not in LADDER


@pytest.mark.parametrize(
    ("probability", "shown"),
    [
        (0.5, "EVEN"),  # 1 / (1 + 1/1)
        (1 / (1 + 9 / 2), "9/2"),  # 2/11 = 0.1818...
        (0.6, "4/6"),  # 1 / (1 + 4/6) = 6/10
        (0.4, "6/4"),  # 1 / (1 + 6/4) = 4/10
        (1 / 11, "10/1"),
        (1 / 101, "100/1"),
        (5 / 6, "1/5"),  # 1 / (1 + 1/5)
        # between 9/2 (2/11 = 0.18182) and 5/1 (1/6 = 0.16667), midpoint 23/132 = 0.17424:
        (0.178, "9/2"),
        (0.170, "5/1"),
        # between EVEN (0.5) and 11/10 (10/21 = 0.47619), midpoint 0.48810:
        (0.489, "EVEN"),
        (0.487, "11/10"),
        # ends
        (0.99, "1/5"),
        (1.0, "1/5"),
        (0.001, "100/1"),
        (0.0, "100/1"),
        (0, "100/1"),
    ],
)
def test_fractional_odds(probability, shown):
    assert fractional_odds(probability) == shown


def test_fractional_odds_tie_goes_to_the_longer_price():
    # exactly halfway between 9/2 (2/11) and 5/1 (1/6): (2/11 + 1/6) / 2 = 23/132
    assert fractional_odds(Fraction(23, 132)) == "5/1"
    assert fractional_odds(Fraction(23, 132) + Fraction(1, 10**9)) == "9/2"
    assert ladder_price(0.6) == (4, 6)


@pytest.mark.parametrize("bad", [math.nan, -0.01, 1.01, math.inf, -math.inf, None, "0.5"])
def test_fractional_odds_rejects_invalid(bad):
    with pytest.raises(ValueError):
        fractional_odds(bad)


# --- percent and movement -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probability", "shown"),
    [
        (0.42, "42%"),
        (0.426, "43%"),  # 42.6 rounds up
        (0.424, "42%"),
        (0.01, "1%"),
        (0.0099, "<1%"),
        (0.004, "<1%"),  # would round to 0%
        (1e-9, "<1%"),
        (0.0, "0%"),
        (0, "0%"),
        (0.99, "99%"),
        (0.994, ">99%"),  # would round to 99%
        (0.9999, ">99%"),  # would round to 100%
        (1.0, "100%"),
        (1, "100%"),
    ],
)
def test_percent(probability, shown):
    assert percent(probability) == shown


@pytest.mark.parametrize("bad", [math.nan, -0.1, 1.5])
def test_percent_rejects_invalid(bad):
    with pytest.raises(ValueError):
        percent(bad)


def test_movement():
    assert movement(0.45, None) is None
    assert movement(0.45, 0.40) == 5.0  # (0.45 - 0.40) * 100
    assert movement(0.40, 0.45) == -5.0
    assert movement(0.1234, 0.1) == 2.3  # 2.34 -> 2.3
    assert movement(0.1, 0.1236) == -2.4  # -2.36 -> -2.4
    assert movement(0.3, 0.3) == 0.0
    assert math.copysign(1, movement(0.3, 0.3004)) == 1  # -0.04 rounds to 0.0, not -0.0
    assert movement(1.0, 0.0) == 100.0
    with pytest.raises(ValueError):
        movement(math.nan, 0.5)
