"""Celery tasks for e-mail, on the email queue so they never hold up results night's leaderboard work.

Their names match the "*.send_*" route (config/settings/base.py), but CELERY_TASK_ROUTES tries its patterns in
order and "leaderboards.*" comes first, so each task also names its queue: a task's own queue option wins over
the matched route (celery.app.routes.Router.route merges the route under the call's options)."""

from celery import shared_task
from django.db import OperationalError

# smtplib.SMTPException and socket errors are OSErrors: a mail server that is down or drops the connection.
RETRY_ON = (OSError, OperationalError)


@shared_task(acks_late=True, autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def send_score_emails(ceremony_id: int) -> int:
    # acks_late: the service sends each user at most once, so a redelivered task only sends what is left.
    from leaderboards.emails import score_emails_send

    return score_emails_send(ceremony_id=ceremony_id)


@shared_task(acks_late=True, autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def send_newsletter_confirmation(subscription_id: int) -> bool:
    from leaderboards.emails import newsletter_confirmation_send

    return newsletter_confirmation_send(subscription_id=subscription_id)
