"""E-mail after results night (issue 4, point 6): every participant's score e-mail, and the newsletter's double
opt-in and one-click unsubscribe. Services in the house style; the Celery tasks are in email_tasks.py.

Score e-mails are sent in batches, one transaction and one mail connection per batch. Within a batch the
ScoreEmail rows are inserted *before* the messages go out, and committed only after the connection has handed
them all over:
- run twice, or by two workers at once, nobody gets a second e-mail: each batch first locks the ceremony row
  (FOR NO KEY UPDATE, so it blocks only other senders of the same ceremony, not inserts that reference it), then
  reads who has no ScoreEmail yet; the unique (user, ceremony) constraint with ignore_conflicts is the last guard;
- a failure while sending (SMTP down, worker killed) rolls the batch's rows back, so a retry sends that batch
  again: at most one batch can be sent twice, and no participant is skipped for good. We prefer that to
  committing the rows first, which could lose a batch of e-mails without a trace.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from films.models import Ceremony, Round, ordinal
from leaderboards.models import NewsletterSubscription, ScoreEmail, Standing
from leaderboards.promotion import results_final
from predictions.models import Segment

CONFIRM_SALT = "leaderboards.newsletter.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 60 * 60  # seconds: a confirmation link works for 7 days
BAD_CONFIRM_LINK = "This confirmation link is not valid. Sign up again to get a new one."


def site_url(path: str) -> str:
    """An absolute URL for e-mails, which have no request to build one from."""
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def single_line(text: str) -> str:
    """A header value: e-mail headers cannot hold line breaks."""
    return " ".join(text.split())


# --- score e-mails --------------------------------------------------------------------------------------------------


def accuracy_text(accuracy: float) -> str:
    return f"{accuracy * 100:.1f}".removesuffix(".0") + "%"


def points_text(points: float) -> str:
    value = round(points, 1)
    if value == 0:
        return "0"
    text = f"{abs(value):,.1f}".removesuffix(".0")
    return f"+{text}" if value > 0 else f"−{text}"


def rank_text(rank: int, *, total: int, tied: bool) -> str:
    """'12th of 2,033', or 'joint 12th of 2,033' when others share the rank."""
    return f"{'joint ' if tied else ''}{ordinal(rank)} of {total:,}"


def score_email_message(*, standing: Standing, ceremony: Ceremony, total: int, tied: bool) -> EmailMessage:
    user = standing.user
    context = {
        "user": user,
        "ceremony": ceremony,
        "standing": standing,
        "rank": rank_text(standing.rank, total=total, tied=tied),
        "accuracy": accuracy_text(standing.accuracy),
        "points": points_text(standing.points),
        "card_url": site_url(
            reverse(
                "leaderboards:card",
                kwargs={"show": ceremony.show.slug, "number": ceremony.number, "user_id": user.id},
            )
        ),
        "leaderboard_url": site_url(
            reverse("leaderboards:leaderboard", kwargs={"show": ceremony.show.slug, "number": ceremony.number})
        ),
        "site_name": settings.SITE_NAME,
    }
    subject = single_line(render_to_string("leaderboards/email/score_subject.txt", context))
    body = render_to_string("leaderboards/email/score.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


def score_emails_send(*, ceremony_id: int, batch_size: int = 500, now: datetime | None = None) -> int:
    """E-mail every participant of the ceremony (a user with a winners-round standing, segment All users) their
    rank, accuracy, points and a link to their card, once the results are final. Each user gets it at most once,
    however often this runs (see the module docstring for the batch and crash trade-off). Returns how many were
    sent by this call; 0 while the results are not final."""
    ceremony = Ceremony.objects.select_related("show").get(pk=ceremony_id)
    if not results_final(ceremony=ceremony):
        return 0
    winners_round = Round.objects.get(ceremony=ceremony, kind=Round.Kind.WINNERS)
    board = Standing.objects.filter(round=winners_round, segment=Segment.ALL)
    # One read of how many share each rank: "joint 3rd" and the "of 2,033".
    per_rank = dict(board.order_by().values_list("rank").annotate(n=Count("id")).values_list("rank", "n"))
    total = sum(per_rank.values())
    sent = 0
    while True:
        with transaction.atomic():
            # Serialise the senders of this ceremony; see the module docstring.
            Ceremony.objects.select_for_update(no_key=True).filter(pk=ceremony_id).exists()
            batch = list(
                board.filter(~Exists(ScoreEmail.objects.filter(ceremony_id=ceremony_id, user_id=OuterRef("user_id"))))
                .select_related("user")
                .order_by("rank", "user_id")[:batch_size]
            )
            if not batch:
                return sent
            stamp = now or timezone.now()
            ScoreEmail.objects.bulk_create(
                [ScoreEmail(user_id=s.user_id, ceremony_id=ceremony_id, sent_at=stamp) for s in batch],
                ignore_conflicts=True,
            )
            messages = [
                score_email_message(standing=s, ceremony=ceremony, total=total, tied=per_rank.get(s.rank, 0) > 1)
                for s in batch
            ]
            # One connection for the batch; an error raises and rolls this batch's ScoreEmail rows back.
            with mailers.default as connection:
                connection.send_messages(messages)
            sent += len(messages)


# --- newsletter -----------------------------------------------------------------------------------------------------


def newsletter_confirm_token(subscription: NewsletterSubscription) -> str:
    return signing.dumps(subscription.token, salt=CONFIRM_SALT)


def newsletter_unsubscribe_url(subscription: NewsletterSubscription) -> str:
    return site_url(reverse("newsletter:unsubscribe", kwargs={"token": subscription.token}))


@transaction.atomic
def newsletter_subscribe(*, email: str, now: datetime | None = None) -> NewsletterSubscription:
    """Put `email` on the list, unconfirmed, and send it a confirmation link (after commit), unless it is already
    subscribed and confirmed. The caller shows the same message either way, so the form reveals nothing about
    which addresses are on the list. An address that unsubscribed can sign up again (confirming again)."""
    from leaderboards.email_tasks import send_newsletter_confirmation as send_newsletter_confirmation_task

    now = now or timezone.now()
    email = User.objects.normalize_email(email.strip())
    subscription = NewsletterSubscription(email=email, created_at=now)
    subscription.full_clean(validate_constraints=False)
    existing = NewsletterSubscription.objects.select_for_update().filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                subscription.save()
        except IntegrityError:  # the same address signed up at the same moment
            existing = NewsletterSubscription.objects.select_for_update().get(email__iexact=email)
    if existing is not None:
        subscription = existing
        if subscription.is_active:
            return subscription
    send_newsletter_confirmation_task.delay_on_commit(subscription.id)
    return subscription


def newsletter_confirmation_send(*, subscription_id: int) -> bool:
    """Send the confirmation e-mail with its signed link (valid 7 days). False, sending nothing, if the
    subscription is gone or already confirmed and active."""
    subscription = NewsletterSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.is_active:
        return False
    context = {
        "confirm_url": site_url(
            reverse("newsletter:confirm", kwargs={"token": newsletter_confirm_token(subscription)})
        ),
        "days": CONFIRM_MAX_AGE // (24 * 60 * 60),
        "site_name": settings.SITE_NAME,
        "email": subscription.email,
    }
    subject = single_line(render_to_string("leaderboards/email/newsletter_confirm_subject.txt", context))
    body = render_to_string("leaderboards/email/newsletter_confirm.txt", context)
    EmailMessage(subject=subject, body=body, to=[subscription.email]).send()
    return True


@transaction.atomic
def newsletter_confirm(*, signed_token: str, now: datetime | None = None) -> NewsletterSubscription:
    """Confirm the subscription a confirmation link names (double opt-in). Idempotent. Raises ValidationError
    for a link that is tampered with, unknown or older than 7 days."""
    now = now or timezone.now()
    try:
        token = signing.loads(signed_token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            "This confirmation link has expired. Sign up again to get a new one.", code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(BAD_CONFIRM_LINK, code="bad") from None
    subscription = NewsletterSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        raise ValidationError(BAD_CONFIRM_LINK, code="bad")
    if not subscription.is_active:
        subscription.confirmed_at = now
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
    return subscription


@transaction.atomic
def newsletter_unsubscribe(*, token: str, now: datetime | None = None) -> NewsletterSubscription:
    """Take the address of an unsubscribe link off the list. Idempotent. Raises ValidationError for an unknown
    token."""
    now = now or timezone.now()
    subscription = NewsletterSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        raise ValidationError("This unsubscribe link is not valid.", code="bad")
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = now
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


def newsletter_message(*, subscription: NewsletterSubscription, subject: str, body: str) -> EmailMessage:
    """A newsletter e-mail to one subscriber: the unsubscribe link in its footer and the RFC 2369 / RFC 8058
    headers that let mail clients offer one-click unsubscribe (a POST of List-Unsubscribe=One-Click)."""
    url = newsletter_unsubscribe_url(subscription)
    footer = f"\n\n--\nYou get this because you subscribed to the {settings.SITE_NAME} newsletter.\n"
    footer += f"Unsubscribe: {url}\n"
    return EmailMessage(
        subject=single_line(subject),
        body=body.rstrip() + footer,
        to=[subscription.email],
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
