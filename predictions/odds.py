"""The odds engine: ballots counted per segment in, smoothed probabilities and ranks out.

Pure computation: no ORM, no settings, no clock. The service around it reads the hit counts (one aggregate query),
calls `compute_odds` and writes the rows it returns. Fractional odds are only a way of showing a probability, so
`fractional_odds` / `percent` / `movement` work on one stored probability at a time.

Rules (ARCHITECTURE.md, "Product rules" / Odds):

* All users:  p = (hits + ALL_PSEUDO_COUNT * k/n) / (N_all + ALL_PSEUDO_COUNT)
* Segment s:  p = (hits_s + SEGMENT_PSEUDO_COUNT * p_all) / (N_s + SEGMENT_PSEUDO_COUNT), only when N_s > 0
* Combined:   the COMBINED_WEIGHTS-weighted average of the segments that have ballots

where k is the number of places that count (1 in the winners round, the category's slots in the nominations round,
capped at the number of contenders n) and hits is the number of the segment's ballots placing the contender in its
top k. When every ballot fills its k places, the probabilities of a segment sum to k.
"""

import math
from fractions import Fraction

import numpy as np
import pandas as pd

SEGMENTS = ("all", "experts", "editors", "top24")
COMBINED = "combined"
ALL_SEGMENTS = SEGMENTS + (COMBINED,)

SEGMENT_PSEUDO_COUNT = 4.0
ALL_PSEUDO_COUNT = 1.0
COMBINED_WEIGHTS = {"all": 1.0, "experts": 1.0, "editors": 1.0, "top24": 1.0}

RANK_TOLERANCE = 1e-12

COLUMNS = ("segment", "contender_id", "probability", "rank", "ballots")


# --- probabilities ------------------------------------------------------------------------------------------------


def compute_odds(hits: pd.DataFrame, ballots: dict[str, int], contender_ids: list[int], slots: int = 1) -> pd.DataFrame:
    """One row per (segment, contender) for every segment with ballots; "all" always appears.

    hits: columns segment, contender_id, hits (missing rows mean 0 hits). ballots: ballots per segment (missing or 0
    means none). Returns columns segment, contender_id, probability, rank, ballots, ordered by segment (as in
    ALL_SEGMENTS), then rank, then contender_id. Invalid input raises ValueError.
    """
    contenders = _validate_contenders(contender_ids)
    k = min(_validate_slots(slots), len(contenders))
    counts = _validate_ballots(ballots)
    table = _hit_table(hits, contenders, counts, k)

    prior = k / len(contenders)
    n_all = counts["all"]
    if n_all > 0:
        p_all = (table["all"].to_numpy(dtype=float) + ALL_PSEUDO_COUNT * prior) / (n_all + ALL_PSEUDO_COUNT)
    else:
        p_all = np.full(len(contenders), prior)

    probabilities = {"all": p_all}
    for segment in SEGMENTS[1:]:
        n = counts[segment]
        if n > 0:
            probabilities[segment] = (table[segment].to_numpy(dtype=float) + SEGMENT_PSEUDO_COUNT * p_all) / (
                n + SEGMENT_PSEUDO_COUNT
            )

    present = [segment for segment in SEGMENTS if counts[segment] > 0]
    if present:
        weights = _combined_weights(present)
        probabilities[COMBINED] = sum(weight * probabilities[segment] for segment, weight in weights.items())

    frames = []
    for segment, p in probabilities.items():
        p = np.clip(p, 0.0, 1.0)
        frames.append(
            pd.DataFrame(
                {
                    "segment": segment,
                    "contender_id": contenders,
                    "probability": p,
                    "rank": _competition_rank(p),
                    "ballots": n_all if segment == COMBINED else counts[segment],
                }
            )
        )
    result = pd.concat(frames, ignore_index=True)
    order = {segment: i for i, segment in enumerate(ALL_SEGMENTS)}
    result = result.sort_values(
        ["segment", "rank", "contender_id"], key=lambda col: col.map(order) if col.name == "segment" else col
    )
    return result.astype({"contender_id": "int64", "probability": "float64", "rank": "int64", "ballots": "int64"})[
        list(COLUMNS)
    ].reset_index(drop=True)


def _competition_rank(probabilities: np.ndarray) -> np.ndarray:
    """Competition ranking (1, 2, 2, 4) by probability, highest first; values within RANK_TOLERANCE tie."""
    p = np.asarray(probabilities, dtype=float)
    ascending = np.sort(p)
    # rank = 1 + how many are higher by more than the tolerance
    higher = len(p) - np.searchsorted(ascending, p + RANK_TOLERANCE, side="right")
    return (higher + 1).astype("int64")


def _combined_weights(present: list[str]) -> dict[str, float]:
    weights = {segment: float(COMBINED_WEIGHTS.get(segment, 0.0)) for segment in present}
    if any(not math.isfinite(w) or w < 0 for w in weights.values()):
        raise ValueError(f"COMBINED_WEIGHTS must be finite and non-negative, got {weights}")
    total = sum(weights.values())
    if total <= 0:
        raise ValueError(f"COMBINED_WEIGHTS give no weight to any segment with ballots ({', '.join(present)})")
    return {segment: w / total for segment, w in weights.items()}


# --- validation ---------------------------------------------------------------------------------------------------


def _is_whole(value) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | np.integer):
        return True
    if isinstance(value, float | np.floating):
        return math.isfinite(value) and float(value).is_integer()
    return False


def _validate_contenders(contender_ids) -> np.ndarray:
    ids = list(contender_ids)
    if not ids:
        raise ValueError("contender_ids is empty: a category needs at least one contender")
    bad = [c for c in ids if not _is_whole(c)]
    if bad:
        raise ValueError(f"contender_ids must be integers, got {bad[:5]!r}")
    array = np.asarray(ids, dtype="int64")
    unique, counts = np.unique(array, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"contender_ids has duplicates: {unique[counts > 1].tolist()[:5]}")
    return array


def _validate_slots(slots) -> int:
    if not _is_whole(slots) or slots < 1:
        raise ValueError(f"slots must be an integer >= 1, got {slots!r}")
    return int(slots)


def _validate_ballots(ballots) -> dict[str, int]:
    ballots = dict(ballots or {})
    if COMBINED in ballots:
        raise ValueError(f"ballots must not count {COMBINED!r}: it is computed from the other segments")
    unknown = sorted(map(str, set(ballots) - set(SEGMENTS)))
    if unknown:
        raise ValueError(f"unknown segment(s) in ballots: {', '.join(unknown)} (expected one of {', '.join(SEGMENTS)})")
    counts = {}
    for segment in SEGMENTS:
        value = ballots.get(segment, 0)
        if value is None:
            value = 0
        if not _is_whole(value):
            raise ValueError(f"ballots[{segment!r}] must be an integer, got {value!r}")
        if value < 0:
            raise ValueError(f"ballots[{segment!r}] is negative: {value}")
        counts[segment] = int(value)
    return counts


def _whole_numbers(series: pd.Series, what: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"{what} must be integers, got booleans")
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be integers") from exc
    if not np.isfinite(values).all() or (values != np.round(values)).any():
        raise ValueError(f"{what} must be whole numbers (no NaN, no fractions)")
    return values.astype("int64")


def _hit_table(hits: pd.DataFrame | None, contenders: np.ndarray, counts: dict[str, int], k: int) -> pd.DataFrame:
    """Hits as a contenders x SEGMENTS table of ints (0 where no row was given), validated against the ballots."""
    empty = pd.DataFrame(0, index=pd.Index(contenders, name="contender_id"), columns=list(SEGMENTS), dtype="int64")
    if hits is None or len(hits.index) == 0:
        return empty
    missing = {"segment", "contender_id", "hits"} - set(hits.columns)
    if missing:
        raise ValueError(f"hits is missing column(s): {', '.join(sorted(missing))}")

    segments = hits["segment"].astype(str)
    if (segments == COMBINED).any():
        raise ValueError(f"hits must not include {COMBINED!r}: it is computed from the other segments")
    unknown = sorted(set(segments) - set(SEGMENTS))
    if unknown:
        raise ValueError(f"unknown segment(s) in hits: {', '.join(unknown)} (expected one of {', '.join(SEGMENTS)})")

    frame = pd.DataFrame(
        {
            "segment": segments.to_numpy(),
            "contender_id": _whole_numbers(hits["contender_id"], "hits.contender_id"),
            "hits": _whole_numbers(hits["hits"], "hits.hits"),
        }
    )
    strangers = np.setdiff1d(frame["contender_id"].to_numpy(), contenders)
    if len(strangers):
        raise ValueError(f"hits for contender(s) not in contender_ids: {strangers.tolist()[:5]}")
    if (frame["hits"] < 0).any():
        bad = frame[frame["hits"] < 0].iloc[0]
        raise ValueError(f"negative hits: {bad['hits']} for contender {bad['contender_id']} in {bad['segment']!r}")
    duplicated = frame.duplicated(["segment", "contender_id"])
    if duplicated.any():
        bad = frame[duplicated].iloc[0]
        raise ValueError(f"hits has more than one row for contender {bad['contender_id']} in {bad['segment']!r}")

    ballots = frame["segment"].map(counts)
    over = frame["hits"] > ballots
    if over.any():
        bad = frame[over].iloc[0]
        raise ValueError(
            f"hits > ballots: contender {bad['contender_id']} has {bad['hits']} hits in {bad['segment']!r}, "
            f"which has {counts[bad['segment']]} ballot(s)"
        )
    totals = frame.groupby("segment")["hits"].sum()
    for segment, total in totals.items():
        if total > k * counts[segment]:
            raise ValueError(
                f"{segment!r} has {total} hits in all, more than its {counts[segment]} ballot(s) x {k} place(s) allow"
            )

    table = frame.pivot(index="contender_id", columns="segment", values="hits")
    return table.reindex(index=contenders, columns=list(SEGMENTS), fill_value=0).fillna(0).astype("int64")


# --- showing a probability ----------------------------------------------------------------------------------------

# Fractional odds AGAINST, shortest first, as bookmakers write them (4/6 and 6/4 are not reduced).
LADDER: tuple[tuple[int, int], ...] = (
    (1, 5), (2, 9), (1, 4), (2, 7), (1, 3), (4, 11), (2, 5), (4, 9), (1, 2), (8, 15), (4, 7), (8, 13), (4, 6),
    (8, 11), (4, 5), (5, 6), (10, 11), (1, 1), (11, 10), (6, 5), (5, 4), (11, 8), (6, 4), (13, 8), (7, 4), (15, 8),
    (2, 1), (9, 4), (5, 2), (11, 4), (3, 1), (10, 3), (7, 2), (4, 1), (9, 2), (5, 1), (11, 2), (6, 1), (13, 2),
    (7, 1), (15, 2), (8, 1), (17, 2), (9, 1), (10, 1), (11, 1), (12, 1), (14, 1), (16, 1), (18, 1), (20, 1),
    (25, 1), (33, 1), (40, 1), (50, 1), (66, 1), (80, 1), (100, 1),
)  # fmt: skip


def implied_probability(price: tuple[int, int]) -> Fraction:
    """The probability a price of num/den against implies: 1 / (1 + num/den) = den / (num + den)."""
    num, den = price
    return Fraction(den, num + den)


# Longest price first, so implied probabilities ascend; _MIDPOINTS[i] lies between price i and i + 1 of that order.
_LONGEST_FIRST = LADDER[::-1]
_MIDPOINTS = tuple(
    (implied_probability(a) + implied_probability(b)) / 2
    for a, b in zip(_LONGEST_FIRST, _LONGEST_FIRST[1:], strict=False)
)


def _exact_probability(probability) -> Fraction:
    if isinstance(probability, str | bool | np.bool_) or probability is None:
        raise ValueError(f"probability must be a number, got {probability!r}")
    try:
        exact = Fraction(probability) if isinstance(probability, int | Fraction) else Fraction(float(probability))
    except (TypeError, ValueError, OverflowError) as exc:  # NaN and infinities land here too
        raise ValueError(f"probability must be a number in [0, 1], got {probability!r}") from exc
    if not 0 <= exact <= 1:
        raise ValueError(f"probability must be in [0, 1], got {probability!r}")
    return exact


def ladder_price(probability: float) -> tuple[int, int]:
    """The ladder price (num, den) nearest in implied probability; ties go to the longer price.

    At or above 1/5's implied probability: (1, 5); at or below 100/1's, including 0: (100, 1).
    """
    exact = _exact_probability(probability)
    # number of midpoints strictly below p; a p exactly on a midpoint stays with the longer (lower) price
    lo, hi = 0, len(_MIDPOINTS)
    while lo < hi:
        mid = (lo + hi) // 2
        if _MIDPOINTS[mid] < exact:
            lo = mid + 1
        else:
            hi = mid
    return _LONGEST_FIRST[lo]


def fractional_odds(probability: float) -> str:
    """Probability -> the nearest ladder price as shown: "9/2", "EVEN" (1/1), "4/6"."""
    num, den = ladder_price(probability)
    return "EVEN" if (num, den) == (1, 1) else f"{num}/{den}"


def percent(probability: float) -> str:
    """ "42%"; "<1%" above 0 but below 1%; ">99%" above 99% but below 1; "0%" and "100%" only when exact."""
    exact = _exact_probability(probability)
    if exact == 0:
        return "0%"
    if exact == 1:
        return "100%"
    if exact < Fraction(1, 100):
        return "<1%"
    if exact > Fraction(99, 100):
        return ">99%"
    return f"{math.floor(exact * 100 + Fraction(1, 2))}%"  # half up, on the exact value


def movement(current: float, previous: float | None) -> float | None:
    """Change in percentage points since `previous`, rounded to 1 decimal; None when there is no previous value."""
    if previous is None:
        return None
    change = round((float(_exact_probability(current)) - float(_exact_probability(previous))) * 100, 1)
    return change + 0.0  # no "-0.0"
