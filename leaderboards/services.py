"""Announcing results and rebuilding the standings: the second data flow of ARCHITECTURE.md.

An announcement (or an undo) checks the rules, records the winners, bumps the ceremony's
leaderboard version in the same transaction and, on commit, asks for a recompute, coalesced by
a flag in the cache exactly as predictions.services does for the odds. A broker or cache that is
down only delays the standings: the stale version in the database is what the periodic sweep
catches up. A recompute rebuilds every round and segment of the ceremony from scratch and
upserts, so running it twice, or after a crash, gives the same standings.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import threading
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Value
from django.utils import timezone

from accounts.models import User
from config.coalesce import recompute_request, recompute_started
from films.models import Category, Ceremony, Contender, Round
from leaderboards import scoring
from leaderboards.models import Announcement, LeaderboardOrder, LeaderboardState, Standing
from predictions.models import Ballot, OddsState, Pick, Segment, Top24Member

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
    "position",
    "correct",
    "decided",
    "predicted",
    "accuracy",
    "points",
    "final_saved_at",
    "best_rank",
    "worst_rank",
]
# Closed rounds whose picks frame a process keeps (a few tens of MB each at 100,000 users x 23 categories).
PICKS_CACHE_ROUNDS = 4


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
    standings_vacuum()


def standings_vacuum() -> None:
    """PostgreSQL, after a recompute has committed: reclaim the row versions it left behind (one per standing that
    changed, i.e. nearly every standing of the ceremony after an announcement). Left to autovacuum, they pile up
    between its runs on a night of announcements minutes apart, and each upsert then walks the dead versions of
    every key: at 100,000 users the next upsert took 3.2 s instead of 2.0 s. Takes about 0.15 s, off the path to
    the fresh standings (they are committed), and blocks nobody (SKIP_LOCKED: not if autovacuum is at it). Does
    nothing inside a transaction block, where VACUUM cannot run."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (SKIP_LOCKED) {Standing._meta.db_table}")
    except DatabaseError:
        logger.warning("Could not vacuum the standings", exc_info=True)


def _lock_ceremony(ceremony_id: int) -> None:
    """Serialize recomputes of one ceremony for the rest of the transaction, without blocking
    announcements (they only touch LeaderboardState, briefly). SQLite serializes all writers anyway.

    Also turns PostgreSQL's JIT compilation off for the transaction: the planner's estimates for the board's upsert
    and the picks' read (hundreds of thousands of rows) are over jit_above_cost, and compiling them cost more than it
    saved (at 100,000 users: 5.5 s per recompute with JIT, 4.1 s without, the upsert alone 1.3 s less)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LEADERBOARD_LOCK_NAMESPACE, ceremony_id])
            cursor.execute("SET LOCAL jit = off")


PICK_COLUMNS = ["round_id", "user_id", "category_id", "contender_id", "rank", "locked_probability", "saved_at"]


# The scoring rank is read as an annotation: in the winners round it is the constant 1 (only first places score), so
# that the read takes only pick_first_idx's columns and PostgreSQL answers it from that index alone.
_READ_COLUMNS = [*PICK_COLUMNS[:4], "scoring_rank", *PICK_COLUMNS[5:]]


def _scoring_picks(rounds: list[Round]):
    """The picks that can score in each round (the first place in the winners round, the top K in the
    nominations round) of the competitive categories, as values of _READ_COLUMNS: one query (a UNION ALL when
    both kinds of round are asked for)."""
    competitive = Q(category__award_class__in=Category.COMPETITIVE_CLASSES)
    winners = [r.id for r in rounds if r.kind == Round.Kind.WINNERS]
    nominations = [r.id for r in rounds if r.kind != Round.Kind.WINNERS]
    parts = []
    if winners:
        first = Pick.objects.filter(competitive, round_id__in=winners, rank=1)
        parts.append(first.annotate(scoring_rank=Value(1, output_field=IntegerField())))
    if nominations:  # K = the category's slots (at least one), as ballot_save stakes them
        top = Pick.objects.filter(competitive, Q(rank__lte=F("category__slots")) | Q(rank=1), round_id__in=nominations)
        parts.append(top.annotate(scoring_rank=F("rank")))
    values = [part.order_by().values(*_READ_COLUMNS) for part in parts]
    return values[0] if len(values) == 1 else values[0].union(*values[1:], all=True).order_by()


# The PostgreSQL types the picks are read as, in PICK_COLUMNS (_READ_COLUMNS) order, and the big-endian numpy types
# of their binary COPY fields. timestamptz is sent as int64 microseconds since 2000-01-01 UTC.
PICK_COPY_TYPES = [("bigint", ">i8")] * 5 + [("double precision", ">f8"), ("timestamptz", ">i8")]


def _read_picks(rounds: list[Round]) -> pd.DataFrame:
    """One query: the scoring picks of `rounds` with their ballot's save time (copied onto each pick).

    PostgreSQL: COPY ... TO STDOUT in the binary format, parsed by numpy as fixed-width rows, so that millions of rows
    never become Python tuples and datetimes (nor text: pandas' read_csv took 0.7 s for 2.3 million). In the winners
    round the query reads pick_first_idx alone (once the round's picks are vacuumed; a heap scan before).
    Elsewhere (SQLite): the same QuerySet's values."""
    picks = _scoring_picks(rounds)
    if connection.vendor == "postgresql":
        sql, params = picks.query.sql_with_params()
        # Not sent when they are the same on every row (a sixth of the rows' bytes each, 0.15 s at 100,000 users):
        # the round of a single round's picks, and the scoring rank when every round is a winners round.
        constant = {}
        if len(rounds) == 1:
            constant["round_id"] = rounds[0].id
        if all(r.kind == Round.Kind.WINNERS for r in rounds):
            constant["scoring_rank"] = 1
        read_as = zip(_READ_COLUMNS, PICK_COLUMNS, PICK_COPY_TYPES, strict=True)
        sent = [(read, name, types) for read, name, types in read_as if read not in constant]
        columns = ", ".join(f"q.{read}::{kind}" for read, _, (kind, _) in sent)
        buffer = io.BytesIO()
        with connection.cursor() as cursor:
            query = cursor.mogrify(f"SELECT {columns} FROM ({sql}) AS q", params).decode()
            cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buffer)
        values = _copy_binary_columns(buffer.getbuffer(), [numpy for _, _, (_, numpy) in sent])
        buffer.close()
        frame = pd.DataFrame({name: value for (_, name, _), value in zip(sent, values, strict=True)})
        for read, name in zip(_READ_COLUMNS, PICK_COLUMNS, strict=True):
            if read in constant:
                frame[name] = np.full(len(frame), constant[read], dtype=np.int64)
        frame = frame[PICK_COLUMNS]
        saved_us = frame["saved_at"].to_numpy() + PG_EPOCH_US
        frame["saved_at"] = pd.Series(saved_us.view("datetime64[us]")).dt.tz_localize("UTC")
        return frame
    frame = pd.DataFrame(list(picks), columns=_READ_COLUMNS).rename(columns={"scoring_rank": "rank"})
    frame["saved_at"] = pd.to_datetime(frame["saved_at"], utc=True)
    return frame


# --- PostgreSQL's binary COPY format, whole numpy columns at a time --------------------------------------------------

PGCOPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
PGCOPY_HEADER = PGCOPY_SIGNATURE + bytes(8)  # then flags 0 and no header extension
PGCOPY_TRAILER = b"\xff\xff"  # a field count of -1
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 UTC, from which timestamptz counts microseconds, in Unix microseconds


def _copy_binary_columns(data: memoryview, dtypes: list[str]) -> list[np.ndarray]:
    """The columns of a binary COPY ... TO whose fields are all fixed-width and never NULL (`dtypes`: their
    big-endian numpy types), as native numpy arrays. Raises ValueError on anything else."""
    if bytes(data[:11]) != PGCOPY_SIGNATURE or bytes(data[-2:]) != PGCOPY_TRAILER:
        raise ValueError("not a binary COPY")
    start = 19 + int.from_bytes(data[15:19], "big")
    fields = [("count", ">i2")]
    for i, dtype in enumerate(dtypes):
        fields += [(f"length{i}", ">i4"), (f"value{i}", dtype)]
    body = data[start : len(data) - 2]
    if len(body) % np.dtype(fields).itemsize:
        raise ValueError("a binary COPY with fields of unexpected widths (or NULLs)")
    rows = np.frombuffer(body, dtype=fields)
    if (rows["count"] != len(dtypes)).any() or any(
        (rows[f"length{i}"] != np.dtype(dtype).itemsize).any() for i, dtype in enumerate(dtypes)
    ):
        raise ValueError("a binary COPY with fields of unexpected widths (or NULLs)")
    return [rows[f"value{i}"].astype(np.dtype(dtype).newbyteorder("=")) for i, dtype in enumerate(dtypes)]


def _copy_binary_rows(columns: list) -> bytes:
    """Rows of a binary COPY ... FROM (no header, no trailer). Each column is a numpy array (int64, int32, float64,
    bool: bigint, integer, double precision, boolean), one bytes value for every row (text), or None (NULL in every
    row)."""
    n = next(len(column) for column in columns if isinstance(column, np.ndarray))
    fields = [("count", ">i2")]
    for i, column in enumerate(columns):
        fields.append((f"length{i}", ">i4"))
        if isinstance(column, bytes):
            fields.append((f"value{i}", f"S{len(column)}"))
        elif column is not None:
            fields.append((f"value{i}", column.dtype.newbyteorder(">")))
    rows = np.empty(n, dtype=fields)
    rows["count"] = len(columns)
    for i, column in enumerate(columns):
        if column is None:
            rows[f"length{i}"] = -1
        else:
            rows[f"length{i}"] = len(column) if isinstance(column, bytes) else column.dtype.itemsize
            rows[f"value{i}"] = column
    return rows.tobytes()


# Two caches of closed rounds' picks frames, keyed by a fingerprint of the round that is checked by one query every
# recompute. Safe because a closed round's picks do not change (ballot_save refuses, the admin is read-only); what
# could still change them (a save after the round is reopened, a user or ballot deleted) moves the fingerprint.
# - Per process: round id -> (fingerprint, frame), so that a worker's recomputes after the first read nothing.
# - Shared (the Django cache: Redis in production), so that a worker process that has not recomputed this ceremony
#   yet, a restarted worker or another host does not read the round's millions of picks again: at 100,000 users
#   the read took longer than the whole rest of a recompute.
_picks_cache: dict[int, tuple[tuple, pd.DataFrame]] = {}
_picks_cache_lock = threading.Lock()
_shared_keys_written: set[str] = set()
# How long the shared copy is kept: a results night. After that, or if the cache evicted it, the next recompute reads
# the picks from the database again (and shares them).
PICKS_SHARED_SECONDS = 12 * 3600


def picks_cache_clear(*, shared: bool = True) -> None:
    """Forget the closed rounds' picks: this process's copies and (shared=True) the shared copies it wrote."""
    with _picks_cache_lock:
        _picks_cache.clear()
        keys = list(_shared_keys_written) if shared else []
        _shared_keys_written.difference_update(keys)
    if keys:
        try:
            cache.delete_many(keys)
        except Exception:
            logger.warning("Could not drop %d shared picks frames", len(keys), exc_info=True)


def _fingerprints(rounds: list[Round]) -> dict[int, tuple]:
    """One query: per round, (closing time, each category's ballot version). Every ballot_save bumps its
    category's version in its transaction, and so do deleting ballots (predictions.services.ballots_delete) and
    deleting a user (before the cascade takes their ballots); a category deleted takes its version along. The
    count of the round's ballots that this replaces cost 0.25-0.3 s a recompute at 100,000 users."""
    versions = {r.id: [] for r in rounds}
    states = OddsState.objects.filter(round_id__in=list(versions)).order_by("round_id", "category_id")
    for round_id, category_id, version in states.values_list("round_id", "category_id", "ballot_version"):
        versions[round_id].append((category_id, version))
    return {r.id: (r.closes_at, tuple(versions[r.id])) for r in rounds}


def _shared_key(round_id: int, fingerprint: tuple) -> str:
    closes_at, versions = fingerprint
    digest = hashlib.sha256(f"{closes_at.isoformat()}|{versions}".encode()).hexdigest()[:24]
    return f"leaderboards:picks:{round_id}:{digest}"


# A picks frame in the shared cache: its columns as numpy arrays (pickled as raw buffers), the save times as int64
# microseconds since 1970 UTC.
_SHARED_COLUMNS = [c for c in PICK_COLUMNS if c != "round_id"]


def _frame_pack(frame: pd.DataFrame) -> dict:
    saved = frame["saved_at"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    packed = {c: frame[c].to_numpy() for c in _SHARED_COLUMNS if c != "saved_at"}
    packed["saved_at"] = saved.to_numpy().view("int64")
    return packed


def _frame_unpack(packed: dict) -> pd.DataFrame:
    frame = pd.DataFrame({c: packed[c] for c in _SHARED_COLUMNS if c != "saved_at"})
    frame["saved_at"] = pd.Series(packed["saved_at"].view("datetime64[us]")).dt.tz_localize("UTC")
    return frame[_SHARED_COLUMNS]


def _shared_get(keys: dict[int, str]) -> dict[int, pd.DataFrame]:
    """The shared frames found for round id -> key. A cache that is down or holds garbage only costs the read."""
    try:
        found = cache.get_many(list(keys.values()))
    except Exception:
        logger.warning("Could not read the shared picks frames", exc_info=True)
        return {}
    frames = {}
    for round_id, key in keys.items():
        if key in found:
            try:
                frames[round_id] = _frame_unpack(found[key])
            except Exception:
                logger.warning("Ignoring a malformed shared picks frame %s", key, exc_info=True)
    return frames


def _shared_set(key: str, frame: pd.DataFrame) -> None:
    try:
        cache.set(key, _frame_pack(frame), PICKS_SHARED_SECONDS)
    except Exception:
        logger.warning("Could not share the picks frame %s", key, exc_info=True)
        return
    with _picks_cache_lock:
        _shared_keys_written.add(key)


def _picks(rounds: list[Round], now: datetime) -> dict[int, pd.DataFrame]:
    """round id -> the round's scoring picks (round_id dropped): closed rounds from this process's cache, else from
    the shared cache, when their fingerprint still matches; the rest (open rounds, misses) with one query, and the
    closed ones among them shared once the transaction commits. Callers must not modify the frames."""
    closed = [r for r in rounds if r.closes_at <= now]
    fingerprints = _fingerprints(closed) if closed else {}
    with _picks_cache_lock:
        found = {
            r.id: _picks_cache[r.id][1]
            for r in closed
            if r.id in _picks_cache and _picks_cache[r.id][0] == fingerprints.get(r.id)
        }
    keys = {r.id: _shared_key(r.id, fingerprints[r.id]) for r in closed if r.id not in found and r.id in fingerprints}
    shared = _shared_get(keys) if keys else {}
    found.update(shared)
    missing = [r for r in rounds if r.id not in found]
    if missing:
        read = _picks_read(missing)
        found.update(read)
        # The closed rounds among them shared once the recompute commits: packing and sending 2.3 million picks to
        # Redis took 0.35-0.8 s at 100,000 users, time the fresh standings need not wait for.
        for round_id in read.keys() & keys.keys():
            transaction.on_commit(functools.partial(_shared_set, keys[round_id], read[round_id]))
    with _picks_cache_lock:
        for round_id in keys:
            if round_id in found:
                _picks_cache.pop(round_id, None)
                _picks_cache[round_id] = (fingerprints[round_id], found[round_id])
        while len(_picks_cache) > PICKS_CACHE_ROUNDS:
            _picks_cache.pop(next(iter(_picks_cache)))
    return found


def _picks_read(rounds: list[Round]) -> dict[int, pd.DataFrame]:
    """One query: round id -> the scoring picks of `rounds` (round_id dropped)."""
    return {
        int(round_id): mine.drop(columns="round_id").reset_index(drop=True)
        for round_id, mine in _read_picks(rounds).groupby("round_id", sort=False)
    }


def _with_ballots(rounds):
    """The rounds of a QuerySet that have ballots: the ones with standings to compute."""
    return rounds.filter(Exists(Ballot.objects.filter(round_id=OuterRef("pk"))))


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


def _segment_members(roles: dict[int, str], top24: set[int]) -> pd.DataFrame:
    """One row per user per small segment: the experts, the editors and the Top 24. Not "all": scoring puts everyone
    with picks there (listing 100,000 users cost 0.15 s here and as much again in scoring's checks), and leaves out
    members without picks in the round."""
    pairs = [(u, Segment.EXPERTS.value) for u, role in roles.items() if role == User.Role.EXPERT]
    pairs += [(u, Segment.EDITORS.value) for u, role in roles.items() if role == User.Role.EDITOR]
    pairs += [(u, Segment.TOP24.value) for u in sorted(top24)]
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

    rounds = list(_with_ballots(Round.objects.filter(ceremony_id=ceremony_id)).order_by("opens_at"))
    picks = _picks(rounds, now) if rounds else {}
    contenders = _contenders(ceremony_id)
    roles, top24 = _members(ceremony_id)

    members = _segment_members(roles, top24)
    boards = []
    for round_ in rounds:
        mine = picks.get(round_.id)
        if mine is None or mine.empty:
            continue
        winners, slots, decided = _results(round_, contenders, now)
        board = scoring.score(mine, winners, kind=round_.kind, slots=slots, decided=decided, members=members)
        boards.append(board.assign(round_id=round_.id))
    board = _positioned(pd.concat(boards, ignore_index=True)) if boards else None
    old = _orders_read(ceremony_id)
    if connection.vendor == "postgresql":
        _standings_write_copy(board=board, old=old)
    else:
        _standings_write_orm(board=board)
    _orders_write(ceremony_id=ceremony_id, board=board, old=old)
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


def _positioned(board: pd.DataFrame) -> pd.DataFrame:
    """The boards of scoring.score, with each row's position on its board (1 = first). score orders each board by
    rank, then user id, which is the board order (rank, final save, user id): rows that share a rank share their
    final save too."""
    return board.assign(position=board.groupby(["round_id", "segment"], sort=False).cumcount() + 1)


def _orders_read(ceremony_id: int) -> dict[tuple[int, str], tuple[int, np.ndarray]]:
    """(round id, segment) -> (pk, user ids) of the ceremony's LeaderboardOrder rows as the last recompute left them:
    one query. Every writer of standings writes the orders in the same transaction, so these list every standing of
    the ceremony (and perhaps users deleted since, whose standings the cascade took)."""
    rows = LeaderboardOrder.objects.filter(round__ceremony_id=ceremony_id).values_list(
        "id", "round_id", "segment", "users"
    )
    return {(r, segment): (pk, np.frombuffer(bytes(users), dtype="<i8")) for pk, r, segment, users in rows}


def _orders_write(*, ceremony_id: int, board: pd.DataFrame | None, old: dict) -> None:
    """After the standings are written: delete the standings no longer on their board, then write the
    LeaderboardOrder of every board of the ceremony and delete the orders of boards no longer there. `old`: what
    _orders_read gave before the standings were written. Call inside the recompute's transaction.

    Which standings are gone is the old orders less the new ones (numpy, on the ids): at 100,000 users, a read of
    0.8 MB instead of an anti-join of the standings with the new board (0.2 s, with the ANALYZE it needed)."""
    fresh = {}
    if board is not None:
        for (round_id, segment), rows in board.groupby(["round_id", "segment"], sort=False):
            rows = rows.sort_values("position")
            users = rows["user_id"].to_numpy(dtype="<i8")
            fresh[(int(round_id), segment)] = LeaderboardOrder(
                round_id=int(round_id),
                segment=segment,
                size=len(users),
                leaders=int((rows["rank"] == 1).sum()),
                users=users.tobytes(),
            )
    gone_orders = []
    for (round_id, segment), (pk, was) in old.items():
        on_board = Standing.objects.filter(round_id=round_id, segment=segment)
        order = fresh.get((round_id, segment))
        if order is None:
            gone_orders.append(pk)
            on_board.delete()
            continue
        gone = np.setdiff1d(was, np.frombuffer(order.users, dtype="<i8"), assume_unique=True).tolist()
        for start in range(0, len(gone), WRITE_BATCH):
            on_board.filter(user_id__in=gone[start : start + WRITE_BATCH]).delete()
    LeaderboardOrder.objects.filter(pk__in=gone_orders).delete()
    LeaderboardOrder.objects.bulk_create(
        list(fresh.values()),
        update_conflicts=True,
        unique_fields=["round", "segment"],
        update_fields=["size", "leaders", "users"],
    )


def _known(board: pd.DataFrame, old: dict) -> np.ndarray:
    """Per row of the board: whether its user was on the same board before (see _orders_read), i.e. whether the row
    exists already."""
    known = np.zeros(len(board), dtype=bool)
    keys = board[["round_id", "segment"]]
    for (round_id, segment), rows in keys.groupby(["round_id", "segment"], sort=False).indices.items():
        if (int(round_id), segment) in old:
            known[rows] = np.isin(board["user_id"].to_numpy()[rows], old[(int(round_id), segment)][1])
    return known


BOUND_FIELDS = ["best_rank", "worst_rank"]  # nullable: the last two of STANDING_FIELDS


def _standings_write_copy(*, board: pd.DataFrame | None, old: dict) -> None:
    """PostgreSQL: COPY the board into a temporary table, then one UPDATE ... FROM of the rows that exist (the rows
    of users on the old orders, `old` from _orders_read) whose values changed, and one upsert of the others (the
    rows no longer on the board are _orders_write's). No model instances. Call inside the recompute's transaction
    (the temporary table is dropped on commit).

    The UPDATE is a hash join of the two tables, where the upsert it replaces probed the unique index once per row:
    at 100,000 users 0.8 s against 1.45 s here. Rows whose values are all the same keep their row version."""
    if board is None or board.empty:
        return
    table = Standing._meta.db_table
    fields = ", ".join(STANDING_FIELDS)

    def changed(new: str) -> str:
        return (
            f"({', '.join(f's.{c}' for c in STANDING_FIELDS)}) IS DISTINCT FROM "
            f"({', '.join(f'{new}.{c}' for c in STANDING_FIELDS)})"
        )

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS leaderboard_fresh")
        cursor.execute(
            "CREATE TEMPORARY TABLE leaderboard_fresh (round_id bigint, segment varchar(16), user_id bigint, "
            "rank integer, position integer, correct integer, decided integer, predicted integer, "
            "accuracy double precision, points double precision, final_saved_at timestamptz, best_rank integer, "
            "worst_rank integer, known boolean) ON COMMIT DROP"
        )
        payload = io.BytesIO(PGCOPY_HEADER + b"".join(_board_copy_rows(board, _known(board, old))) + PGCOPY_TRAILER)
        cursor.copy_expert("COPY leaderboard_fresh FROM STDIN WITH (FORMAT binary)", payload, size=1 << 20)
        # No ANALYZE: the planner sizes a never-analyzed table by its pages, which is enough for the hash join.
        cursor.execute(
            f"UPDATE {table} AS s SET {', '.join(f'{c} = f.{c}' for c in STANDING_FIELDS)} "
            "FROM leaderboard_fresh f WHERE f.known "
            "AND s.round_id = f.round_id AND s.segment = f.segment AND s.user_id = f.user_id "
            f"AND {changed('f')}"
        )
        # New rows (all of them the first time; a new member of a segment later). ON CONFLICT in case a row exists
        # that no order listed.
        cursor.execute(
            f"INSERT INTO {table} AS s (round_id, segment, user_id, {fields}) "
            f"SELECT f.round_id, f.segment, f.user_id, {', '.join(f'f.{c}' for c in STANDING_FIELDS)} "
            "FROM leaderboard_fresh f WHERE NOT f.known "
            "ON CONFLICT (round_id, segment, user_id) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in STANDING_FIELDS)
            + f" WHERE {changed('EXCLUDED')}"
        )
        cursor.execute("DROP TABLE leaderboard_fresh")


def _board_copy_rows(board: pd.DataFrame, known: np.ndarray):
    """The board and `known` (a bool per row) as rows of a binary COPY into leaderboard_fresh (built by numpy:
    pandas' to_csv took 0.3 s at 100,000 users). One batch per segment and per NULL pattern of the bounds, so that
    every field of a batch has one width (the segment's name is its text; NULL has no value)."""
    saved = board["final_saved_at"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    columns = {
        "round_id": board["round_id"].to_numpy(dtype="int64"),
        "user_id": board["user_id"].to_numpy(dtype="int64"),
        **{c: board[c].to_numpy(dtype="int32") for c in ("rank", "position", "correct", "decided", "predicted")},
        "accuracy": board["accuracy"].to_numpy(dtype="float64"),
        "points": board["points"].to_numpy(dtype="float64"),
        "final_saved_at": saved.to_numpy().view("int64") - PG_EPOCH_US,
    }
    bounds = {c: (board[c].isna().to_numpy(), board[c].fillna(0).to_numpy(dtype="int32")) for c in BOUND_FIELDS}
    segments = board["segment"].to_numpy()
    for segment in pd.unique(segments).tolist():
        for best_null in (False, True):
            for worst_null in (False, True):
                mine = (segments == segment) & (bounds["best_rank"][0] == best_null)
                mine &= bounds["worst_rank"][0] == worst_null
                if not mine.any():
                    continue
                yield _copy_binary_rows(
                    [
                        columns["round_id"][mine],
                        segment.encode(),
                        columns["user_id"][mine],
                        *(columns[c][mine] for c in STANDING_FIELDS[: -len(BOUND_FIELDS)]),
                        None if best_null else bounds["best_rank"][1][mine],
                        None if worst_null else bounds["worst_rank"][1][mine],
                        known[mine],
                    ]
                )


def _standings_write_orm(*, board: pd.DataFrame | None) -> None:
    """The embedded default (SQLite): bulk_create(update_conflicts) in batches (the rows gone are _orders_write's)."""
    fresh = []
    if board is not None:
        fresh = [
            Standing(
                round_id=int(row.round_id),
                segment=row.segment,
                user_id=int(row.user_id),
                rank=int(row.rank),
                position=int(row.position),
                correct=int(row.correct),
                decided=int(row.decided),
                predicted=int(row.predicted),
                accuracy=float(row.accuracy),
                points=float(row.points),
                final_saved_at=pd.Timestamp(row.final_saved_at).to_pydatetime(),
                best_rank=_optional(row.best_rank),
                worst_rank=_optional(row.worst_rank),
            )
            for row in board.itertuples(index=False)
        ]
    Standing.objects.bulk_create(
        fresh,
        update_conflicts=True,
        unique_fields=["round", "segment", "user"],
        update_fields=STANDING_FIELDS,
        batch_size=WRITE_BATCH,
    )


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


# A ceremony whose winners round closed this recently and whose results are not final has its closed rounds' picks
# shared ahead of its first announcement (picks_prime).
PRIME_WITHIN = timedelta(days=7)


def picks_prime(*, now: datetime | None = None) -> int:
    """Read and share the closed rounds' picks of every ceremony whose winners round closed within PRIME_WITHIN and
    whose results are not final, unless the shared cache has them already: the first announcement's recompute then
    starts from the shared cache instead of reading millions of picks (most of its time at 100,000 users). Runs
    from beat; costs one fingerprint query and a cache lookup when there is nothing to do. Returns the rounds read."""
    from leaderboards.promotion import results_final  # local: promotion imports this module

    now = now or timezone.now()
    recent = Round.objects.filter(kind=Round.Kind.WINNERS, closes_at__lte=now, closes_at__gt=now - PRIME_WITHIN).values(
        "ceremony_id"
    )
    ceremonies = [c for c in Ceremony.objects.filter(id__in=recent) if not results_final(ceremony=c)]
    rounds = list(_with_ballots(Round.objects.filter(ceremony__in=ceremonies, closes_at__lte=now)))
    if not rounds:
        return 0
    fingerprints = _fingerprints(rounds)
    keys = {r.id: _shared_key(r.id, fingerprints[r.id]) for r in rounds if r.id in fingerprints}
    try:
        missing = [r for r in rounds if r.id in keys and not cache.has_key(keys[r.id])]
    except Exception:
        logger.warning("Could not look up the shared picks frames", exc_info=True)
        return 0
    if not missing:
        return 0
    for round_id, frame in _picks_read(missing).items():
        _shared_set(keys[round_id], frame)
    return len(missing)
