"""The odds recompute on the real stack: PostgreSQL, Redis and a real Celery worker in another process.

Every save here commits for real (transactional tests), so its on-commit request goes to the real
broker and the worker, which reads the committed rows from the test database, does the recompute.
Skipped unless DATABASE_URL is PostgreSQL and REDIS_URL is set (tests/conftest.py).
"""

import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
import redis
from django.db import connection
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import User
from films.models import Contender
from predictions import services
from predictions.models import Ballot, Odds, OddsHistory, OddsState, Pick, Top24Member
from predictions.odds import compute_odds
from predictions.tasks import odds_recompute as odds_recompute_task

pytestmark = [pytest.mark.realstack, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SUCCEEDED = re.compile(r"Task predictions\.tasks\.odds_recompute\[[^\]]+\] succeeded")
# Bounds, not timings: a test that waits longer than this has found a lost update.
SETTLE_SECONDS = 30
REFLECT_SECONDS = 5


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log
        self.offset = 0

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def recomputes_since_mark(self) -> int:
        return len(SUCCEEDED.findall(self.text()[self.offset :]))

    def mark(self) -> None:
        self.offset = len(self.text())


def _database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@contextmanager
def running_worker(*, queues: str, hostname: str, log_path: Path):
    """A real prefork Celery worker in another process, on the test database, answering pings; stopped after."""
    from config.celery_app import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": os.environ["REDIS_URL"],
    }
    command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=prefork",
               "--concurrency=2", "-Q", queues, "--without-mingle", "--without-gossip", "--loglevel=INFO",
               "-n", hostname]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = Worker(process, log_path)
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not answer a ping within 30 s. Its log:\n{worker.text()[-6000:]}")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _clear_flags() -> None:
    """Scheduled-recompute flags left by an earlier run would hold back requests for their TTL."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter(match="*odds:scheduled:*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, tmp_path_factory):
    """A real prefork worker on the odds queue, against the test database pytest-django created."""
    from config.celery_app import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("odds")
    _clear_flags()
    hostname = f"realstack-{os.getpid()}@127.0.0.1"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    with running_worker(queues="default,odds", hostname=hostname, log_path=log_path) as worker:
        yield worker


@pytest.fixture
def worker(celery_worker, request):
    """The module's worker, with its log shown when the test fails."""
    assert celery_worker.process.poll() is None, f"the worker has exited:\n{celery_worker.text()[-6000:]}"
    _clear_flags()
    celery_worker.mark()
    failed_before = request.session.testsfailed
    yield celery_worker
    if request.session.testsfailed > failed_before:
        print(f"--- Celery worker log (this test) ---\n{celery_worker.text()[celery_worker.offset :][-12000:]}")


def _users(n: int, *, experts: int = 0, editors: int = 0) -> list[User]:
    tag = uuid.uuid4().hex[:8]
    roles = ["expert"] * experts + ["editor"] * editors + ["fan"] * (n - experts - editors)
    return User.objects.bulk_create(
        User(email=f"burst-{tag}-{i}@example.com", display_name=f"Burst {i}", role=role, password="!")
        for i, role in enumerate(roles)
    )


def _save_all(category, saves: list[tuple[User, list[int]]], threads: int = 8) -> None:
    """ballot_save from several threads at once, each save its own committed transaction."""

    def run(chunk):
        try:
            for user, ranking in chunk:
                services.ballot_save(user=user, category=category, ranking=ranking)
        finally:
            connection.close()

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(run, saves[i::threads]) for i in range(threads)]:
            future.result()


def _state(round_, category) -> OddsState | None:
    return OddsState.objects.filter(round=round_, category=category).first()


def _wait_settled(round_, category, *, versions: int, worker: Worker, timeout: float = SETTLE_SECONDS) -> OddsState:
    deadline = time.monotonic() + timeout
    while True:
        state = _state(round_, category)
        if state is not None and state.ballot_version >= versions and not state.is_stale:
            return state
        if time.monotonic() > deadline:
            version = state and (state.odds_version, state.ballot_version)
            pytest.fail(f"odds did not catch up within {timeout} s: (odds, ballot) version {version}")
        time.sleep(0.1)


def _recount(round_, category) -> pd.DataFrame:
    """The odds from scratch: first places counted in plain Python from the Pick rows, then the engine."""
    contender_ids = list(Contender.objects.filter(category=category, is_nominee=True).values_list("id", flat=True))
    top24 = set(Top24Member.objects.filter(ceremony_id=round_.ceremony_id).values_list("user_id", flat=True))
    hits, ballots = Counter(), Counter()
    firsts = Pick.objects.filter(round=round_, category=category, rank=1).values_list(
        "contender_id", "user__role", "user_id"
    )
    for contender_id, role, user_id in firsts:
        segments = ["all"]
        if role == "expert":
            segments.append("experts")
        if role == "editor":
            segments.append("editors")
        if user_id in top24:
            segments.append("top24")
        for segment in segments:
            hits[segment, contender_id] += 1
            ballots[segment] += 1
    frame = pd.DataFrame(
        [{"segment": s, "contender_id": c, "hits": n} for (s, c), n in hits.items()],
        columns=["segment", "contender_id", "hits"],
    )
    return compute_odds(frame, dict(ballots), contender_ids, slots=1)


def _stored(round_, category) -> dict:
    return {
        (o.segment, o.contender_id): (o.probability, o.rank, o.ballots)
        for o in Odds.objects.filter(round=round_, category=category)
    }


def _assert_equals_recount(round_, category) -> None:
    expected = {
        (r.segment, int(r.contender_id)): (float(r.probability), int(r.rank), int(r.ballots))
        for r in _recount(round_, category).itertuples(index=False)
    }
    stored = _stored(round_, category)
    assert set(stored) == set(expected)
    for key, (probability, rank, ballots) in expected.items():
        assert stored[key][0] == pytest.approx(probability, abs=1e-12), key
        assert stored[key][1:] == (rank, ballots), key


def _favourite(round_, category, segment: str = "all") -> list[int]:
    return sorted(
        Odds.objects.filter(round=round_, category=category, segment=segment, rank=1).values_list(
            "contender_id", flat=True
        )
    )


def _ranking(first: Contender, nominees: list[Contender]) -> list[int]:
    return [first.id] + [c.id for c in nominees if c != first]


def test_a_burst_of_saves_is_coalesced_and_ends_at_the_exact_recount(season, worker):
    round_, category, nominees = season["round"], season["picture"], season["nominees"]["picture"]
    users = _users(330, experts=20, editors=10)
    Top24Member.objects.bulk_create(
        Top24Member(ceremony=season["ceremony"], user=user, rank=rank) for rank, user in enumerate(users[5:29], 1)
    )
    rng = random.Random(3)
    firsts = rng.choices(nominees, weights=[5, 3, 2], k=len(users))
    saves = [(user, _ranking(first, nominees)) for user, first in zip(users, firsts, strict=True)]

    _save_all(category, saves)

    assert Ballot.objects.filter(round=round_, category=category).count() == len(saves)
    _wait_settled(round_, category, versions=len(saves), worker=worker)
    time.sleep(2 * services.COALESCE_SECONDS + 1)  # a request still queued would run now and be counted
    recomputes = worker.recomputes_since_mark()
    assert 1 <= recomputes <= len(saves) // 10, f"{recomputes} recomputes for {len(saves)} saves"
    assert not _state(round_, category).is_stale
    _assert_equals_recount(round_, category)
    assert set(_stored(round_, category)) >= {("experts", nominees[0].id), ("editors", nominees[0].id)}
    assert ("top24", nominees[0].id) in _stored(round_, category)
    history_times = OddsHistory.objects.filter(category=category, segment="all").values("recorded_at").distinct()
    assert 1 <= history_times.count() <= recomputes


def test_the_last_change_of_a_burst_is_never_lost(season, worker):
    round_, category, nominees = season["round"], season["picture"], season["nominees"]["picture"]
    nomadland, father = nominees[0], nominees[1]
    users = _users(121)
    saves = [(user, _ranking(nomadland if i % 2 == 0 else father, nominees)) for i, user in enumerate(users)]
    _save_all(category, saves)  # 61 for Nomadland, 60 for The Father
    _wait_settled(round_, category, versions=len(saves), worker=worker)
    assert _favourite(round_, category) == [nomadland.id]

    # One Nomadland voter changes their mind: 60 against 61, the favourite flips.
    services.ballot_save(user=users[0], category=category, ranking=_ranking(father, nominees))
    saved = time.monotonic()
    while _favourite(round_, category) != [father.id] or _state(round_, category).is_stale:
        assert time.monotonic() - saved < REFLECT_SECONDS, (
            f"the last save is not reflected after {REFLECT_SECONDS} s: favourite {_favourite(round_, category)}"
        )
        time.sleep(0.05)
    _assert_equals_recount(round_, category)
    assert _stored(round_, category)["all", father.id][1:] == (1, 121)


def _committed_elsewhere(ballot_id: int) -> bool:
    """Whether another connection (another thread) sees the ballot: it is committed, not just written."""
    seen = []

    def look():
        try:
            seen.append(Ballot.objects.filter(pk=ballot_id).exists())
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return seen == [True]


def test_a_save_with_the_broker_down_commits_and_the_sweep_catches_up(season, fan, worker, monkeypatch):
    round_, category, nominees = season["round"], season["picture"], season["nominees"]["picture"]

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(odds_recompute_task._get_current_object(), "apply_async", broker_down)
    ballot = services.ballot_save(user=fan, category=category, ranking=_ranking(nominees[2], nominees))

    assert _committed_elsewhere(ballot.pk)
    assert list(Pick.objects.filter(ballot=ballot).order_by("rank").values_list("contender_id", flat=True)) == (
        _ranking(nominees[2], nominees)
    )
    time.sleep(2 * services.COALESCE_SECONDS + 1)  # nothing reached the worker
    state = _state(round_, category)
    assert (state.odds_version, state.ballot_version) == (0, 1)
    assert not Odds.objects.filter(category=category).exists()

    monkeypatch.undo()  # the broker is back
    assert services.odds_sweep() == 1
    _wait_settled(round_, category, versions=1, worker=worker, timeout=10)
    assert _favourite(round_, category) == [nominees[2].id]
    _assert_equals_recount(round_, category)


def test_the_sweep_run_twice_is_harmless(season, worker, monkeypatch):
    round_, category, nominees = season["round"], season["picture"], season["nominees"]["picture"]
    users = _users(40)
    _save_all(category, [(user, _ranking(nominees[i % 3], nominees)) for i, user in enumerate(users)])
    _wait_settled(round_, category, versions=len(users), worker=worker)

    # A lost request (a worker killed, a message dropped): the save commits but nothing is queued.
    monkeypatch.setattr(services, "odds_request", lambda **kwargs: None)
    services.ballot_save(user=users[1], category=category, ranking=_ranking(nominees[0], nominees))
    monkeypatch.undo()
    assert _state(round_, category).is_stale

    worker.mark()
    assert services.odds_sweep() == 1
    services.odds_sweep()  # again, at once: coalesced with the first
    _wait_settled(round_, category, versions=len(users) + 1, worker=worker, timeout=10)
    time.sleep(2 * services.COALESCE_SECONDS + 1)
    assert 1 <= worker.recomputes_since_mark() <= 2
    _assert_equals_recount(round_, category)
    assert Odds.objects.filter(category=category).count() == 2 * len(nominees)  # all + combined, no duplicates

    # Caught up: two more sweeps request nothing and change nothing.
    before = list(Odds.objects.filter(category=category).values_list("contender_id", "probability", "computed_at"))
    history = OddsHistory.objects.filter(category=category).count()
    worker.mark()
    assert services.odds_sweep() == 0
    assert services.odds_sweep() == 0
    time.sleep(2 * services.COALESCE_SECONDS + 1)
    assert worker.recomputes_since_mark() == 0
    after = list(Odds.objects.filter(category=category).values_list("contender_id", "probability", "computed_at"))
    assert after == before
    assert OddsHistory.objects.filter(category=category).count() == history


def test_two_tabs_saving_one_ballot_at_once_leave_one_whole_ranking(season, worker):
    """Saves of the same ballot from several connections at once: each one runs whole, one after the other
    (the ballot's row lock), so the picks are always exactly one of the rankings saved, never a mix."""
    round_, category, nominees = season["round"], season["picture"], season["nominees"]["picture"]
    (user,) = _users(1)
    orders = [[c.id for c in order] for order in (nominees, nominees[::-1], nominees[1:] + nominees[:1])]
    rng = random.Random(7)
    saves = [(user, rng.choice(orders)) for _ in range(120)]

    _save_all(category, saves, threads=6)

    ballot = Ballot.objects.get(user=user, round=round_, category=category)
    picks = list(Pick.objects.filter(ballot=ballot).order_by("rank").values_list("rank", "contender_id"))
    assert [rank for rank, _ in picks] == list(range(1, len(nominees) + 1))
    assert [contender for _, contender in picks] in orders
    assert Pick.objects.filter(user=user).count() == len(nominees)
    state = _wait_settled(round_, category, versions=len(saves), worker=worker)
    assert state.ballot_version == len(saves)  # every save bumped the version once
    _assert_equals_recount(round_, category)
