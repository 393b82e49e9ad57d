"""The leaderboard recompute after one announcement, on PostgreSQL, against a naive ORM loop.

    python benchmarks/leaderboards.py                    # quick: 5,000 users x 23 categories
    python benchmarks/leaderboards.py --users 100000     # the real size

Creates a throwaway PostgreSQL database (on postgres://postgres@127.0.0.1:5432/postgres unless --postgres
says otherwise) and drops it at the end; the cache is Redis db 12 (--redis), flushed at the start. Loads the 93rd
Academy Awards with N users' winners-round ballots exactly as benchmarks/odds.py does (its loader is imported),
closes the round, announces 22 of the 23 categories directly (Announcement rows and Contender.is_winner),
recomputes once (the standings exist, as on a live night), then measures, three times in each of three modes (the
process's picks cache warm; only the shared cache, as in a new worker process; no cache), the last category
announced through services.result_announce (the on-commit request is recorded, not queued) followed by
services.leaderboard_recompute, timed until its COMMIT returned (the on-commit work after it, sharing the picks
it read, is timed on its own), and where the recompute's time goes. The naive loop, in the same run: every
first-place pick loaded as a Pick object (select_related ballot), scored per user in Python dicts with
predictions.odds.ladder_price, ranked per segment by sorting, then Standing rows written one by one with
update_or_create for a sample of users; that write is extrapolated to every row (and labelled so).
"""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

# This file shares its name with the leaderboards app: take benchmarks/ off the path (Python put it first) so that
# `leaderboards` is the app, and load benchmarks/odds.py (its loader and throwaway database) from its file.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
_spec = importlib.util.spec_from_file_location("odds_bench", HERE / "odds.py")
odds_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(odds_bench)

TARGET_S = 3.0
TARGET_RATIO = 20
RUNS = 3
# warm: the process's picks cache as the previous recompute left it. shared: that cleared, as in a worker process
# that has not recomputed this ceremony yet (the closed round's picks come from the shared cache). cold: both
# cleared, as in the first recompute after the round closed (the picks are read from PostgreSQL).
MODES = ("warm", "shared", "cold")


# --- setup ----------------------------------------------------------------------------------------------------------


def announce_directly(category_id: int, contender_id: int, editor, now) -> None:
    from films.models import Contender
    from leaderboards.models import Announcement

    Announcement.objects.create(
        category_id=category_id, contender_id=contender_id, announced_by=editor, announced_at=now
    )
    Contender.objects.filter(id=contender_id).update(is_winner=True)


def winner_for(category_id: int, nominees: list[int]) -> int:
    """The favourite wins two times in three; otherwise another nominee (same in every run)."""
    weights = odds_bench.weights_for(nominees, category_id)
    favourite = max(weights, key=weights.get)
    rng = random.Random(category_id * 7919)
    return favourite if rng.random() < 2 / 3 else rng.choice([c for c in nominees if c != favourite])


def prepare(data: dict) -> dict:
    """Close the round, announce every category but the last one, recompute once."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from films.models import Round
    from leaderboards import services

    now = timezone.now()
    Round.objects.filter(id=data["round_id"]).update(
        opens_at=now - timedelta(days=2), closes_at=now - timedelta(hours=1)
    )
    editor = User.objects.filter(role=User.Role.EDITOR).order_by("id").first()
    categories = list(data["categories"])
    for category_id in categories[:-1]:
        announce_directly(category_id, winner_for(category_id, data["categories"][category_id]), editor, now)
    started = time.perf_counter()
    services.leaderboard_recompute(ceremony_id=data["ceremony_id"])
    return {"editor": editor, "last": categories[-1], "first_s": time.perf_counter() - started}


# --- the recompute, measured ----------------------------------------------------------------------------------------


class Phases:
    """Wall time per phase of one recompute (by wrapping the service's pieces) and SQL time per statement kind."""

    def __init__(self):
        self.wall = defaultdict(float)
        self.sql = defaultdict(float)
        self.statements = defaultdict(int)
        self.slowest = []  # (seconds, first words of the statement)
        self.committed = None  # perf_counter() when the recompute's COMMIT returned

    def wrap(self, name: str, fn):
        def wrapped(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.wall[name] += time.perf_counter() - started

        return wrapped

    def __call__(self, execute, sql, params, many, context):
        kind = sql.lstrip().split(None, 1)[0].upper()
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.sql[kind] += spent
            self.statements[kind] += 1
            self.slowest = sorted([*self.slowest, (spent, " ".join(sql.split())[:110])], reverse=True)[:3]


@contextmanager
def instrumented(phases: Phases):
    from django.db import connection

    from leaderboards import promotion, scoring, services

    patches = [
        (services, "_picks"),
        (services, "_fingerprints"),
        (services, "_read_picks"),
        (services, "_shared_get"),
        (services, "_shared_set"),
        (services, "_standings_write_copy"),
        (services, "_standings_write_orm"),
        (services, "_contenders"),
        (services, "_members"),
        (services, "_segment_members"),
        (scoring, "score"),
        (promotion, "results_final"),
        (promotion, "top24_promote"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name in patches]
    for module, name, fn in saved:
        setattr(module, name, phases.wrap(name, fn))
    commit = connection.commit

    def committed():
        commit()
        phases.committed = phases.committed or time.perf_counter()  # the recompute's own, not an on-commit task's

    connection.commit = committed  # the connection object's own attribute, over its class's method
    try:
        with connection.execute_wrapper(phases):
            yield
    finally:
        del connection.commit
        for module, name, fn in saved:
            setattr(module, name, fn)


def bench_recompute(data: dict, prep: dict) -> dict:
    """RUNS times in each of MODES: the last category announced (another nominee each time), then the recompute:
    warm (the process's picks cache as the previous recompute left it), shared (that cache cleared before each
    recompute, the shared one kept: a worker process that has not recomputed this ceremony yet) and cold (both
    cleared: the first recompute after the round closed reads the picks from PostgreSQL)."""
    from django.db import transaction

    from films.models import Category
    from leaderboards import services

    last = Category.objects.get(id=prep["last"])
    nominees = data["categories"][last.id]
    order = [winner_for(last.id, nominees)] + [c for c in nominees if c != winner_for(last.id, nominees)]
    requested, original = [], services.leaderboard_request
    services.leaderboard_request = lambda *, ceremony_id: requested.append(ceremony_id)
    figures = {}
    try:
        run = 0
        for mode in MODES:
            announce, recompute, after, vacuum, phase_runs = [], [], [], [], []
            for _ in range(RUNS):
                started = time.perf_counter()
                with transaction.atomic():
                    if run:
                        services.result_undo(editor=prep["editor"], category=last)
                    services.result_announce(
                        editor=prep["editor"], category=last, contender_ids=[order[run % len(order)]]
                    )
                announce.append(time.perf_counter() - started)
                run += 1
                if mode == "shared":
                    services.picks_cache_clear(shared=False)
                elif mode == "cold":
                    services.picks_cache_clear()
                phases = Phases()
                with instrumented(phases):
                    started = time.perf_counter()
                    state = services.leaderboard_recompute(ceremony_id=data["ceremony_id"])
                    done = time.perf_counter()
                assert not state.is_stale, "the recompute left the ceremony stale"
                assert phases.committed, "the recompute committed nothing"
                # Until COMMIT returned: when the fresh standings are there for every page. The on-commit work
                # after it (sharing the picks read, the e-mail task) is timed on its own.
                phases.wall["total"] = phases.committed - started
                phases.wall["after_commit"] = done - phases.committed
                recompute.append(phases.wall["total"])
                after.append(phases.wall["after_commit"])
                started = time.perf_counter()
                services.standings_vacuum()  # as the task does after the recompute has committed
                vacuum.append(time.perf_counter() - started)
                phase_runs.append(phases)
            median = sorted(phase_runs, key=lambda p: p.wall["total"])[len(phase_runs) // 2]
            figures[mode] = {"announce_s": statistics.median(announce), "recompute_s": statistics.median(recompute),
                             "runs": recompute, "phases": median, "vacuum_s": statistics.median(vacuum),
                             "after_s": statistics.median(after)}  # fmt: skip
    finally:
        services.leaderboard_request = original
    assert requested, "result_announce requested no recompute on commit"
    return figures


# --- the naive loop -------------------------------------------------------------------------------------------------


def naive(data: dict, sample: int) -> dict:
    """What the service replaces: objects and dicts. Returns timings and the 'all' board for the check."""

    from films.models import Contender
    from leaderboards.models import Standing
    from predictions.models import Pick, Top24Member
    from predictions.odds import ladder_price

    ceremony_id, round_id = data["ceremony_id"], data["round_id"]
    started = time.perf_counter()
    winners = defaultdict(set)
    for contender in Contender.objects.filter(category__ceremony_id=ceremony_id, is_winner=True):
        winners[contender.category_id].add(contender.id)
    decided = len(winners)
    total = len(data["categories"])
    users = {}
    top24 = set(Top24Member.objects.filter(ceremony_id=ceremony_id).values_list("user_id", flat=True))
    for pick in Pick.objects.filter(round_id=round_id, rank=1).select_related("ballot", "user"):
        row = users.get(pick.user_id)
        if row is None:
            row = users[pick.user_id] = {"correct": 0, "predicted": 0, "points": 0.0, "saved": pick.ballot.saved_at,
                                         "open": 0, "role": pick.user.role}  # fmt: skip
        row["saved"] = max(row["saved"], pick.ballot.saved_at)
        if pick.category_id not in winners:
            row["open"] += 1
            continue
        row["predicted"] += 1
        if pick.contender_id in winners[pick.category_id]:
            num, den = ladder_price(pick.locked_probability)
            row["correct"] += 1
            row["points"] += 100 * num / den
        else:
            row["points"] -= 100
    read_s = time.perf_counter() - started

    started = time.perf_counter()
    segments = {
        "all": list(users),
        "experts": [u for u, r in users.items() if r["role"] == "expert"],
        "editors": [u for u, r in users.items() if r["role"] == "editor"],
        "top24": [u for u in users if u in top24],
    }
    boards = {}
    for segment, members in segments.items():
        members.sort(key=lambda u: (-users[u]["correct"], -round(users[u]["points"], 6), users[u]["saved"]))
        correct_now = sorted(users[u]["correct"] for u in members)
        most_possible = sorted(users[u]["correct"] + users[u]["open"] for u in members)
        live, n = decided < total, len(members)
        board, previous_key, rank = {}, None, 0
        for place, u in enumerate(members, 1):
            r = users[u]
            key = (r["correct"], round(r["points"], 6), r["saved"])
            rank = rank if key == previous_key else place
            previous_key = key
            best = worst = None
            if live:  # others already above my maximum; others whose maximum is above my current count
                mine_max = r["correct"] + r["open"]
                best = 1 + n - bisect.bisect_right(correct_now, mine_max)
                worst = 1 + n - bisect.bisect_right(most_possible, r["correct"]) - (mine_max > r["correct"])
            board[u] = (rank, best, worst)
        boards[segment] = board
    rank_s = time.perf_counter() - started

    # The writes: one update_or_create per standing, for the first `sample` users of "all", then extrapolated.
    rows = sum(len(b) for b in boards.values())
    sample_users = segments["all"][:sample]
    started = time.perf_counter()
    for u in sample_users:
        r, (rank, best, worst) = users[u], boards["all"][u]
        Standing.objects.update_or_create(
            round_id=round_id, segment="all", user_id=u,
            defaults={"rank": rank, "correct": r["correct"], "decided": decided, "predicted": r["predicted"],
                      "accuracy": r["correct"] / decided if decided else 0.0, "points": r["points"],
                      "final_saved_at": r["saved"], "best_rank": best, "worst_rank": worst},
        )  # fmt: skip
    sample_s = time.perf_counter() - started
    write_s = sample_s / max(1, len(sample_users)) * rows
    return {"read_s": read_s, "rank_s": rank_s, "sample": len(sample_users), "sample_s": sample_s,
            "write_s": write_s, "rows": rows, "total_s": read_s + rank_s + write_s, "users": users,
            "board": boards["all"]}  # fmt: skip


def check(data: dict, result: dict) -> tuple[int, int]:
    """The naive board against the stored one (segment 'all'): (users compared, users that differ)."""
    from leaderboards.models import Standing

    stored = Standing.objects.filter(round_id=data["round_id"], segment="all").values_list(
        "user_id", "rank", "correct", "points"
    )
    differ = 0
    for user_id, rank, correct, points in stored:
        mine = result["users"].get(user_id)
        same = mine is not None and mine["correct"] == correct and abs(mine["points"] - points) <= 1e-6
        differ += not (same and result["board"][user_id][0] == rank)
    return len(stored), differ


# --- report ---------------------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def report(args, data: dict, prep: dict, rc: dict, nv: dict, compared: tuple[int, int]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    print()
    print(
        f"Leaderboard benchmark: {args.users:,} users x {len(data['categories'])} categories of the 93rd Academy "
        f"Awards ({data['picks']:,} picks, {nv['rows']:,} standings; loaded in {data['load_s']:.0f} s)"
    )
    print(f"PostgreSQL {pg}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    cold = rc["cold"]
    verdict = lambda ok: "ok" if ok else "MISSED"  # noqa: E731
    labels = {"warm": "warm (process cache)", "shared": "new process (shared cache)", "cold": "cold (no cache)"}
    rows = [("announce the 23rd category (result_announce)", ms(rc["warm"]["announce_s"]), "", "", "")]
    for mode in MODES:
        rows.append((f"leaderboard_recompute, {labels[mode]}, median of {RUNS}", ms(rc[mode]["recompute_s"]),
                     "runs " + " / ".join(ms(s) for s in rc[mode]["runs"]), "", ""))  # fmt: skip
    afters = " / ".join(ms(rc[mode]["after_s"]) for mode in MODES)
    rows.append(("then the on-commit work (sharing the picks read), median", afters, "warm / shared / cold", "", ""))
    vacuums = " / ".join(ms(rc[mode]["vacuum_s"]) for mode in MODES)
    rows.append(("then VACUUM of the standings (after commit), median", vacuums, "warm / shared / cold", "", ""))
    for mode in MODES:
        per = rc[mode]["announce_s"] + rc[mode]["recompute_s"]
        rows.append((f"per announcement, {labels[mode]}", ms(per), "", f"< {TARGET_S:.0f} s", verdict(per < TARGET_S)))
    for i, mode in enumerate(MODES):
        ratio = nv["total_s"] / rc[mode]["recompute_s"]
        label, figure = ("naive ORM loop, total (writes extrapolated)", ms(nv["total_s"])) if i == 0 else ("", "")
        rows.append((label, figure, f"{ratio:.1f}x {mode}", f">= {TARGET_RATIO}x", verdict(ratio >= TARGET_RATIO)))
    rows += [
        ("  read + tally (Pick objects, measured)", ms(nv["read_s"]),
         f"{nv['read_s'] / cold['recompute_s']:.1f}x cold recompute", "", ""),
        ("  rank 4 segments in Python (measured)", ms(nv["rank_s"]), "", "", ""),
        (f"  update_or_create x {nv['rows']:,} (EXTRAPOLATED from {nv['sample']:,})", ms(nv["write_s"]),
         f"{nv['sample_s'] / max(1, nv['sample']) * 1000:.2f} ms/row", "", ""),
        ("(first recompute: 22 announced, no standings, cold)", ms(prep["first_s"]), "", "", ""),
    ]  # fmt: skip
    header = ("measurement", "figure", "ratio", "target", "")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(5)]
    line = lambda r: "  ".join(  # noqa: E731
        f"{v:<{widths[i]}}" if i in (0, 2, 3) else f"{v:>{widths[i]}}" for i, v in enumerate(r)
    ).rstrip()
    print(line(header))
    print("-" * len(line(header)))
    for r in rows:
        print(line(r))
    n, differ = compared
    print(f"check: naive board 'all' vs stored standings: {n:,} users compared, {differ} differ")

    for mode in MODES:
        phases = rc[mode]["phases"]
        total = phases.wall["total"]
        print()
        print(f"Where the median {mode} recompute's {ms(total)} to commit goes (wall time of the service's pieces):")
        named = ["_fingerprints", "_shared_get", "_read_picks", "_contenders", "_members",
                 "_segment_members", "score", "_standings_write_copy", "results_final", "top24_promote"]  # fmt: skip
        for name in named:
            print(f"  {name:<24} {ms(phases.wall[name]):>9}  {phases.wall[name] / total:>4.0%}")
        rest = total - sum(phases.wall[n] for n in named)
        print(f"  {'rest':<24} {ms(rest):>9}  {rest / total:>4.0%}  (frames, locks, state, COMMIT)")
        after, shared = ms(phases.wall["after_commit"]), ms(phases.wall["_shared_set"])
        print(f"then after commit: {after}, of which _shared_set {shared}")
        print("SQL time by statement kind (inside the above; the two COPYs are not seen by execute_wrapper):")
        for kind in sorted(phases.sql, key=phases.sql.get, reverse=True):
            print(f"  {kind:<24} {ms(phases.sql[kind]):>9}  {phases.statements[kind]:>4} statements")
        print("Slowest statements:")
        for spent, sql in phases.slowest:
            print(f"  {ms(spent):>9}  {sql} ...")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000, help="users, each with a ballot in every category")
    parser.add_argument("--sample", type=int, default=2000, help="users whose Standing the naive loop writes")
    parser.add_argument("--postgres", default=odds_bench.DEFAULT_POSTGRES, help="a PostgreSQL server URL")
    parser.add_argument("--redis", default=odds_bench.DEFAULT_REDIS, help="a Redis database this run may flush")
    args = parser.parse_args()

    import psycopg2
    import redis

    try:
        redis.Redis.from_url(args.redis, socket_connect_timeout=2).flushdb()
        database_url, drop = odds_bench.create_database(args.postgres)
    except (redis.RedisError, psycopg2.Error) as exc:
        needs = f"PostgreSQL ({args.postgres}) and Redis ({args.redis})"
        sys.exit(f"The leaderboard benchmark needs {needs}: {exc}".strip())
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = args.redis  # the cache that shares a closed round's picks between worker processes
    os.environ["CONN_MAX_AGE"] = "60"
    try:
        odds_bench.django_setup()
        from config.celery_app import app

        app.conf.task_always_eager = False  # nothing is queued: the on-commit request is recorded (bench_recompute)
        print(f"Loading {args.users:,} users x 23 categories into {database_url} ...", flush=True)
        data = odds_bench.load(args.users, 23)
        print(f"  {data['picks']:,} picks in {data['load_s']:.0f} s; announcing 22 categories ...", flush=True)
        prep = prepare(data)
        print(
            f"  first recompute {ms(prep['first_s'])}; measuring the 23rd announcement {len(MODES)} x {RUNS} ...",
            flush=True,
        )
        rc = bench_recompute(data, prep)
        print("naive loop ...", flush=True)
        nv = naive(data, args.sample)
        compared = check(data, nv)
        report(args, data, prep, rc, nv, compared)
    finally:
        if "django.db" in sys.modules:
            sys.modules["django.db"].connections.close_all()
        drop()


if __name__ == "__main__":
    main()
