"""E-mail after results night (issue 4, point 6): the record of every score e-mail sent, and the newsletter's
double opt-in subscriptions. Imported at the bottom of leaderboards/models.py so Django registers them."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from films.models import Ceremony


class ScoreEmail(models.Model):
    """One user's score e-mail for one ceremony. The row is written in the same transaction that sends it, so
    its unique constraint is what makes each user get the e-mail at most once however often the task runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_emails")
    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="score_emails")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ceremony"], name="score_email_unique")]

    def __str__(self) -> str:
        return f"Score e-mail to {self.user} for {self.ceremony}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class NewsletterSubscription(models.Model):
    """An address on the newsletter list. It receives newsletters only once confirmed (double opt-in) and until
    unsubscribed. `token` is the secret in its unsubscribe link; the confirmation link signs it with a time limit."""

    email = models.EmailField("e-mail address")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="newsletter_email_unique_ci")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        """Whether newsletters go to this address."""
        return self.confirmed_at is not None and self.unsubscribed_at is None
