from celery import shared_task
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def leaderboard_recompute(ceremony_id: int) -> None:
    from leaderboards.services import leaderboard_recompute_requested  # the service is idempotent

    leaderboard_recompute_requested(ceremony_id=ceremony_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def leaderboard_sweep() -> int:
    from leaderboards.services import leaderboard_sweep

    return leaderboard_sweep()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def picks_prime() -> int:
    from leaderboards.services import picks_prime

    return picks_prime()
