"""Scoring: picks and results in, one leaderboard row per (segment, user) out.

Pure computation: no ORM, no settings, no clock. The service around it (leaderboards.services) reads the picks, the
results and the segment members with one query per table, calls `score` and upserts the rows it returns.

How the leaderboards are scored (ARCHITECTURE.md, "Product rules" / Scoring):

* Winners round. Your pick in a category is the contender you ranked first. It is correct if it won; when two
  contenders tie for the award, a pick of either is correct. A category counts once its winner is announced.
  Accuracy = correct picks / announced categories of the round; an announced category you did not predict counts
  as wrong.
* Nominations round. Your picks in a category are your top K contenders, K being the number of nominees the
  category has. Each of them that is nominated is one correct pick. Accuracy = correct picks / nominee places of
  the categories whose nominations are known (K each); places you left empty count as wrong.
* Points break ties on accuracy. Every pick stakes 100 points at the Combined odds locked when it was saved, shown
  as a fractional price num/den (4/1, EVEN, 4/6). A correct pick earns 100 x num/den (+400 at 4/1, +100 at EVEN,
  +67 at 4/6); a wrong pick loses its 100 stake; a category you did not predict scores 0.
* Rank: accuracy first, then points, then the earliest final save (your last save in the round). Users equal on
  all three share a rank and the next rank is skipped (1, 2, 2, 4).
* Leaderboards: All users, Experts, Editors and Top 24, each ranking its own members (Combined has none).
* While categories remain unannounced, each user has a best and a worst possible final rank, on accuracy alone:
  best = 1 + the others whose correct picks already exceed the most you can still reach; worst = 1 + the others
  who can still reach more than you already have. Once every category is announced there are no bounds.
"""

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from predictions.odds import LADDER, implied_probability

POINTS_STAKE = 100
POINTS_TOLERANCE = 1e-9  # points closer than this are equal (they are sums of floats)

KINDS = ("winners", "nominations")
SEGMENTS = ("all", "experts", "editors", "top24")  # Combined has no leaderboard

PICK_COLUMNS = ("user_id", "category_id", "contender_id", "rank", "locked_probability", "saved_at")
WINNER_COLUMNS = ("category_id", "contender_id")
MEMBER_COLUMNS = ("user_id", "segment")
COLUMNS = (
    "segment",
    "user_id",
    "rank",
    "correct",
    "decided",
    "predicted",
    "accuracy",
    "points",
    "final_saved_at",
    "best_rank",
    "worst_rank",
)


# --- prices, vectorized -------------------------------------------------------------------------------------------

# predictions.odds.ladder_price on whole arrays (it works on one Fraction at a time, far too slow for 100,000 users):
# prices longest first so implied probabilities ascend; ladder_price takes the price at index = how many midpoints
# between neighbouring prices lie strictly below p. For a float p, "midpoint m < p" is "p > the largest float <= m",
# so the count is one searchsorted. tests/leaderboards/test_scoring.py checks this against ladder_price.
_PRICES = LADDER[::-1]
_NUM = np.array([num for num, _ in _PRICES], dtype="int64")
_DEN = np.array([den for _, den in _PRICES], dtype="int64")


def _float_at_or_below(value: Fraction) -> float:
    f = float(value)
    return math.nextafter(f, -math.inf) if Fraction(f) > value else f


_MIDPOINT_FLOORS = np.array(
    [
        _float_at_or_below((implied_probability(a) + implied_probability(b)) / 2)
        for a, b in zip(_PRICES, _PRICES[1:], strict=False)
    ]
)


def ladder_prices(probabilities) -> tuple[np.ndarray, np.ndarray]:
    """ladder_price for an array of probabilities in [0, 1]: (nums, dens) as int64 arrays."""
    p = np.asarray(probabilities, dtype=float)
    index = np.searchsorted(_MIDPOINT_FLOORS, p, side="left")
    return _NUM[index], _DEN[index]


def pick_points(locked_probability: float, *, correct: bool) -> float:
    """One pick's points: +POINTS_STAKE x num/den at its locked price when correct, -POINTS_STAKE when wrong."""
    p = _probabilities(pd.Series([locked_probability]), "locked_probability")
    num, den = ladder_prices(p)
    return float(POINTS_STAKE * num[0] / den[0]) if correct else float(-POINTS_STAKE)


# --- score --------------------------------------------------------------------------------------------------------


def score(
    picks: pd.DataFrame,
    winners: pd.DataFrame,
    *,
    kind: str,
    slots: dict[int, int],
    decided: list[int],
    members: pd.DataFrame,
) -> pd.DataFrame:
    """One row per (segment, user) of the round's leaderboards, by the rules in this module's docstring.

    picks: user_id, category_id, contender_id, rank (1 = first), locked_probability, saved_at (timezone-aware): every
    pick of the round (ranks below the ones that count still date the user's final save). winners: category_id,
    contender_id: the announced winners (winners round) or the nominees (nominations round); rows of undecided
    categories are ignored. kind: "winners" or "nominations". slots: category_id -> K for every category of the
    round. decided: the ids of the decided categories. members: user_id, segment (all, experts, editors, top24); every
    user with picks is on "all" whether listed or not, and members without picks are left out.

    Returns COLUMNS ordered by segment (as in SEGMENTS), rank, user_id: rank, correct, decided, predicted (counts of
    picks; nominee places in the nominations round), accuracy (0 when nothing is decided), points, final_saved_at,
    and best_rank / worst_rank (nullable Int64, <NA> once every category is decided). Invalid input: ValueError.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    slots = _validate_slots(slots)
    decided_ids = _validate_decided(decided, slots)
    picks = _validate_picks(picks, slots)
    winners = _validate_winners(winners, slots)
    members = _validate_members(members)
    if picks.empty:
        return _empty(picks["saved_at"].dtype)

    # Numpy from here on, on dense codes: at 100,000 users x 23 categories (2.3 million picks) pandas' groupby,
    # MultiIndex.isin and boolean indexing of frames took most of a second; bincount and lookups take tens of ms.
    user_ids, user = _dense_codes(picks["user_id"].to_numpy())
    categories = np.array(sorted(slots), dtype="int64")
    category = _positions(categories, picks["category_id"].to_numpy())
    # the picks that count: first place, or the top K of the nominations round
    places = np.array([slots[c] for c in categories.tolist()], dtype="int64")
    counted = picks["rank"].to_numpy() <= (places[category] if kind == "nominations" else 1)
    in_decided = np.isin(categories, decided_ids)[category]
    scored = counted & in_decided
    results = winners[winners["category_id"].isin(decided_ids)]
    hit = _is_result(
        category[scored],
        picks["contender_id"].to_numpy()[scored],
        np.searchsorted(categories, results["category_id"].to_numpy()),
        results["contender_id"].to_numpy(),
        len(categories),
    )
    points = np.full(len(hit), -float(POINTS_STAKE))
    num, den = ladder_prices(picks["locked_probability"].to_numpy()[scored][hit])
    points[hit] = POINTS_STAKE * num / den

    n = len(user_ids)
    scorer = user[scored]
    saved_at = picks["saved_at"]
    naive = saved_at.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    last = np.full(n, np.iinfo("int64").min)
    np.maximum.at(last, user, naive.view("int64"))
    table = pd.DataFrame(
        {
            "user_id": user_ids,
            "final_saved_at": pd.Series(last.view(naive.dtype)).dt.tz_localize("UTC").dt.tz_convert(saved_at.dt.tz),
            "correct": np.bincount(scorer[hit], minlength=n),
            "predicted": np.bincount(scorer, minlength=n),
            "points": _sums(points, scorer, n),
            # Picks of undecided categories that may still come good: the most a user can still add to `correct`.
            "remaining": np.bincount(user[counted & ~in_decided], minlength=n),
        }
    )

    total = len(decided_ids) if kind == "winners" else sum(slots[c] for c in decided_ids)
    table["decided"] = total
    table["accuracy"] = table["correct"] / total if total else 0.0
    live = len(decided_ids) < len(slots)

    boards = []
    for segment in SEGMENTS:
        if segment == "all":
            board = table
        else:
            users = members.loc[members["segment"] == segment, "user_id"]
            board = table[table["user_id"].isin(users)]
        if board.empty:
            continue
        board = _ranked(board.copy())
        board["best_rank"], board["worst_rank"] = _bounds(board, live)
        board["segment"] = segment
        boards.append(board)

    result = pd.concat(boards, ignore_index=True)
    result["best_rank"] = result["best_rank"].astype("Int64")
    result["worst_rank"] = result["worst_rank"].astype("Int64")
    return result[list(COLUMNS)].reset_index(drop=True)


def _ranked(board: pd.DataFrame) -> pd.DataFrame:
    """Competition ranks on one segment: correct desc (the same as accuracy: one denominator for everyone), points desc
    within POINTS_TOLERANCE, final_saved_at asc. Returned sorted by rank, then user_id."""
    board = board.sort_values(["correct", "points"], ascending=[False, False], kind="stable")
    correct = board["correct"].to_numpy()
    points = board["points"].to_numpy()
    # Points groups along the sorted order: a new group whenever correct changes or points drop by more than the
    # tolerance, so near-equal points tie and the save time decides between them.
    new_group = np.ones(len(board), dtype=bool)
    new_group[1:] = (correct[1:] != correct[:-1]) | (points[:-1] - points[1:] > POINTS_TOLERANCE)
    board["_group"] = np.cumsum(new_group)
    board = board.sort_values(["_group", "final_saved_at", "user_id"], kind="stable")

    group = board["_group"].to_numpy()
    saved = board["final_saved_at"].dt.tz_convert(None).to_numpy()  # datetime64, not an object array of Timestamps
    starts = np.ones(len(board), dtype=bool)
    starts[1:] = (group[1:] != group[:-1]) | (saved[1:] != saved[:-1])
    position = np.arange(1, len(board) + 1)
    board["rank"] = np.maximum.accumulate(np.where(starts, position, 0)).astype("int64")
    return board.drop(columns="_group")


def _bounds(board: pd.DataFrame, live: bool) -> tuple[pd.Series, pd.Series]:
    """best_rank, worst_rank among the segment's members (accuracy only); <NA> when nothing is left to announce."""
    if not live:
        missing = pd.Series(pd.NA, index=board.index, dtype="Int64")
        return missing, missing.copy()
    current = board["correct"].to_numpy()
    most = current + board["remaining"].to_numpy()
    n = len(board)
    current_sorted = np.sort(current)
    most_sorted = np.sort(most)
    # others with current > my most (never me: my current <= my most)
    best = 1 + n - np.searchsorted(current_sorted, most, side="right")
    # others with most > my current, less me when I can still gain
    worst = 1 + n - np.searchsorted(most_sorted, current, side="right") - (most > current)
    return pd.Series(best, index=board.index), pd.Series(worst, index=board.index)


def _dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct values ascending, each value's index among them): pandas.factorize(sort=True), but by a lookup
    table when the values span a range not much wider than their count (ids usually do), which is a few times
    faster than hashing. values: int64, not empty."""
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > 4 * len(values) + 1024:
        codes, uniques = pd.factorize(values, sort=True)
        return np.asarray(uniques, dtype="int64"), codes.astype("int64")
    present = np.zeros(span, dtype=bool)
    present[values - low] = True
    index = np.cumsum(present, dtype="int64") - 1
    return np.flatnonzero(present) + low, index[values - low]


def _sums(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """Per code in range(n), the sum of its values: by pandas' groupby (compensated summation), not np.bincount,
    so that points come out to the last bit as they always have (439.99999999999994, not 440.0). The codes as a
    Categorical, so that pandas does not hash them again."""
    groups = pd.Categorical.from_codes(codes, categories=pd.RangeIndex(n))
    return pd.Series(values).groupby(groups, observed=False).sum().to_numpy()


def _positions(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's index in `keys` (sorted, distinct; every value is one of them): searchsorted, or a lookup table
    when the keys span a small range (category ids of one ceremony do), which is several times faster."""
    if len(keys) == 0 or int(keys[-1]) - int(keys[0]) >= 1 << 16:
        return np.searchsorted(keys, values)
    table = np.zeros(int(keys[-1]) - int(keys[0]) + 1, dtype="int64")
    table[keys - keys[0]] = np.arange(len(keys))
    return table[values - keys[0]]


def _is_result(category: np.ndarray, contender: np.ndarray, result_category, result_contender, n_categories: int):
    """Whether each (category code, contender id) pair is one of the results' pairs."""
    if len(result_contender) == 0:
        return np.zeros(len(contender), dtype=bool)
    known = np.unique(result_contender)
    index = np.minimum(np.searchsorted(known, contender), len(known) - 1)
    pairs = np.zeros(len(known) * n_categories, dtype=bool)
    pairs[np.searchsorted(known, result_contender) * n_categories + result_category] = True
    return (known[index] == contender) & pairs[index * n_categories + category]


def _empty(saved_at_dtype) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": pd.Series(dtype="str"),
            "user_id": pd.Series(dtype="int64"),
            "rank": pd.Series(dtype="int64"),
            "correct": pd.Series(dtype="int64"),
            "decided": pd.Series(dtype="int64"),
            "predicted": pd.Series(dtype="int64"),
            "accuracy": pd.Series(dtype="float64"),
            "points": pd.Series(dtype="float64"),
            "final_saved_at": pd.Series(dtype=saved_at_dtype),
            "best_rank": pd.Series(dtype="Int64"),
            "worst_rank": pd.Series(dtype="Int64"),
        }
    )[list(COLUMNS)]


# --- validation ---------------------------------------------------------------------------------------------------


def _is_whole(value) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | np.integer):
        return True
    if isinstance(value, float | np.floating):
        return math.isfinite(value) and float(value).is_integer()
    return False


def _require_columns(frame, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty and not set(columns) <= set(frame.columns):
        # nothing to read: an empty frame built from no rows may lack its columns
        return pd.DataFrame({column: pd.Series(dtype="int64") for column in columns})
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")
    return frame


def _whole_numbers(series: pd.Series, what: str) -> np.ndarray:
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "i":  # whole and present by their type
        return series.to_numpy().astype("int64", copy=False)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"{what} must be integers, got booleans")
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be integers") from exc
    if not np.isfinite(values).all() or (values != np.round(values)).any():
        raise ValueError(f"{what} must be whole numbers (no missing values, no fractions)")
    return values.astype("int64")


def _probabilities(series: pd.Series, what: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"{what} must be probabilities, got booleans")
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numbers in [0, 1]") from exc
    bad = ~(np.isfinite(values) & (values >= 0) & (values <= 1))
    if bad.any():
        raise ValueError(f"{what} must be in [0, 1], got {series[bad].tolist()[:5]!r}")
    return values


def _aware_datetimes(series: pd.Series, what: str) -> pd.Series:
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(series.dtype):
            raise ValueError(f"{what} must be timezone-aware datetimes")
        if not all(getattr(value, "tzinfo", None) is not None for value in series):
            raise ValueError(f"{what} must be timezone-aware datetimes")
        series = pd.to_datetime(series, utc=True)
    if series.isna().any():
        raise ValueError(f"{what} has missing values")
    return series


def _validate_slots(slots) -> dict[int, int]:
    if not isinstance(slots, dict):
        raise ValueError(f"slots must be a dict of category_id -> K, got {type(slots).__name__}")
    clean = {}
    for category, k in slots.items():
        if not _is_whole(category):
            raise ValueError(f"slots keys must be category ids, got {category!r}")
        if not _is_whole(k) or k < 1:
            raise ValueError(f"slots[{category!r}] must be an integer >= 1, got {k!r}")
        clean[int(category)] = int(k)
    return clean


def _validate_decided(decided, slots: dict[int, int]) -> list[int]:
    ids = list(decided)
    bad = [c for c in ids if not _is_whole(c)]
    if bad:
        raise ValueError(f"decided must be category ids, got {bad[:5]!r}")
    ids = sorted({int(c) for c in ids})
    strangers = [c for c in ids if c not in slots]
    if strangers:
        raise ValueError(f"decided category(ies) not in slots: {strangers[:5]}")
    return ids


def _validate_picks(picks, slots: dict[int, int]) -> pd.DataFrame:
    picks = _require_columns(picks, PICK_COLUMNS, "picks")
    if picks.empty:
        dtype = picks["saved_at"].dtype
        saved_at = pd.Series(dtype=dtype if isinstance(dtype, pd.DatetimeTZDtype) else "datetime64[us, UTC]")
        ids = {column: pd.Series(dtype="int64") for column in ("user_id", "category_id", "contender_id", "rank")}
        return pd.DataFrame({**ids, "locked_probability": pd.Series(dtype="float64"), "saved_at": saved_at})
    frame = pd.DataFrame(
        {
            column: _whole_numbers(picks[column], f"picks.{column}")
            for column in ("user_id", "category_id", "contender_id", "rank")
        }
    )
    frame["locked_probability"] = _probabilities(picks["locked_probability"], "picks.locked_probability")
    frame["saved_at"] = _aware_datetimes(picks["saved_at"], "picks.saved_at").array

    low = frame["rank"] < 1
    if low.any():
        bad = frame[low].iloc[0]
        raise ValueError(f"picks.rank must be >= 1, got {bad['rank']} (user {bad['user_id']})")
    strangers = sorted(set(frame["category_id"].unique().tolist()) - set(slots))
    if strangers:
        raise ValueError(f"picks for category(ies) not in slots: {strangers[:5]}")
    if not _pairs_repeat(frame, slots):
        return frame  # at most one pick per user and category: no rank and no contender can repeat
    for column in ("rank", "contender_id"):
        repeated = _duplicated(frame, column)
        if repeated.any():
            bad = frame[repeated].iloc[0]
            raise ValueError(
                f"picks has {column.replace('_id', '')} {bad[column]} twice for user {bad['user_id']} "
                f"in category {bad['category_id']}"
            )
    return frame


def _pairs_repeat(frame: pd.DataFrame, slots: dict[int, int]) -> bool:
    """Whether some user has two picks in one category (the nominations round's top K, or bad input). A table of
    users x categories seen when that is not much larger than the picks: far faster than hashing 2.3 million keys."""
    users, user = _dense_codes(frame["user_id"].to_numpy())
    categories = np.array(sorted(slots), dtype="int64")
    key = user * len(categories) + _positions(categories, frame["category_id"].to_numpy())
    if len(users) * len(categories) > 4 * len(frame) + 1024:
        return bool(pd.Series(key).duplicated().any())
    seen = np.zeros(len(users) * len(categories), dtype=bool)
    seen[key] = True
    return int(seen.sum()) < len(frame)


def _duplicated(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Rows repeating (user_id, category_id, column): one int64 key when it fits (much faster on millions of
    picks), else the three columns."""
    user, category, value = (frame[c].to_numpy() for c in ("user_id", "category_id", column))
    lows = [int(a.min()) for a in (user, category, value)]
    spans = [int(a.max()) - low + 1 for a, low in zip((user, category, value), lows, strict=True)]
    if spans[0] * spans[1] * spans[2] < 2**62:
        key = ((user - lows[0]) * spans[1] + (category - lows[1])) * spans[2] + (value - lows[2])
        return pd.Series(key).duplicated().to_numpy()
    return frame.duplicated(["user_id", "category_id", column]).to_numpy()


def _validate_winners(winners, slots: dict[int, int]) -> pd.DataFrame:
    winners = _require_columns(winners, WINNER_COLUMNS, "winners")
    frame = pd.DataFrame(
        {column: _whole_numbers(winners[column], f"winners.{column}") for column in WINNER_COLUMNS}
    ).drop_duplicates()
    strangers = sorted(set(frame["category_id"].unique().tolist()) - set(slots))
    if strangers:
        raise ValueError(f"winners for category(ies) not in slots: {strangers[:5]}")
    return frame.reset_index(drop=True)


def _validate_members(members) -> pd.DataFrame:
    members = _require_columns(members, MEMBER_COLUMNS, "members")
    segments = members["segment"].astype(str) if not members.empty else pd.Series(dtype="str")
    unknown = sorted(set(segments.unique().tolist()) - set(SEGMENTS))
    if unknown:
        raise ValueError(f"unknown segment(s) in members: {', '.join(unknown)} (expected one of {', '.join(SEGMENTS)})")
    return pd.DataFrame(
        {"user_id": _whole_numbers(members["user_id"], "members.user_id"), "segment": segments.to_numpy()}
    )
