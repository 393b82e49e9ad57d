"""Which group predicted best: each segment's odds at the close of the winners round, scored against the results.

Pure: pandas and numpy only, no ORM. The view reads the odds as they stood at close (OddsHistory) and the announced
winners, and calls `group_scores`.

Per segment, over the categories that are decided (have a winner) and in which the segment has odds:

- decided: how many such categories.
- favourites_won: in how many of them a rank-1 contender won. When contenders tie for favourite, the category counts
  as a win if any tied favourite won (the segment could not have said more).
- brier: the mean over those categories of the sum over contenders of (p - outcome)^2, outcome 1 for a winner and 0
  otherwise. 0 is perfect, lower is better; a sure and wrong forecast scores 2 (3 with two tied winners).
- log_score: the mean over those categories of ln(p), p the probability the segment gave the winner (tied winners:
  the sum of their probabilities), clipped at LOG_FLOOR so a zero does not give minus infinity. 0 is perfect,
  higher is better.

A segment with no odds in a category (no ballots there) is not scored on it: its `decided` is smaller. A winner
without an odds row in a segment that has odds for its category counts as probability 0 there.
"""

import numpy as np
import pandas as pd

# The order of the side-by-side table (the same as predictions.odds.ALL_SEGMENTS, repeated to keep this module pure).
SEGMENT_ORDER = ("all", "experts", "editors", "top24", "combined")
LOG_FLOOR = 1e-6
COLUMNS = ("segment", "decided", "favourites_won", "brier", "log_score")


def group_scores(odds: pd.DataFrame, winners: pd.DataFrame) -> pd.DataFrame:
    """One row per segment that has odds, in SEGMENT_ORDER (unknown segments after, alphabetically).

    odds columns: segment, category_id, contender_id, probability, rank (one row per contender and segment).
    winners columns: category_id, contender_id (tied winners: one row each).
    Returns columns segment, decided (int), favourites_won (int), brier (float), log_score (float); brier and
    log_score are NaN for a segment with no decided category.
    """
    missing = [c for c in ("segment", "category_id", "contender_id", "probability", "rank") if c not in odds]
    if missing:
        raise ValueError(f"odds lacks column(s): {', '.join(missing)}")
    missing = [c for c in ("category_id", "contender_id") if c not in winners]
    if missing:
        raise ValueError(f"winners lacks column(s): {', '.join(missing)}")

    odds = odds[["segment", "category_id", "contender_id", "probability", "rank"]].copy()
    odds["segment"] = odds["segment"].astype(str)
    odds["probability"] = odds["probability"].astype(float).clip(0.0, 1.0)
    winners = winners[["category_id", "contender_id"]].drop_duplicates().assign(won=True)

    segments = sorted(odds["segment"].unique(), key=_segment_key)
    scored = odds[odds["category_id"].isin(winners["category_id"])]

    # Every (segment, category) pair to score, and every contender in it: the segment's odds rows plus any winner it
    # has no row for (probability 0).
    pairs = scored[["segment", "category_id"]].drop_duplicates()
    absent = pairs.merge(winners[["category_id", "contender_id"]], on="category_id").merge(
        scored[["segment", "category_id", "contender_id"]], how="left", indicator=True
    )
    absent = absent[absent["_merge"] == "left_only"].drop(columns="_merge").assign(probability=0.0, rank=np.nan)
    rows = pd.concat([scored, absent], ignore_index=True) if len(absent) else scored
    rows = rows.merge(winners, on=["category_id", "contender_id"], how="left")
    rows["won"] = rows["won"].astype("boolean").fillna(False).astype(bool)
    rows["squared"] = (rows["probability"] - rows["won"].astype(float)) ** 2
    rows["winner_p"] = rows["probability"].where(rows["won"], 0.0)
    rows["favourite_won"] = rows["won"] & (rows["rank"] == 1)

    per_category = rows.groupby(["segment", "category_id"], sort=False).agg(
        brier=("squared", "sum"), winner_p=("winner_p", "sum"), favourite_won=("favourite_won", "any")
    )
    per_category["log"] = np.log(per_category["winner_p"].clip(LOG_FLOOR, 1.0))
    per_segment = per_category.groupby(level="segment").agg(
        decided=("brier", "size"),
        favourites_won=("favourite_won", "sum"),
        brier=("brier", "mean"),
        log_score=("log", "mean"),
    )

    result = per_segment.reindex(segments)
    result.index.name = "segment"
    result = result.reset_index()
    result["decided"] = result["decided"].fillna(0).astype(int)
    result["favourites_won"] = result["favourites_won"].fillna(0).astype(int)
    result["brier"] = result["brier"].astype(float)
    result["log_score"] = result["log_score"].astype(float)
    return result[list(COLUMNS)]


def _segment_key(segment: str) -> tuple[int, str]:
    return (SEGMENT_ORDER.index(segment), "") if segment in SEGMENT_ORDER else (len(SEGMENT_ORDER), segment)
