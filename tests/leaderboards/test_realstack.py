"""The leaderboard recompute on the real stack: PostgreSQL, Redis and a real Celery worker in another process.

An announcement commits for real (transactional test), so its on-commit request goes to the real broker and the
worker on the leaderboards queue runs the recompute against the committed rows. Skipped unless DATABASE_URL is
PostgreSQL and REDIS_URL is set (tests/conftest.py). The worker plumbing is the odds test's.
"""

import os
import time
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from leaderboards import services
from leaderboards.models import LeaderboardState, Standing
from predictions.services import ballot_save
from tests.factories import UserFactory
from tests.predictions.test_realstack import running_worker

pytestmark = [pytest.mark.realstack, pytest.mark.django_db(transaction=True)]

# A bound, not a timing: waiting longer than this means the recompute was lost.
SETTLE_SECONDS = 30
FIELDS = ["round_id", "segment", "user_id", "rank", "correct", "decided", "predicted", "accuracy", "points",
          "final_saved_at", "best_rank", "worst_rank"]  # fmt: skip


def _clear_flags() -> None:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter(match="*leaderboards:scheduled:*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def leaderboard_worker(django_db_setup, tmp_path_factory):
    """A real prefork worker on the leaderboards queue (and odds: the ballots' own requests), on the test database."""
    from config.celery_app import app

    with app.connection_for_write() as conn:
        for queue in ("leaderboards", "odds"):
            conn.default_channel.queue_purge(queue)
    _clear_flags()
    hostname = f"realstack-lb-{os.getpid()}@127.0.0.1"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    with running_worker(queues="default,odds,leaderboards", hostname=hostname, log_path=log_path) as worker:
        yield worker


def _snapshot(ceremony) -> list[tuple]:
    return list(
        Standing.objects.filter(round__ceremony=ceremony)
        .order_by("round_id", "segment", "user_id")
        .values_list(*FIELDS)
    )


def test_an_announcement_is_recomputed_by_the_worker_and_equals_a_recompute_from_scratch(
    season, fan, expert, editor, leaderboard_worker
):
    assert leaderboard_worker.process.poll() is None, leaderboard_worker.text()[-6000:]
    _clear_flags()
    picture, editing = season["nominees"]["picture"], season["nominees"]["editing"]
    others = [UserFactory(display_name=f"Player {i}") for i in range(6)]
    for i, user in enumerate([fan, expert, editor, *others]):
        first = picture[i % len(picture)]
        ballot_save(user=user, category=season["picture"], ranking=[first.id], now=season["now"] - timedelta(hours=i))
        ballot_save(user=user, category=season["editing"], ranking=[editing[i % 2].id], now=season["now"])
    season["round"].closes_at = timezone.now()
    season["round"].save(update_fields=["closes_at"])
    assert not Standing.objects.exists()

    services.result_announce(editor=editor, category=season["picture"], contender_ids=[picture[0].id])

    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        state = LeaderboardState.objects.get(ceremony=season["ceremony"])
        if state.version and not state.is_stale and Standing.objects.filter(round=season["round"]).exists():
            break
        assert time.monotonic() < deadline, (
            f"no recompute within {SETTLE_SECONDS} s (v{state.computed_version}/{state.version}). Worker log:\n"
            f"{leaderboard_worker.text()[-8000:]}"
        )
        time.sleep(0.2)
    assert "leaderboards.tasks.leaderboard_recompute" in leaderboard_worker.text()
    by_worker = _snapshot(season["ceremony"])
    assert len([row for row in by_worker if row[1] == "all"]) == 9

    services.picks_cache_clear()  # this process reads every pick again: from scratch
    services.leaderboard_recompute(ceremony_id=season["ceremony"].id)
    assert _snapshot(season["ceremony"]) == by_worker
