"""Announcing results and rebuilding the standings: the second data flow of ARCHITECTURE.md.

An announcement (or an undo) checks the rules, records the winners, bumps the ceremony's
leaderboard version in the same transaction and, on commit, asks for a recompute, coalesced by
a flag in the cache exactly as predictions.services does for the odds. A broker or cache that is
down only delays the standings: the stale version in the database is what the periodic sweep
catches up. A recompute rebuilds every round and segment of the ceremony from scratch and
upserts, so running it twice, or after a crash, gives the same standings.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from config.coalesce import recompute_request, recompute_started
from films.models import Category, Ceremony, Contender, Round
from leaderboards import scoring
from leaderboards.models import Announcement, LeaderboardState, Standing
from predictions.models import Ballot, Pick, Segment, Top24Member

logger = logging.getLogger(__name__)

# A recompute waits this long after the first request of a burst (tied winners, a quick undo), so the burst shares it.
COALESCE_SECONDS = 1.0
# The flag outlives a lost task by at most this long; then the next announcement (or the sweep) requests again.
FLAG_TTL_SECONDS = 30
# First key of the PostgreSQL advisory lock that serializes recomputes of one ceremony (predictions uses 7301).
LEADERBOARD_LOCK_NAMESPACE = 7302
# Rows per INSERT ... ON CONFLICT and per DELETE ... IN (...): well under SQLite's limit on bound variables.
WRITE_BATCH = 2000

STANDING_FIELDS = [
    "rank",
    "correct",
    "decided",
    "predicted",
    "accuracy",
    "points",
    "final_saved_at",
    "best_rank",
    "worst_rank",
    "computed_at",
]


def _check_editor(user, message: str) -> None:
    if user is None or not user.is_authenticated or not user.is_active or not user.is_editor:
        raise ValidationError(message, code="not_editor")


def _check_round_closed(category: Category, now: datetime) -> None:
    round_ = Round.objects.filter(ceremony_id=category.ceremony_id, kind=Round.Kind.WINNERS).first()
    if round_ is None:
        raise ValidationError("This ceremony has no winners round: there are no predictions to score.", code="no_round")
    if now < round_.closes_at:
        raise ValidationError("Close predictions before announcing.", code="round_open")


def _lock_state(ceremony_id: int) -> None:
    """Create the ceremony's LeaderboardState if needed and lock its row until commit, so that two
    editors announcing at once run one after the other (SQLite serializes all writers anyway)."""
    LeaderboardState.objects.bulk_create([LeaderboardState(ceremony_id=ceremony_id)], ignore_conflicts=True)
    LeaderboardState.objects.select_for_update().filter(ceremony_id=ceremony_id).values_list("id").get()


def leaderboard_mark_stale(*, ceremony_id: int) -> None:
    """Bump the ceremony's leaderboard version. Call inside the announcing transaction, after _lock_state."""
    LeaderboardState.objects.filter(ceremony_id=ceremony_id).update(version=F("version") + 1)


@transaction.atomic
def result_announce(
    *, editor, category: Category, contender_ids: list[int], now: datetime | None = None
) -> list[Announcement]:
    """Announce the winner of a category, or its tied winners, and request the ceremony's standings.

    Announcing a contender already announced changes nothing (it is returned as it stands); announcing
    another nominee of a category that has a winner adds a tied winner. Returns the standing
    announcements of `contender_ids`. Raises ValidationError, changing nothing, when the user is not
    an editor, the category is not competitive, a contender is not a nominee of the category, or the
    ceremony's winners round is still open.
    """
    now = now or timezone.now()
    _check_editor(editor, "Only editors announce results.")
    if not category.is_competitive:
        raise ValidationError("Honorary and technical awards are not announced here.", code="not_competitive")
    wanted = list(dict.fromkeys(int(pk) for pk in contender_ids or []))
    if not wanted:
        raise ValidationError("Choose the winner (or the tied winners) to announce.", code="empty")
    nominees = set(Contender.objects.filter(category=category, is_nominee=True).values_list("id", flat=True))
    if not set(wanted) <= nominees:
        raise ValidationError(f"Announce only nominees of {category.display_name}.", code="wrong_contender")
    _check_round_closed(category, now)

    _lock_state(category.ceremony_id)
    announced = set(Announcement.objects.standing().filter(category=category).values_list("contender_id", flat=True))
    fresh = [c for c in wanted if c not in announced]
    if fresh:
        for contender_id in fresh:
            announcement = Announcement(
                category=category, contender_id=contender_id, announced_by=editor, announced_at=now
            )
            announcement.full_clean()
            announcement.save()
        Contender.objects.filter(id__in=fresh).update(is_winner=True)
        leaderboard_mark_stale(ceremony_id=category.ceremony_id)
        ceremony_id = category.ceremony_id
        transaction.on_commit(lambda: leaderboard_request(ceremony_id=ceremony_id))
    return list(
        Announcement.objects.standing()
        .filter(category=category, contender_id__in=wanted)
        .select_related("contender", "category")
        .order_by("contender__order", "contender_id")
    )


@transaction.atomic
def result_undo(*, editor, category: Category, now: datetime | None = None) -> int:
    """Undo the standing announcements of a category (all its tied winners), so that it is undecided
    again, and request the ceremony's standings. The rows stay, marked undone. Returns how many."""
    now = now or timezone.now()
    _check_editor(editor, "Only editors undo announcements.")
    _lock_state(category.ceremony_id)
    standing = Announcement.objects.standing().filter(category=category)
    contender_ids = list(standing.values_list("contender_id", flat=True))
    if not contender_ids:
        raise ValidationError(f"Nothing to undo: no winner of {category.display_name} is announced.", code="nothing")
    undone = standing.update(undone_by=editor, undone_at=now)
    Contender.objects.filter(id__in=contender_ids).update(is_winner=False)
    leaderboard_mark_stale(ceremony_id=category.ceremony_id)
    ceremony_id = category.ceremony_id
    transaction.on_commit(lambda: leaderboard_request(ceremony_id=ceremony_id))
    return undone


def _flag(ceremony_id: int) -> str:
    return f"leaderboards:scheduled:{ceremony_id}"


def leaderboard_request(*, ceremony_id: int) -> None:
    """Ask for a recompute soon, once per burst. Never raises: the sweep covers what this misses."""
    from leaderboards.tasks import leaderboard_recompute as leaderboard_recompute_task

    recompute_request(
        leaderboard_recompute_task,
        flag=_flag(ceremony_id),
        kwargs={"ceremony_id": ceremony_id},
        countdown=COALESCE_SECONDS,
        ttl=FLAG_TTL_SECONDS,
        what=f"a leaderboard recompute of ceremony {ceremony_id}",
    )


def leaderboard_recompute_requested(*, ceremony_id: int) -> None:
    """What the task runs: clear the flag, recompute, and ask again if announcements arrived meanwhile."""
    recompute_started(flag=_flag(ceremony_id), what=f"the standings of ceremony {ceremony_id}")
    state = leaderboard_recompute(ceremony_id=ceremony_id)
    if state.is_stale:
        leaderboard_request(ceremony_id=ceremony_id)


def _lock_ceremony(ceremony_id: int) -> None:
    """Serialize recomputes of one ceremony for the rest of the transaction, without blocking
    announcements (they only touch LeaderboardState, briefly). SQLite serializes all writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LEADERBOARD_LOCK_NAMESPACE, ceremony_id])


PICK_COLUMNS = ["round_id", "user_id", "category_id", "contender_id", "rank", "locked_probability", "saved_at"]


def _picks(rounds: list[Round]) -> pd.DataFrame:
    """One query: the picks that can score in each round (the first place in the winners round, the top K
    in the nominations round) of the competitive categories, with their ballot's save time."""
    scoring_ranks = Q()
    for round_ in rounds:
        if round_.kind == Round.Kind.WINNERS:
            scoring_ranks |= Q(round_id=round_.id, rank=1)
        else:  # K = the category's slots (at least one), as ballot_save stakes them
            scoring_ranks |= Q(round_id=round_.id) & (Q(rank__lte=F("category__slots")) | Q(rank=1))
    rows = (
        Pick.objects.filter(scoring_ranks, category__award_class__in=Category.COMPETITIVE_CLASSES)
        .order_by()
        .values_list(*PICK_COLUMNS[:-1], "ballot__saved_at")
    )
    picks = pd.DataFrame(list(rows), columns=PICK_COLUMNS)
    picks["saved_at"] = pd.to_datetime(picks["saved_at"], utc=True)
    return picks


def _contenders(ceremony_id: int) -> pd.DataFrame:
    """One query: every contender of the ceremony's competitive categories, with its category's slots."""
    rows = (
        Contender.objects.filter(
            category__ceremony_id=ceremony_id, category__award_class__in=Category.COMPETITIVE_CLASSES
        )
        .order_by()
        .values_list("category_id", "id", "is_nominee", "is_winner", "category__slots")
    )
    return pd.DataFrame(
        list(rows), columns=["category_id", "contender_id", "is_nominee", "is_winner", "category_slots"]
    ).astype({"is_nominee": bool, "is_winner": bool})


def _results(round_: Round, contenders: pd.DataFrame, now: datetime) -> tuple[pd.DataFrame, dict[int, int], list[int]]:
    """What a round is scored against: (winners, slots, decided).

    Winners round: the announced winners (Contender.is_winner, kept in step with the standing
    announcements); a category is decided once it has one. Nominations round: once the round has
    closed, the nominees of every category that has any; each counts its K slots."""
    if round_.kind == Round.Kind.WINNERS:
        slots = dict.fromkeys(contenders["category_id"].unique().tolist(), 1)
        winners = contenders[contenders["is_winner"]]
    else:
        per_category = contenders.groupby("category_id").agg(
            n=("contender_id", "size"), declared=("category_slots", "first")
        )
        k = per_category["declared"].clip(upper=per_category["n"]).clip(lower=1)
        slots = {int(c): int(v) for c, v in k.items()}
        closed = round_.closes_at <= now
        winners = contenders[contenders["is_nominee"]] if closed else contenders.iloc[0:0]
    winners = winners[["category_id", "contender_id"]].reset_index(drop=True)
    decided = sorted(int(c) for c in winners["category_id"].unique())
    return winners, slots, decided


def _members(ceremony_id: int) -> tuple[dict[int, str], set[int]]:
    """Two queries: the roles of the ceremony's experts and editors who have ballots, and its Top 24."""
    participants = Ballot.objects.filter(round__ceremony_id=ceremony_id).values("user_id")
    roles = dict(
        User.objects.filter(role__in=[User.Role.EXPERT, User.Role.EDITOR], id__in=participants).values_list(
            "id", "role"
        )
    )
    top24 = set(Top24Member.objects.filter(ceremony_id=ceremony_id).values_list("user_id", flat=True))
    return roles, top24


def _segment_members(user_ids: list[int], roles: dict[int, str], top24: set[int]) -> pd.DataFrame:
    """One row per user per segment: everyone with picks in "all", then experts, editors and the Top 24."""
    pairs = [(u, Segment.ALL.value) for u in user_ids]
    pairs += [(u, Segment.EXPERTS.value) for u in user_ids if roles.get(u) == User.Role.EXPERT]
    pairs += [(u, Segment.EDITORS.value) for u in user_ids if roles.get(u) == User.Role.EDITOR]
    pairs += [(u, Segment.TOP24.value) for u in user_ids if u in top24]
    return pd.DataFrame(pairs, columns=["user_id", "segment"])


def _optional(value) -> int | None:
    return None if pd.isna(value) else int(value)


@transaction.atomic
def leaderboard_recompute(*, ceremony_id: int, now: datetime | None = None) -> LeaderboardState:
    """Rebuild the standings of every round (with ballots) and segment of a ceremony from scratch. Idempotent.

    Reads the leaderboard version before the data, so an announcement that lands meanwhile leaves
    the state stale (and the caller asks again), never a change counted as done that is not.
    """
    now = now or timezone.now()
    _lock_ceremony(ceremony_id)
    LeaderboardState.objects.bulk_create([LeaderboardState(ceremony_id=ceremony_id)], ignore_conflicts=True)
    version = LeaderboardState.objects.values_list("version", flat=True).get(ceremony_id=ceremony_id)

    with_ballots = Exists(Ballot.objects.filter(round_id=OuterRef("pk")))
    rounds = list(Round.objects.filter(ceremony_id=ceremony_id).filter(with_ballots).order_by("opens_at"))
    picks = _picks(rounds) if rounds else pd.DataFrame(columns=PICK_COLUMNS)
    contenders = _contenders(ceremony_id)
    roles, top24 = _members(ceremony_id)

    fresh = []
    for round_ in rounds:
        mine = picks[picks["round_id"] == round_.id].drop(columns="round_id").reset_index(drop=True)
        if mine.empty:
            continue
        winners, slots, decided = _results(round_, contenders, now)
        members = _segment_members(sorted(int(u) for u in mine["user_id"].unique()), roles, top24)
        board = scoring.score(mine, winners, kind=round_.kind, slots=slots, decided=decided, members=members)
        fresh += [
            Standing(
                round_id=round_.id,
                segment=row.segment,
                user_id=int(row.user_id),
                rank=int(row.rank),
                correct=int(row.correct),
                decided=int(row.decided),
                predicted=int(row.predicted),
                accuracy=float(row.accuracy),
                points=float(row.points),
                final_saved_at=pd.Timestamp(row.final_saved_at).to_pydatetime(),
                best_rank=_optional(row.best_rank),
                worst_rank=_optional(row.worst_rank),
                computed_at=now,
            )
            for row in board.itertuples(index=False)
        ]

    keep = {(s.round_id, s.segment, s.user_id) for s in fresh}
    current = Standing.objects.filter(round__ceremony_id=ceremony_id).values_list(
        "id", "round_id", "segment", "user_id"
    )
    gone = [pk for pk, *key in current if tuple(key) not in keep]
    Standing.objects.bulk_create(
        fresh,
        update_conflicts=True,
        unique_fields=["round", "segment", "user"],
        update_fields=STANDING_FIELDS,
        batch_size=WRITE_BATCH,
    )
    for start in range(0, len(gone), WRITE_BATCH):
        Standing.objects.filter(pk__in=gone[start : start + WRITE_BATCH]).delete()
    # Last, so that the row lock this takes (announcements bump the same row) is held only until commit.
    LeaderboardState.objects.filter(ceremony_id=ceremony_id).update(computed_version=version, computed_at=now)
    state = LeaderboardState.objects.get(ceremony_id=ceremony_id)
    from leaderboards.promotion import results_final, top24_promote  # local: promotion imports this module

    ceremony = Ceremony.objects.select_related("show").get(pk=ceremony_id)
    # Final results promote their Top 24 into the show's next ceremony. Skipped (the next recompute does it)
    # when an announcement landed meanwhile and these standings are already behind.
    if results_final(ceremony=ceremony):
        top24_promote(ceremony=ceremony, now=now)
        transaction.on_commit(lambda: _score_emails_request(ceremony_id=ceremony_id))
    return state


def _score_emails_request(*, ceremony_id: int) -> None:
    """Queue the score e-mails of a final ceremony. Never raises; sending twice sends each user once."""
    from leaderboards.email_tasks import send_score_emails as send_score_emails_task

    try:
        send_score_emails_task.delay(ceremony_id)
    except Exception:
        logger.warning("Could not queue the score e-mails of ceremony %s", ceremony_id, exc_info=True)


def leaderboard_sweep() -> int:
    """Request a recompute of every ceremony whose standings are behind its announcements. Returns how many."""
    stale = list(
        LeaderboardState.objects.filter(computed_version__lt=F("version")).values_list("ceremony_id", flat=True)
    )
    for ceremony_id in stale:
        leaderboard_request(ceremony_id=ceremony_id)
    return len(stale)
