"""The odds recompute and the ballot save on the real stack, against their floors and a naive loop.

    python benchmarks/odds.py                        # quick: 5,000 users x 23 categories
    python benchmarks/odds.py --users 100000         # the real size
    python benchmarks/odds.py --skip-http            # sections 1-3 only

Creates a throwaway PostgreSQL database (on postgres://postgres@127.0.0.1:5432/postgres unless
--postgres says otherwise) and drops it at the end; flushes Redis db 12 (--redis) at the start.
Imports the Academy Awards history, opens the 93rd ceremony's winners round and bulk-loads N users
with a full ranking of every category (Plackett-Luce draws around a favourite), then measures:

1. one category's recompute (services.odds_recompute, median of 5) against the bare SQL GROUP BY
   that yields the same counts and against a naive ORM loop over the picks (same result);
2. the whole ceremony's recompute, against one GROUP BY over the round;
3. a burst of saves to one category through services.ballot_save from several processes, with a
   real Celery worker (started here) doing the recomputes: saves/s, recomputes that ran, and the
   time from the last save until the stored odds equal a from-scratch recount;
4. ballot saves over HTTP (gunicorn, 50 keep-alive clients, token auth) against a minimal Django
   view that does one single-row upsert, served by a second gunicorn from a temporary module.

Everything listens on 127.0.0.1 only, every wait is bounded, and what is started is stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import random
import re
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
SUCCEEDED = re.compile(r"Task predictions\.tasks\.odds_recompute\[[^\]]+\] succeeded")
FAILED = re.compile(r"Task predictions\.tasks\.odds_recompute\[[^\]]+\] (raised|retry)")
EXPERT_SHARE, EDITOR_SHARE = 0.005, 0.001
HTTP_CLIENTS = 50
USERS_PER_CLIENT = 20
HTTP_SLICES = 4  # turns each server takes in section 4
# Both servers of section 4 run with the site's own gunicorn settings (workers and threads), quietly.
GUNICORN = ["--config", str(ROOT / "gunicorn.conf.py"), "--log-level", "warning"]

# The floor of section 4: a Django view (the project's middleware, no DRF, no service) doing one upsert.
FLOOR_SETTINGS = """
from config.settings.test import *  # noqa

ROOT_URLCONF = "bench_floor_urls"
"""
FLOOR_URLS = """
import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def floor(request):
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor (k, body, saves, saved_at) VALUES (%s, %s, 1, now()) "
            "ON CONFLICT (k) DO UPDATE SET body = EXCLUDED.body, saves = bench_floor.saves + 1, saved_at = now() "
            "RETURNING saves",
            [body["key"], request.body.decode()],
        )
        (saves,) = cursor.fetchone()
    return JsonResponse({"key": body["key"], "saves": saves})


urlpatterns = [path("floor", floor)]
"""
FLOOR_WSGI = """
import os
import sys

sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "bench_floor_settings"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
"""


# --- setup ----------------------------------------------------------------------------------------------------------


def django_setup() -> None:
    """Django against the DATABASE_URL / REDIS_URL that main() put in the environment."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()


def create_database(server_url: str) -> tuple[str, callable]:
    import psycopg2

    name = f"frontrunner_odds_bench_{os.getpid()}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return f"{server_url.rsplit('/', 1)[0]}/{name}", drop


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A subprocess started here, in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], *, env: dict, cwd: Path, log_dir: Path):
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group of the process started here
                self.process.wait(timeout=10)


def wait_for(check, *, timeout: float, what: str, service: Service | None = None, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if service is not None and not service.alive():
            raise RuntimeError(f"{service.name} exited while waiting for {what}:\n{service.text()[-4000:]}")
        if time.monotonic() > deadline:
            tail = f"\n{service.text()[-4000:]}" if service else ""
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(interval)


def start_worker(log_dir: Path) -> Service:
    from config.celery_app import app

    hostname = f"odds-bench-{os.getpid()}@127.0.0.1"
    command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=prefork"]
    command += ["--concurrency=2", "-Q", "default,odds", "--without-mingle", "--without-gossip", "--loglevel=INFO"]
    worker = Service("worker", [*command, "-n", hostname], env=dict(os.environ), cwd=ROOT, log_dir=log_dir)
    wait_for(
        lambda: app.control.ping(destination=[hostname], timeout=0.5),
        timeout=30,
        what="the Celery worker",
        service=worker,
        interval=0,
    )
    return worker


# --- data -----------------------------------------------------------------------------------------------------------


def weights_for(contender_ids: list[int], category_id: int) -> dict[int, float]:
    """A favourite and a field: geometric weights, shuffled per category (same in every process)."""
    order = list(contender_ids)
    random.Random(category_id).shuffle(order)
    weights = [0.6**i for i in range(len(order))]
    total = sum(weights)  # normalized: a Plackett-Luce draw is the same, and each is a plausible locked odds
    return {cid: w / total for cid, w in zip(order, weights, strict=True)}


def plackett_luce(weights: dict[int, float], rng: random.Random) -> list[int]:
    """A ranking drawn as the exponential race the bulk loader runs in SQL."""
    return sorted(weights, key=lambda cid: -math.log(1.0 - rng.random()) / weights[cid])


def load(users: int, categories: int) -> dict:
    """The 93rd ceremony, an open winners round and `users` full ballots in every category."""
    from datetime import timedelta

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from films.models import Category, Ceremony, Contender, Round
    from films.services import oscars_import
    from predictions.models import Ballot, OddsState, Pick, Top24Member

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    oscars_import(path=settings.OSCARS_DATA_PATH)
    ceremony = Ceremony.objects.get(show__slug="academy-awards", number=93)
    now = timezone.now()
    round_ = Round.objects.create(
        ceremony=ceremony, kind=Round.Kind.WINNERS, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30)
    )
    chosen = list(Category.objects.filter(ceremony=ceremony).competitive().order_by("order", "id")[:categories])
    nominees = {
        c.id: list(Contender.objects.filter(category=c, is_nominee=True).values_list("id", flat=True)) for c in chosen
    }
    setup_s = time.perf_counter() - started

    started = time.perf_counter()
    u, b, p = User._meta, Ballot._meta, Pick._meta
    col = lambda meta, name: meta.get_field(name).column  # noqa: E731
    with connection.cursor() as cursor:
        # Consistent by construction: skip the foreign-key triggers while loading (superuser only).
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            f"INSERT INTO {u.db_table} ({col(u, 'email')}, {col(u, 'display_name')}, {col(u, 'password')}, "
            f"{col(u, 'role')}, {col(u, 'bio')}, {col(u, 'is_active')}, {col(u, 'is_superuser')}, "
            f"{col(u, 'date_joined')}) "
            "SELECT 'bench-' || i || '@example.com', 'Bench ' || i, '!', "
            "CASE WHEN i %% %s = 0 THEN 'expert' WHEN i %% %s = 1 THEN 'editor' ELSE 'fan' END, '', true, false, %s "
            "FROM generate_series(1, %s) AS i",
            [round(1 / EXPERT_SHARE), round(1 / EDITOR_SHARE), now, users],
        )
        cursor.execute(
            f"INSERT INTO {b.db_table} ({col(b, 'user')}, {col(b, 'round')}, {col(b, 'category')}, "
            f"{col(b, 'created_at')}, {col(b, 'saved_at')}) "
            f"SELECT u.id, %s, c, %s, %s FROM {u.db_table} u CROSS JOIN unnest(%s::bigint[]) AS c "
            f"WHERE u.{col(u, 'email')} LIKE 'bench-%%' ORDER BY c, u.id",
            [round_.id, now, now, list(nominees)],
        )
        cursor.execute("CREATE TEMP TABLE bench_weight (category_id bigint, contender_id bigint, weight float8)")
        rows = [(cid, k, w) for cid, ids in nominees.items() for k, w in weights_for(ids, cid).items()]
        cursor.executemany("INSERT INTO bench_weight VALUES (%s, %s, %s)", rows)
        for category_id in nominees:
            cursor.execute(
                f"INSERT INTO {p.db_table} ({col(p, 'ballot')}, {col(p, 'contender')}, {col(p, 'rank')}, "
                f"{col(p, 'rationale')}, {col(p, 'locked_probability')}, {col(p, 'round')}, {col(p, 'category')}, "
                f"{col(p, 'user')}, {col(p, 'saved_at')}) "
                f"SELECT b.id, w.contender_id, row_number() OVER (PARTITION BY b.id ORDER BY "
                f"-ln(1 - random()) / w.weight), '', w.weight, b.{col(b, 'round')}, b.{col(b, 'category')}, "
                f"b.{col(b, 'user')}, b.{col(b, 'saved_at')} "
                f"FROM {b.db_table} b JOIN bench_weight w ON w.category_id = b.{col(b, 'category')} "
                f"WHERE b.{col(b, 'round')} = %s AND b.{col(b, 'category')} = %s",
                [round_.id, category_id],
            )
        cursor.execute("SET session_replication_role = DEFAULT")
    top24 = User.objects.filter(email__startswith="bench-", role="fan").order_by("id")[:24]
    Top24Member.objects.bulk_create(Top24Member(ceremony=ceremony, user=m, rank=i) for i, m in enumerate(top24, 1))
    OddsState.objects.bulk_create(OddsState(round=round_, category_id=c, ballot_version=1) for c in nominees)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    load_s = time.perf_counter() - started
    return {
        "round_id": round_.id,
        "ceremony_id": ceremony.id,
        "categories": nominees,
        "names": {c.id: c.display_name for c in chosen},
        "ballots": Ballot.objects.count(),
        "picks": Pick.objects.count(),
        "setup_s": setup_s,
        "load_s": load_s,
    }


# --- counting -------------------------------------------------------------------------------------------------------


def floor_sql(whole_round: bool) -> str:
    """The bare GROUP BY giving, per contender, its first places in each segment (winners round: k = 1)."""
    from accounts.models import User
    from predictions.models import Pick, Top24Member

    scope = "" if whole_round else "AND p.category_id = %s"
    return (
        "SELECT p.category_id, p.contender_id, count(*), count(*) FILTER (WHERE u.role = 'expert'), "
        "count(*) FILTER (WHERE u.role = 'editor'), count(t.user_id) "
        f"FROM {Pick._meta.db_table} p JOIN {User._meta.db_table} u ON u.id = p.user_id "
        f"LEFT JOIN {Top24Member._meta.db_table} t ON t.user_id = p.user_id AND t.ceremony_id = %s "
        f"WHERE p.round_id = %s {scope} AND p.rank <= 1 GROUP BY p.category_id, p.contender_id"
    )


def floor_counts(ceremony_id: int, round_id: int, category_id: int | None = None) -> list[tuple]:
    from django.db import connection

    params = [ceremony_id, round_id] + ([category_id] if category_id else [])
    with connection.cursor() as cursor:
        cursor.execute(floor_sql(category_id is None), params)
        return cursor.fetchall()


def odds_from_counts(rows, contender_ids: list[int]) -> dict:
    """What a from-scratch recount gives: the counts (category, contender, all, experts, editors, top24) through
    the engine. Returns {(segment, contender_id): (probability, rank, ballots)}."""
    import pandas as pd

    from predictions.odds import SEGMENTS, compute_odds

    hits = [
        {"segment": segment, "contender_id": row[1], "hits": row[2 + i]}
        for row in rows
        for i, segment in enumerate(SEGMENTS)
        if row[2 + i]
    ]
    ballots = {segment: sum(row[2 + i] for row in rows) for i, segment in enumerate(SEGMENTS)}
    frame = pd.DataFrame(hits, columns=["segment", "contender_id", "hits"])
    result = compute_odds(frame, ballots, contender_ids, slots=1)
    return {
        (r.segment, int(r.contender_id)): (float(r.probability), int(r.rank), int(r.ballots))
        for r in result.itertuples(index=False)
    }


def stored_odds(round_id: int, category_id: int) -> dict:
    from predictions.models import Odds

    rows = Odds.objects.filter(round_id=round_id, category_id=category_id)
    return {
        (o["segment"], o["contender_id"]): (o["probability"], o["rank"], o["ballots"])
        for o in rows.values("segment", "contender_id", "probability", "rank", "ballots")
    }


def same_odds(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(abs(a[k][0] - b[k][0]) <= 1e-9 and tuple(a[k][1:]) == tuple(b[k][1:]) for k in a)


def naive_recount(ceremony_id: int, round_id: int, category_id: int, contender_ids: list[int]) -> dict:
    """What the service replaces: every first-place pick loaded as an object and tallied in Python dicts."""
    from predictions.models import Pick, Top24Member

    top24 = set(Top24Member.objects.filter(ceremony_id=ceremony_id).values_list("user_id", flat=True))
    tally = defaultdict(lambda: [0, 0, 0, 0])
    for pick in Pick.objects.filter(round_id=round_id, category_id=category_id, rank__lte=1).select_related("user"):
        counts = tally[pick.contender_id]
        counts[0] += 1
        counts[1] += pick.user.role == "expert"
        counts[2] += pick.user.role == "editor"
        counts[3] += pick.user_id in top24
    return odds_from_counts([(category_id, cid, *c) for cid, c in tally.items()], contender_ids)


def timed(fn, *, runs: int = 5, budget_s: float | None = None) -> tuple[float, object]:
    """Median wall time of `runs` calls (fewer if `budget_s` runs out, at least one), and the last result."""
    times, result, spent = [], None, 0.0
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
        spent += times[-1]
        if budget_s is not None and spent > budget_s:
            break
    return statistics.median(times), result


# --- 1 and 2: recompute ----------------------------------------------------------------------------------------------


def bench_recompute(data: dict, category_id: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from predictions import services

    round_id, ceremony_id = data["round_id"], data["ceremony_id"]
    contender_ids = data["categories"][category_id]
    recompute = lambda c: services.odds_recompute(round_id=round_id, category_id=c)  # noqa: E731
    recompute(category_id)  # the first one writes every row; the measured ones find them (as a live site does)
    recompute_s, state = timed(lambda: recompute(category_id))
    assert not state.is_stale
    floor_counts(ceremony_id, round_id, category_id)
    floor_s, rows = timed(lambda: floor_counts(ceremony_id, round_id, category_id))
    expected = odds_from_counts(rows, contender_ids)
    assert same_odds(stored_odds(round_id, category_id), expected), "the service disagrees with the recount"
    naive_s, naive = timed(lambda: naive_recount(ceremony_id, round_id, category_id, contender_ids), budget_s=30)
    assert same_odds(naive, expected), "the naive loop disagrees with the recount"
    with CaptureQueriesContext(connection) as queries:
        recompute(category_id)
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))

    for c in data["categories"]:
        recompute(c)
    ceremony_s, _ = timed(lambda: [recompute(c) for c in data["categories"]], runs=3)
    ceremony_floor_s, all_rows = timed(lambda: floor_counts(ceremony_id, round_id), runs=3)
    for c, ids in data["categories"].items():
        mine = [r for r in all_rows if r[0] == c]
        assert same_odds(stored_odds(round_id, c), odds_from_counts(mine, ids)), f"category {c} disagrees"
    return {
        "recompute_s": recompute_s,
        "floor_s": floor_s,
        "naive_s": naive_s,
        "queries": len(queries.captured_queries),
        "sql_s": sum(float(q["time"]) for q in queries.captured_queries),
        "slowest_s": float(slowest["time"]),
        "ceremony_s": ceremony_s,
        "ceremony_floor_s": ceremony_floor_s,
        "ballots": sum(r[2] for r in rows),
    }


# --- 3: burst -------------------------------------------------------------------------------------------------------


def burst_child(job: tuple) -> dict:
    """One process of the burst: its own Django and connection, saving as fast as it goes."""
    user_ids, saves, category_id, contender_ids, seed = job
    django_setup()
    from django.db import connection

    from accounts.models import User
    from films.models import Category
    from predictions import services

    category = Category.objects.get(pk=category_id)
    users = list(User.objects.filter(pk__in=user_ids))
    weights = weights_for(contender_ids, category_id)
    rng = random.Random(seed)
    errors = 0
    started = time.time()
    for i in range(saves):
        try:
            services.ballot_save(user=users[i % len(users)], category=category, ranking=plackett_luce(weights, rng))
        except Exception:  # counted and reported; the burst goes on
            errors += 1
    finished = time.time()
    connection.close()
    return {"started": started, "finished": finished, "saves": saves - errors, "errors": errors}


def bench_burst(data: dict, category_id: int, worker: Service, *, saves: int, processes: int) -> dict:
    from accounts.models import User
    from predictions.models import OddsState

    round_id, ceremony_id = data["round_id"], data["ceremony_id"]
    contender_ids = data["categories"][category_id]
    wait_for(
        lambda: not OddsState.objects.get(round_id=round_id, category_id=category_id).is_stale,
        timeout=30,
        what="the odds to be current before the burst",
    )
    user_ids = list(User.objects.filter(email__startswith="bench-").order_by("id").values_list("id", flat=True))
    random.Random(7).shuffle(user_ids)
    user_ids = user_ids[: max(processes, min(len(user_ids), saves))]
    jobs = [
        (user_ids[i::processes], saves // processes + (i < saves % processes), category_id, contender_ids, 100 + i)
        for i in range(processes)
    ]
    offset = len(worker.text())
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.map_async(burst_child, jobs).get(timeout=900)
    first = min(r["started"] for r in results)
    last = max(r["finished"] for r in results)
    expected = odds_from_counts(floor_counts(ceremony_id, round_id, category_id), contender_ids)
    try:
        wait_for(lambda: same_odds(stored_odds(round_id, category_id), expected), timeout=60, what="exact odds",
                 service=worker, interval=0.02)  # fmt: skip
        exact_s = time.time() - last
    except RuntimeError:
        exact_s = math.inf
    time.sleep(2)  # a request still queued would run now and be counted
    log = worker.text()[offset:]
    done = sum(r["saves"] for r in results)
    return {
        "saves": done,
        "errors": sum(r["errors"] for r in results),
        "processes": processes,
        "saves_per_s": done / (last - first),
        "recomputes": len(SUCCEEDED.findall(log)),
        "failed": len(FAILED.findall(log)),
        "exact_s": exact_s,
    }


# --- 4: HTTP --------------------------------------------------------------------------------------------------------


def load_http(port: int, requests: list[list[tuple[str, bytes, dict]]], positions: list[int], *, seconds: float,
              warmup: float, server: Service) -> dict:  # fmt: skip
    """HTTP_CLIENTS threads, each with one keep-alive connection, cycling through its own requests from
    `positions` (updated, so that the next slice goes on where this one stopped). Raw figures: see summary()."""
    stop_at = time.monotonic() + warmup + seconds
    measure_from = time.monotonic() + warmup
    latencies, statuses, errors = [], Counter(), Counter()
    lock = threading.Lock()
    samples = {}

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine_l, mine_s, n = [], Counter(), positions[i]
        while time.monotonic() < stop_at:
            path, body, headers = requests[i][n % len(requests[i])]
            n += 1
            started = time.monotonic()
            try:
                conn.request("PUT", path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            if started >= measure_from:
                mine_l.append(time.monotonic() - started)
                mine_s[response.status] += 1
            samples.setdefault(response.status, (body, payload))
        conn.close()
        positions[i] = n
        with lock:
            latencies.extend(mine_l)
            statuses.update(mine_s)

    cpu = {}

    def monitor() -> None:
        """The client's own CPU and the machine's, over the measured seconds only."""
        time.sleep(max(0.0, measure_from - time.monotonic()))
        pids = server_pids(server), backend_pids()
        cpu["start"] = (time.process_time(), *machine_cpu(), process_cpu(pids[0]), process_cpu(pids[1]))
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu["end"] = (time.process_time(), *machine_cpu(), process_cpu(pids[0]), process_cpu(pids[1]))
        from django.db import connection

        connection.close()  # this thread's, opened by backend_pids()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(requests))]
    threads.append(threading.Thread(target=monitor))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=warmup + seconds + 30)
    client_cpu, busy, total, server_cpu, db_cpu = (end - start for start, end in zip(*cpu.values(), strict=True))
    return {
        "seconds": seconds,
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors,
        "samples": samples,
        "client_cpu": client_cpu,
        "server_cpu": server_cpu,
        "db_cpu": db_cpu,
        "busy": busy,
        "total": total,
    }


def summary(slices: list[dict]) -> dict:
    """The slices of one server's load, added up."""
    seconds = sum(s["seconds"] for s in slices)
    latencies = sorted(x for s in slices for x in s["latencies"])
    statuses, errors, samples = Counter(), Counter(), {}
    for s in slices:
        statuses.update(s["statuses"])
        errors.update(s["errors"])
        samples = {**s["samples"], **samples}
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else math.nan  # noqa: E731
    busy = sum(s["busy"] for s in slices) / max(1, sum(s["total"] for s in slices))
    return {
        "rps": ok / seconds,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "statuses": dict(statuses),
        "errors": dict(errors),
        "samples": samples,
        "client_cores": sum(s["client_cpu"] for s in slices) / seconds,
        "machine_busy": busy,
        # CPU per answered request: the gunicorn processes, the PostgreSQL backends, and every process on
        # the machine (this benchmark's and anyone else's).
        "server_ms": sum(s["server_cpu"] for s in slices) / max(1, ok) * 1000,
        "db_ms": sum(s["db_cpu"] for s in slices) / max(1, ok) * 1000,
        "cpu_ms": busy * (os.cpu_count() or 1) * seconds / max(1, ok) * 1000,
    }


def process_cpu(pids) -> float:
    """CPU seconds (user + system) used so far by these processes (Linux /proc); gone ones count 0."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def server_pids(server: Service) -> list[int]:
    """The gunicorn master and its workers."""
    try:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    except OSError:
        children = []
    return [server.process.pid, *map(int, children)]


def backend_pids() -> list[int]:
    """The PostgreSQL backends serving this benchmark's database (the server runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot, from /proc/stat (Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def start_gunicorn(name: str, app: str, *, pythonpath: Path, log_dir: Path, health: str) -> tuple[Service, int]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", *GUNICORN]
    server = Service(name, [*command, "--pythonpath", str(pythonpath)], env=dict(os.environ), cwd=ROOT, log_dir=log_dir)

    def answers() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", health)
            conn.getresponse().read()
            conn.close()
            return True
        except OSError:
            return False

    wait_for(answers, timeout=30, what=f"{name} on port {port}", service=server)
    return server, port


def bench_http(data: dict, log_dir: Path, *, seconds: float) -> dict:
    from django.db import connection
    from django.urls import Resolver404, resolve
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    some_category = next(iter(data["categories"]))
    try:
        resolve(f"/api/ballots/{some_category}/")
    except Resolver404:
        return {"skipped": "/api/ballots/ not available"}

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_floor (k bigint PRIMARY KEY, body text, saves int, saved_at timestamptz)")
    users = list(User.objects.filter(email__startswith="bench-").order_by("-id")[: HTTP_CLIENTS * USERS_PER_CLIENT])
    Token.objects.bulk_create(Token(key=Token.generate_key(), user=u) for u in users)
    keys = dict(Token.objects.filter(user__in=users).values_list("user_id", "key"))
    categories = list(data["categories"].items())
    rng = random.Random(11)
    api, floor = [], []
    for i in range(HTTP_CLIENTS):
        mine_api, mine_floor = [], []
        for j, user in enumerate(users[i * USERS_PER_CLIENT : (i + 1) * USERS_PER_CLIENT]):
            for c, (category_id, ids) in enumerate(categories):
                ranking = plackett_luce(weights_for(ids, category_id), rng)
                headers = {"Content-Type": "application/json", "Authorization": f"Token {keys[user.id]}"}
                body = json.dumps({"ranking": ranking}).encode()
                mine_api.append((f"/api/ballots/{category_id}/", body, headers))
                key = (i * USERS_PER_CLIENT + j) * 100 + c
                mine_floor.append(("/floor", json.dumps({"key": key, "ranking": ranking}).encode(), headers))
        # In random order: the 50 clients spread over the categories, as fans filling their ballots do (section 3
        # is the one-category burst).
        order = list(range(len(mine_api)))
        rng.shuffle(order)
        api.append([mine_api[k] for k in order])
        floor.append([mine_floor[k] for k in order])

    # Both servers run side by side, each idle while the other is loaded, and take turns in HTTP_SLICES slices:
    # a neighbour's load on the shared machine then weighs on both alike.
    slice_s = seconds / HTTP_SLICES
    warmup = min(3.0, slice_s / 2)
    results = {}
    servers = []
    try:
        with tempfile.TemporaryDirectory(prefix="odds-bench-floor-") as tmp:
            (Path(tmp) / "bench_floor_settings.py").write_text(FLOOR_SETTINGS)
            (Path(tmp) / "bench_floor_urls.py").write_text(FLOOR_URLS)
            (Path(tmp) / "bench_floor_wsgi.py").write_text(FLOOR_WSGI.format(root=str(ROOT)))
            for name, app, pythonpath, requests, health in (
                ("floor", "bench_floor_wsgi:application", Path(tmp), floor, "/floor"),
                ("api", "config.wsgi:application", ROOT, api, "/healthz"),
            ):
                server, port = start_gunicorn(
                    f"gunicorn-{name}", app, pythonpath=pythonpath, log_dir=log_dir, health=health
                )
                servers.append((name, server, port, requests, [0] * len(requests)))
            slices = defaultdict(list)
            for turn in range(HTTP_SLICES):
                for name, server, port, requests, positions in servers:
                    # Warm up only before the first slice; later ones carry on with warm workers.
                    run = load_http(
                        port, requests, positions, seconds=slice_s, warmup=warmup if turn == 0 else 0.5, server=server
                    )
                    slices[name].append(run)
            for name, server, *_ in servers:
                results[name] = summary(slices[name])
                results[name]["log"] = server.text()[-3000:]
    finally:
        for _, server, *_ in servers:
            server.stop()
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))  # what both servers ran with, in this environment
    results["workers"], results["threads"] = conf["workers"], conf["threads"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(saves), 0) FROM bench_floor")
        results["floor_rows"] = cursor.fetchone()
    body, payload = results["api"]["samples"].get(200, (b"{}", b"{}"))
    try:
        results["api_checked"] = json.loads(payload)["ranking"] == json.loads(body)["ranking"]
    except (ValueError, KeyError, TypeError):
        results["api_checked"] = False
    return results


# --- report ---------------------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "never"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(args, data: dict, rc: dict | None, burst: dict | None, web: dict | None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    name = data["names"][args.category_id]
    print()
    print(
        f"Odds benchmarks: {args.users:,} users x {len(data['categories'])} categories of the 93rd Academy Awards "
        f"({data['ballots']:,} ballots, {data['picks']:,} picks; loaded in {data['load_s']:.0f} s)"
    )
    print(f"PostgreSQL {pg}, Redis, Celery prefork worker x2, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    rows, met = [], []

    def row(label, figure, ratio="", target="", ok=None):
        rows.append((label, figure, ratio, target, "" if ok is None else verdict(ok)))
        if ok is not None:
            met.append(ok)

    if rc:
        r_floor = rc["recompute_s"] / rc["floor_s"]
        r_naive = rc["naive_s"] / rc["recompute_s"]
        row(f"1. recompute, one category ({name}, {rc['ballots']:,} ballots)", ms(rc["recompute_s"]),
            f"{r_floor:.1f}x floor", "<= 2x floor", r_floor <= 2)  # fmt: skip
        row("   bare SQL GROUP BY (floor)", ms(rc["floor_s"]), f"naive = {rc['naive_s'] / rc['floor_s']:.0f}x floor")
        row("   naive ORM loop over the picks", ms(rc["naive_s"]), f"{r_naive:.0f}x slower", ">= 20x", r_naive >= 20)
        row(f"   (the recompute: {rc['queries']} queries, {ms(rc['sql_s'])} in SQL, slowest {ms(rc['slowest_s'])})", "")
        row(f"2. recompute, whole ceremony ({len(data['categories'])} categories)", ms(rc["ceremony_s"]),
            f"{rc['ceremony_s'] / rc['ceremony_floor_s']:.1f}x floor")  # fmt: skip
        row("   one GROUP BY over the round (floor)", ms(rc["ceremony_floor_s"]))
    if burst:
        per = burst["saves"] / max(1, burst["recomputes"])
        row(f"3. burst: {burst['saves']:,} saves to {name}, {burst['processes']} processes",
            f"{burst['saves_per_s']:.0f} saves/s", f"{burst['errors']} errors")  # fmt: skip
        row("   recomputes that ran (worker)", f"{burst['recomputes']}", f"{per:.0f} saves/recompute", ">= 100",
            per >= 100)  # fmt: skip
        row("   last save -> odds equal a recount", ms(burst["exact_s"]), "", "<= 2 s", burst["exact_s"] <= 2)
    if web and "skipped" in web:
        row("4. ballot saves over HTTP", f"skipped: {web['skipped']}")
    elif web:
        api, floor = web["api"], web["floor"]
        share = api["rps"] / floor["rps"] if floor["rps"] else 0
        worker_state = "worker running" if args.http_with_worker else "worker stopped"
        row(f"4. PUT /api/ballots/<id>/, {HTTP_CLIENTS} clients ({worker_state})", f"{api['rps']:.0f} req/s",
            f"{share:.2f}x floor", ">= 0.5x floor", share >= 0.5)  # fmt: skip
        row("   latency p50 / p99", f"{ms(api['p50'])} / {ms(api['p99'])}", "", "p99 < 300 ms", api["p99"] < 0.3)
        row("   floor: Django view, one upsert", f"{floor['rps']:.0f} req/s")
        row("   floor latency p50 / p99", f"{ms(floor['p50'])} / {ms(floor['p99'])}")
        row("   CPU per request: gunicorn (api / floor)", f"{api['server_ms']:.1f} / {floor['server_ms']:.1f} ms")
        row("   CPU per request: PostgreSQL (api / floor)", f"{api['db_ms']:.1f} / {floor['db_ms']:.1f} ms")
        row("   CPU per request: whole machine (api / floor)", f"{api['cpu_ms']:.1f} / {floor['cpu_ms']:.1f} ms")
        row("   both servers: gunicorn.conf.py", f"{web['workers']} workers x {web['threads']} threads")
        row("   load client's CPU (api / floor)", f"{api['client_cores']:.2f} / {floor['client_cores']:.2f} cores")
        row(
            f"   machine busy (api / floor, {os.cpu_count()} cores)",
            f"{api['machine_busy']:.0%} / {floor['machine_busy']:.0%}",
        )
    widths = [max(len(r[i]) for r in rows + [("measurement", "figure", "ratio", "target", "")]) for i in range(5)]
    header = ("measurement", "figure", "ratio", "target", "")
    line = lambda r: "  ".join(  # noqa: E731
        f"{v:<{widths[i]}}" if i in (0, 2, 3) else f"{v:>{widths[i]}}" for i, v in enumerate(r)
    ).rstrip()
    print(line(header))
    print("-" * len(line(header)))
    for r in rows:
        print(line(r))
    if web and "api" in web:
        print(f"HTTP statuses: api {web['api']['statuses']} errors {web['api']['errors']}; "
              f"floor {web['floor']['statuses']} errors {web['floor']['errors']}; "
              f"API answer checked: {web['api_checked']}")  # fmt: skip
        for name_ in ("api", "floor"):
            bad = {s: v for s, v in web[name_]["samples"].items() if s >= 300}
            for status, (_, payload) in bad.items():
                print(f"  {name_} {status}: {payload[:300]!r}")
    print("(naive: Pick.objects.filter(round, category, rank<=1).select_related('user'), tallied in dicts; "
          "floors: the same counts by one SQL GROUP BY, and a view doing one INSERT ... ON CONFLICT)")  # fmt: skip
    print(f"targets met: {sum(met)} of {len(met)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000, help="users, each with a ballot in every category")
    parser.add_argument("--categories", type=int, default=23, help="categories of the 93rd ceremony (at most 23)")
    parser.add_argument("--burst", type=int, default=10000, help="saves in the burst (section 3)")
    parser.add_argument("--processes", type=int, default=4, help="processes saving in the burst")
    parser.add_argument("--http-seconds", type=float, default=20, help="measured seconds per HTTP run")
    parser.add_argument("--skip-recompute", action="store_true", help="skip sections 1-2")
    parser.add_argument("--skip-burst", action="store_true", help="skip section 3")
    parser.add_argument("--skip-http", action="store_true", help="skip section 4")
    parser.add_argument(
        "--http-with-worker", action="store_true", help="keep the worker recomputing during section 4 (same cores)"
    )
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a PostgreSQL server URL to create a database on")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="a Redis database this run may flush")
    args = parser.parse_args()

    import psycopg2
    import redis

    try:
        redis.Redis.from_url(args.redis, socket_connect_timeout=2).flushdb()
        database_url, drop = create_database(args.postgres)
    except (redis.RedisError, psycopg2.Error) as exc:
        sys.exit(f"The odds benchmarks need PostgreSQL ({args.postgres}) and Redis ({args.redis}): {exc}".strip())
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = args.redis
    os.environ["CONN_MAX_AGE"] = "60"
    services = []
    try:
        with tempfile.TemporaryDirectory(prefix="odds-bench-") as tmp:
            log_dir = Path(tmp)
            django_setup()
            from django.db import connections

            print(f"Loading {args.users:,} users x {args.categories} categories into {database_url} ...", flush=True)
            data = load(args.users, args.categories)
            # The category with the most contenders: Best Picture.
            args.category_id = max(data["categories"], key=lambda c: (len(data["categories"][c]), -c))
            print(f"  {data['ballots']:,} ballots, {data['picks']:,} picks in {data['load_s']:.0f} s", flush=True)
            rc = burst = web = None
            if not args.skip_recompute:
                print("1-2. recomputes ...", flush=True)
                rc = bench_recompute(data, args.category_id)
                connections.close_all()
            if not args.skip_burst:
                print(f"3. burst of {args.burst:,} saves ...", flush=True)
                worker = start_worker(log_dir)
                services.append(worker)
                burst = bench_burst(data, args.category_id, worker, saves=args.burst, processes=args.processes)
                if not args.http_with_worker:
                    worker.stop()  # both servers of section 4 get the same machine (recomputes were measured above)
            elif args.http_with_worker and not args.skip_http:
                services.append(start_worker(log_dir))
            if not args.skip_http:
                print(f"4. HTTP, {HTTP_CLIENTS} clients, {args.http_seconds:.0f} s per server ...", flush=True)
                web = bench_http(data, log_dir, seconds=args.http_seconds)
            for service in services:
                service.stop()
            report(args, data, rc, burst, web)
    finally:
        for service in services:
            service.stop()
        if "django.db" in sys.modules:
            sys.modules["django.db"].connections.close_all()
        drop()


if __name__ == "__main__":
    main()
