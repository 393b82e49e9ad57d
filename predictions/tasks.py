from celery import shared_task
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def odds_recompute(round_id: int, category_id: int) -> None:
    from predictions.services import odds_recompute_requested  # the service is idempotent

    odds_recompute_requested(round_id=round_id, category_id=category_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def odds_sweep() -> int:
    from predictions.services import odds_sweep

    return odds_sweep()
