"""Saving ballots and recomputing odds: the first data flow of ARCHITECTURE.md.

A save checks the rules, replaces the user's picks, bumps the category's ballot version in the
same transaction and, on commit, asks for a recompute. Requests are coalesced by a flag in the
cache (Redis in production): a burst of saves causes a few recomputes, never one per save, and
the last change is never lost, because the recompute reads the version after clearing the flag
and is re-requested whenever it finds itself behind. A broker or cache that is down only delays
the odds: the stale version in the database is what the periodic sweep catches up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, FilteredRelation, Q
from django.utils import timezone

from config.coalesce import recompute_request, recompute_started
from films.models import Category, Contender, Round
from predictions import odds as engine
from predictions.models import RATIONALE_MAX, Ballot, Odds, OddsHistory, OddsState, Pick, Segment

logger = logging.getLogger(__name__)

# A recompute waits this long after the first request of a burst, so that the burst shares it.
COALESCE_SECONDS = 1.0
# The flag outlives a lost task by at most this long; then the next save (or the sweep) requests again.
FLAG_TTL_SECONDS = 30
# First key of the PostgreSQL advisory lock that serializes recomputes of one category.
ODDS_LOCK_NAMESPACE = 7301


def round_open_for(category: Category, *, now: datetime | None = None) -> Round | None:
    """The round of the category's ceremony that is open now, if any."""
    now = now or timezone.now()
    return Round.objects.open(now).filter(ceremony_id=category.ceremony_id).order_by("-opens_at").first()


def eligible_contenders(category: Category, round_: Round):
    """The long list in the nominations round, the official nominees in the winners round."""
    contenders = Contender.objects.filter(category=category)
    if round_.kind == Round.Kind.WINNERS:
        contenders = contenders.filter(is_nominee=True)
    return contenders


# What a save checks about a category rarely changes: its ceremony's round windows and its contenders. Each
# process keeps them this long. The time is still compared with each round's window on every save, and the
# PostgreSQL save statement re-checks the open round and the contenders against the tables, so a stale entry
# only costs the slower path: a round closes exactly on time, and an edited round or list applies at once.
# (A category's name, class and slots may lag this long in error messages and the nominations prior.)
SAVE_RULES_TTL_SECONDS = 30


@dataclass(frozen=True)
class SaveRules:
    """A category and what a save of it checks, as loaded at `loaded_at` (time.monotonic())."""

    category: Category
    rounds: tuple[Round, ...]  # the ceremony's rounds, latest opening first
    nominees: frozenset[int]  # eligible in the winners round
    long_list: frozenset[int]  # every contender: eligible in the nominations round
    loaded_at: float

    def round_open(self, now: datetime) -> Round | None:
        """As round_open_for(): the latest-opening round of the ceremony open at `now`."""
        return next((round_ for round_ in self.rounds if round_.is_open(now)), None)

    def eligible(self, round_: Round) -> frozenset[int]:
        return self.nominees if round_.kind == Round.Kind.WINNERS else self.long_list


_save_rules: dict[int, SaveRules] = {}


def save_rules(category_id: int) -> SaveRules | None:
    """The category's SaveRules from this process's cache (loaded in three queries when missing or older
    than SAVE_RULES_TTL_SECONDS); None if there is no such category. Read-only: shared between threads."""
    rules = _save_rules.get(category_id)
    if rules is not None and time.monotonic() - rules.loaded_at < SAVE_RULES_TTL_SECONDS:
        return rules
    category = Category.objects.select_related("ceremony").filter(pk=category_id).first()
    if category is None:
        _save_rules.pop(category_id, None)
        return None
    rounds = tuple(Round.objects.filter(ceremony_id=category.ceremony_id).order_by("-opens_at"))
    contenders = list(Contender.objects.filter(category=category).values_list("id", "is_nominee"))
    rules = SaveRules(
        category=category,
        rounds=rounds,
        nominees=frozenset(pk for pk, nominee in contenders if nominee),
        long_list=frozenset(pk for pk, _ in contenders),
        loaded_at=time.monotonic(),
    )
    _save_rules[category_id] = rules
    return rules


def save_rules_forget(category_id: int | None = None) -> None:
    """Drop this process's cached rules of one category (None: of every category)."""
    if category_id is None:
        _save_rules.clear()
    else:
        _save_rules.pop(category_id, None)


def _check_ballot(*, user, category: Category, round_: Round | None, eligible, ranking, rationales) -> None:
    """Every rule of a save, in the order a person should hear about them. Raises ValidationError. `user` is
    BY_TOKEN where the save statement authenticates a token itself (it then writes nothing for an unknown token or
    an inactive user); such a save has no rationales."""
    if user is BY_TOKEN:
        if rationales:
            raise ValueError("a save authenticated by its token has no rationales")
    elif user is None or not user.is_authenticated:
        raise ValidationError("Log in to save your predictions.", code="anonymous")
    elif not user.is_active:
        raise ValidationError("This account is not active.", code="inactive")
    if not category.is_competitive:
        raise ValidationError("Honorary and technical awards are not predicted.", code="not_competitive")
    if round_ is None:
        raise ValidationError(f"Predictions for {category.display_name} are closed.", code="closed")
    if not ranking:
        raise ValidationError("Rank at least one contender.", code="empty")
    if len(ranking) != len(set(ranking)):
        raise ValidationError("Rank each contender at most once.", code="duplicate")
    if not set(ranking) <= eligible:
        raise ValidationError(
            f"Rank only the contenders of {category.display_name} in this round.", code="wrong_contender"
        )
    if rationales:
        if not user.predicts_publicly:
            raise ValidationError("Only experts and editors add a rationale to their picks.", code="rationale_role")
        if not set(rationales) <= set(ranking):
            raise ValidationError("A rationale must belong to a contender you ranked.", code="rationale_contender")
        if any(len(text) > RATIONALE_MAX for text in rationales.values()):
            raise ValidationError(f"A rationale is at most {RATIONALE_MAX} characters.", code="rationale_length")


def _prior(round_: Round, category: Category, eligible) -> float:
    """The stake of a pick before the category's first recompute: the even prior of its slots."""
    slots = 1 if round_.kind == Round.Kind.WINNERS else max(1, min(category.slots, len(eligible)))
    return slots / len(eligible)


def ballot_save(
    *,
    user,
    category: Category,
    ranking: list[int],
    rationales: dict[int, str] | None = None,
    now: datetime | None = None,
) -> Ballot:
    """Replace the user's ranking of one category for the open round and request an odds recompute.

    `ranking` lists contender ids, best first. `rationales` maps a contender id to a short
    reason (experts and editors only). Raises ValidationError, changing nothing, when the round
    is closed, a contender is not eligible or appears twice, or the user may not predict.

    The ballot, its picks and the category's ballot version are written in one transaction; the
    recompute is requested once it has committed (at once when no outer transaction is open).
    """
    now = now or timezone.now()
    rationales = {int(k): (v or "").strip() for k, v in (rationales or {}).items() if (v or "").strip()}
    ballot = None
    if connection.vendor == "postgresql":
        ballot = _ballot_save_cached(user=user, category=category, ranking=ranking, rationales=rationales, now=now)
    if ballot is None:
        with transaction.atomic():
            ballot = _ballot_save_checked(user=user, category=category, ranking=ranking, rationales=rationales, now=now)
    transaction.on_commit(lambda: odds_request(round_id=ballot.round_id, category_id=ballot.category_id))
    return ballot


# The user of a save that the save statement authenticates by its token (ballot_save_for_token).
BY_TOKEN = object()


def ballot_save_for_token(*, token: str, category: Category, ranking: list[int], now: datetime | None = None):
    """ballot_save() for an API token's user, with no rationales, authenticated by the statement that writes it (on
    PostgreSQL): it writes only if the token exists and its user is active, so no lookup comes first, and a revoked
    token or a deactivated account never writes. None, having changed nothing, whenever this cannot decide alone:
    not PostgreSQL, an unknown token or an inactive user, stale cached rules, a refused save. The caller then
    authenticates and calls ballot_save(), which has the last word and says what is wrong.

    The Ballot returned has its user's id, not the user (nothing loaded it)."""
    if connection.vendor != "postgresql":
        return None
    now = now or timezone.now()
    ballot = _ballot_save_cached(user=BY_TOKEN, category=category, ranking=ranking, rationales={}, now=now, token=token)
    if ballot is not None:
        transaction.on_commit(lambda: odds_request(round_id=ballot.round_id, category_id=ballot.category_id))
    return ballot


def _ballot_save_checked(*, user, category: Category, ranking, rationales, now: datetime) -> Ballot:
    """The portable save (SQLite, and PostgreSQL when the cached rules are stale): every rule read from the
    tables, then the ORM's statements. Call inside the saving transaction."""
    round_ = round_open_for(category, now=now)
    eligible = set(eligible_contenders(category, round_).values_list("id", flat=True)) if round_ else set()
    _check_ballot(
        user=user, category=category, round_=round_, eligible=eligible, ranking=ranking, rationales=rationales
    )

    # One statement creates the ballot or stamps its save time; on a conflict it also locks the
    # row, so two saves of the same ballot (two tabs) run one after the other: the last one wins.
    (ballot,) = Ballot.objects.bulk_create(
        [Ballot(user=user, round=round_, category=category, created_at=now, saved_at=now)],
        update_conflicts=True,
        unique_fields=["user", "round", "category"],
        update_fields=["saved_at"],
    )
    Pick.objects.filter(ballot_id=ballot.pk).delete()
    # Each pick is staked at the Combined odds of the moment (scoring pays out at them); before the
    # category's first recompute, at the even prior of its slots among its contenders.
    prior = _prior(round_, category, eligible)
    locked = dict(
        Odds.objects.filter(
            round=round_, category=category, segment=Segment.COMBINED, contender_id__in=ranking
        ).values_list("contender_id", "probability")
    )
    ballot.saved_picks = Pick.objects.bulk_create(
        Pick(
            ballot=ballot,
            contender_id=contender_id,
            rank=rank,
            rationale=rationales.get(contender_id, ""),
            locked_probability=locked.get(contender_id, prior),
            round=round_,
            category=category,
            user=user,
            saved_at=now,
        )
        for rank, contender_id in enumerate(ranking, start=1)
    )
    odds_mark_stale(round_id=round_.id, category_id=category.id)
    return ballot


def _ballot_save_cached(
    *, user, category: Category, ranking, rationales, now: datetime, token: str | None = None
) -> Ballot | None:
    """The fast save on PostgreSQL: the rules checked against this process's SaveRules, then one statement, the
    function predictions_ballot_save (migrations 0004, 0006, 0007), that re-checks them against the tables and
    writes the ballot, its picks and the version bump; given a `token` (user BY_TOKEN), it also authenticates it.
    One statement is one transaction by itself (or a part of the caller's). None, having changed nothing, when the
    rules came from a stale cache entry or refuse the save, or the token is refused: the caller then runs
    _ballot_save_checked (or authenticates), which has the last word."""
    rules = save_rules(category.pk)
    if rules is None:
        return None
    round_ = rules.round_open(now)
    eligible = rules.eligible(round_) if round_ else frozenset()
    try:
        _check_ballot(
            user=user, category=category, round_=round_, eligible=eligible, ranking=ranking, rationales=rationales
        )
    except ValidationError:
        save_rules_forget(category.pk)  # maybe stale: the checked path reads the tables and says why
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM predictions_ballot_save(%s, %s, %s, %s, %s, %s, %s::bigint[], %s::bigint[], %s::text[], "
            "%s, %s, %s)",
            [
                None if token else user.pk,
                round_.pk,
                category.pk,
                category.ceremony_id,
                now,
                round_.kind == Round.Kind.WINNERS,
                sorted(eligible),
                list(ranking),
                [rationales.get(contender_id, "") for contender_id in ranking],
                _prior(round_, category, eligible),
                Segment.COMBINED.value,
                token,
            ],
        )
        rows = cursor.fetchall()
    if not rows:  # the tables disagree with the cached rules: nothing was written
        save_rules_forget(category.pk)
        return None
    if rows[0][0] is None:  # the token is unknown or its user inactive: nothing was written
        return None
    # As the ORM loads rows (from_db: positional values, saved state), with the related objects at hand cached:
    # several times cheaper than Model(...) with instances, for every pick of every save.
    user_id = rows[0][1]
    related = (
        {"round": round_, "category": category} if token else {"round": round_, "category": category, "user": user}
    )
    ballot = Ballot.from_db(
        connection.alias, _BALLOT_FIELDS, (rows[0][0], user_id, round_.pk, category.pk, rows[0][2], now)
    )
    ballot._state.fields_cache.update(related)
    ballot.saved_picks = []
    for _, _, _, pick_id, contender_id, rank, rationale, locked_probability in rows:
        pick = Pick.from_db(
            connection.alias,
            _PICK_FIELDS,
            (
                pick_id,
                ballot.pk,
                contender_id,
                rank,
                rationale,
                locked_probability,
                round_.pk,
                category.pk,
                user_id,
                now,
            ),
        )
        pick._state.fields_cache.update(related, ballot=ballot)
        ballot.saved_picks.append(pick)
    return ballot


_BALLOT_FIELDS = ["id", "user_id", "round_id", "category_id", "created_at", "saved_at"]
_PICK_FIELDS = [
    "id",
    "ballot_id",
    "contender_id",
    "rank",
    "rationale",
    "locked_probability",
    "round_id",
    "category_id",
    "user_id",
    "saved_at",
]


def odds_mark_stale(*, round_id: int, category_id: int) -> None:
    """Bump the category's ballot version. Call inside the saving transaction."""
    state = OddsState.objects.filter(round_id=round_id, category_id=category_id)
    if not state.update(ballot_version=F("ballot_version") + 1):  # the first ballot of the category
        OddsState.objects.bulk_create([OddsState(round_id=round_id, category_id=category_id)], ignore_conflicts=True)
        state.update(ballot_version=F("ballot_version") + 1)


@transaction.atomic
def ballots_delete(*, ballots) -> int:
    """Delete ballots (a QuerySet; the admin's delete action), bumping the ballot version of every category they
    were in, in the same transaction, and asking for those categories' odds on commit, as a save does: the odds and
    the leaderboards' picks caches (keyed by those versions) see the change. Returns how many ballots went."""
    pairs = set(ballots.order_by().values_list("round_id", "category_id").distinct())
    _, deleted = ballots.delete()
    _versions_bump(pairs)
    return deleted.get(Ballot._meta.label, 0)


def user_ballots_forget(*, user_id: int) -> None:
    """Before a user is deleted (the cascade takes their ballots and picks): bump the ballot version of every
    category they predicted and ask for those odds on commit. Connected to pre_delete of the user model (see
    PredictionsConfig.ready), so that every way of deleting a user does it."""
    _versions_bump(set(Ballot.objects.filter(user_id=user_id).values_list("round_id", "category_id")))


def _versions_bump(pairs: set[tuple[int, int]]) -> None:
    for round_id, category_id in sorted(pairs):  # in one order, so that two of these never deadlock
        odds_mark_stale(round_id=round_id, category_id=category_id)
    for round_id, category_id in sorted(pairs):
        transaction.on_commit(lambda r=round_id, c=category_id: odds_request(round_id=r, category_id=c))


def _flag(round_id: int, category_id: int) -> str:
    return f"odds:scheduled:{round_id}:{category_id}"


def odds_request(*, round_id: int, category_id: int) -> None:
    """Ask for a recompute soon, once per burst. Never raises: the sweep covers what this misses."""
    from predictions.tasks import odds_recompute as odds_recompute_task

    recompute_request(
        odds_recompute_task,
        flag=_flag(round_id, category_id),
        kwargs={"round_id": round_id, "category_id": category_id},
        countdown=COALESCE_SECONDS,
        ttl=FLAG_TTL_SECONDS,
        what=f"an odds recompute of category {category_id}",
    )


def odds_recompute_requested(*, round_id: int, category_id: int) -> None:
    """What the task runs: clear the flag, recompute, and ask again if saves arrived meanwhile."""
    recompute_started(flag=_flag(round_id, category_id), what=f"the odds of category {category_id}")
    state = odds_recompute(round_id=round_id, category_id=category_id)
    if state.is_stale:
        odds_request(round_id=round_id, category_id=category_id)


def _segment_counts(round_: Round, category: Category, slots: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """One GROUP BY over the category's picks: per contender and segment, its top-`slots` places
    and its first places (every ballot has exactly one first place, so they count the ballots)."""
    # A join restricted to this ceremony's Top 24 (at most one row per user), not a subquery per pick.
    top24 = FilteredRelation(
        "user__top24_memberships", condition=Q(user__top24_memberships__ceremony_id=round_.ceremony_id)
    )
    segment_filters = {
        Segment.ALL: Q(),
        Segment.EXPERTS: Q(user__role="expert"),
        Segment.EDITORS: Q(user__role="editor"),
        Segment.TOP24: Q(top24__isnull=False),
    }
    aggregates = {}
    # Counting user_id, never NULL, counts the picks: it is in pick_odds_idx, so only the index is read.
    for segment, condition in segment_filters.items():
        aggregates[f"first_{segment}"] = Count("user", filter=condition & Q(rank=1))
        if slots > 1:  # in the winners round the top-1 places are the first places
            aggregates[f"hits_{segment}"] = Count("user", filter=condition & Q(rank__lte=slots))
    rows = list(
        Pick.objects.filter(round=round_, category=category, rank__lte=slots)
        .alias(top24=top24)
        .values("contender_id")
        .annotate(**aggregates)
        .order_by()
    )
    if slots == 1:
        for row in rows:
            row.update({f"hits_{segment}": row[f"first_{segment}"] for segment in segment_filters})
        aggregates.update({f"hits_{segment}": None for segment in segment_filters})
    frame = pd.DataFrame(rows, columns=["contender_id", *aggregates])
    hits = pd.concat(
        [
            pd.DataFrame({"segment": str(s), "contender_id": frame["contender_id"], "hits": frame[f"hits_{s}"]})
            for s in segment_filters
        ],
        ignore_index=True,
    )
    ballots = {str(s): int(frame[f"first_{s}"].sum()) for s in segment_filters}
    return hits[hits["hits"] > 0], ballots


def _lock_category(category_id: int) -> None:
    """Serialize recomputes of one category for the rest of the transaction, without blocking
    saves (they only touch OddsState, briefly). SQLite serializes all writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ODDS_LOCK_NAMESPACE, category_id])


@transaction.atomic
def odds_recompute(*, round_id: int, category_id: int, now: datetime | None = None) -> OddsState:
    """Rebuild a category's odds in every segment from its ballots. Idempotent.

    Reads the ballot version before the picks, so a save that lands meanwhile leaves the state
    stale (and the caller asks again), never a change that is counted as done but is not.
    """
    now = now or timezone.now()
    _lock_category(category_id)
    OddsState.objects.bulk_create([OddsState(round_id=round_id, category_id=category_id)], ignore_conflicts=True)
    version = OddsState.objects.values_list("ballot_version", flat=True).get(round_id=round_id, category_id=category_id)
    round_ = Round.objects.get(pk=round_id)
    category = Category.objects.get(pk=category_id)
    contender_ids = list(eligible_contenders(category, round_).values_list("id", flat=True))
    slots = 1 if round_.kind == Round.Kind.WINNERS else max(1, min(category.slots, len(contender_ids)))
    hits, ballots = _segment_counts(round_, category, slots)
    hits = hits[hits["contender_id"].isin(contender_ids)]  # a contender dropped from the list since
    result = engine.compute_odds(hits, ballots, contender_ids, slots=slots)

    current = {(o.contender_id, o.segment): o for o in Odds.objects.filter(round_id=round_id, category_id=category_id)}
    fresh, history = [], []
    for row in result.itertuples(index=False):
        values = {
            "round_id": round_id,
            "category_id": category_id,
            "contender_id": int(row.contender_id),
            "segment": row.segment,
            "probability": float(row.probability),
            "rank": int(row.rank),
            "ballots": int(row.ballots),
        }
        fresh.append(Odds(computed_at=now, **values))
        old = current.get((values["contender_id"], row.segment))
        if old is None or (old.probability, old.rank, old.ballots) != (
            values["probability"],
            values["rank"],
            values["ballots"],
        ):
            history.append(OddsHistory(recorded_at=now, **values))
    Odds.objects.bulk_create(
        fresh,
        update_conflicts=True,
        unique_fields=["round", "contender", "segment"],
        update_fields=["probability", "rank", "ballots", "computed_at"],
    )
    keep = {(o.contender_id, o.segment) for o in fresh}
    gone = [o.pk for key, o in current.items() if key not in keep]
    if gone:
        Odds.objects.filter(pk__in=gone).delete()
    OddsHistory.objects.bulk_create(history)
    # Last, so that the row lock this takes (saves bump the same row) is held only until commit.
    OddsState.objects.filter(round_id=round_id, category_id=category_id).update(odds_version=version, recomputed_at=now)
    return OddsState.objects.get(round_id=round_id, category_id=category_id)


def odds_sweep() -> int:
    """Request a recompute of every category whose odds are behind its ballots. Returns how many."""
    stale = list(OddsState.objects.filter(odds_version__lt=F("ballot_version")).values_list("round_id", "category_id"))
    for round_id, category_id in stale:
        odds_request(round_id=round_id, category_id=category_id)
    return len(stale)
