"""Issue 4, point 6: the score e-mail after a ceremony is final (once per user, batched) and the newsletter's
double opt-in and one-click unsubscribe."""

import smtplib
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from films.models import Round
from leaderboards.email_tasks import send_score_emails
from leaderboards.emails import newsletter_message, score_emails_send
from leaderboards.models import Announcement, LeaderboardState, NewsletterSubscription, ScoreEmail, Standing
from tests.factories import CategoryFactory, CeremonyFactory, ContenderFactory, UserFactory
from tests.helpers import page_text
from tests.leaderboards.conftest import index_boards

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def final(db):
    """A ceremony whose one category has its winner announced and whose standings are current, with five
    participants on the winners-round board (two of them tied 2nd) and one on the experts board only."""
    ceremony = CeremonyFactory(number=93)
    round_ = Round.objects.create(
        ceremony=ceremony, kind=Round.Kind.WINNERS, opens_at=NOW - timedelta(days=9), closes_at=NOW - timedelta(days=2)
    )
    category = CategoryFactory(ceremony=ceremony)
    contender = ContenderFactory(category=category, is_winner=True)
    Announcement.objects.create(
        category=category, contender=contender, announced_by=UserFactory(role="editor"), announced_at=NOW
    )
    state = LeaderboardState.objects.create(ceremony=ceremony, version=1, computed_version=1, computed_at=NOW)
    users = [UserFactory(display_name=name) for name in ("Ada", "Seán O'Brien", "Cy", "Di", "Ed")]
    rows = [(1, 4, 4, 412.5), (2, 3, 4, 120.0), (2, 3, 4, 120.0), (4, 2, 4, -100.0), (5, 0, 4, -400.0)]
    for user, (rank, correct, decided, points) in zip(users, rows, strict=True):
        Standing.objects.create(
            round=round_,
            segment="all",
            user=user,
            rank=rank,
            correct=correct,
            decided=decided,
            predicted=decided,
            accuracy=correct / decided,
            points=points,
            final_saved_at=NOW - timedelta(days=3),
            position=0,  # index_boards sets it
        )
    index_boards()
    return {"ceremony": ceremony, "round": round_, "users": users, "state": state}


def to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


# --- score e-mails --------------------------------------------------------------------------------------------------


def test_nothing_is_sent_before_the_results_are_final(final):
    LeaderboardState.objects.filter(pk=final["state"].pk).update(version=2)  # standings behind an announcement
    assert score_emails_send(ceremony_id=final["ceremony"].id) == 0
    assert mail.outbox == [] and ScoreEmail.objects.count() == 0

    LeaderboardState.objects.filter(pk=final["state"].pk).update(computed_version=2)
    assert score_emails_send(ceremony_id=final["ceremony"].id) == 5


def test_every_participant_gets_one_email_in_batches_and_a_second_run_sends_none(final):
    assert score_emails_send(ceremony_id=final["ceremony"].id, batch_size=2) == 5

    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in final["users"])
    assert ScoreEmail.objects.filter(ceremony=final["ceremony"]).count() == 5

    assert score_emails_send(ceremony_id=final["ceremony"].id, batch_size=2) == 0
    assert send_score_emails.delay(final["ceremony"].id).get() == 0
    assert len(mail.outbox) == 5


def test_a_user_another_run_already_emailed_is_skipped(final):
    ada = final["users"][0]
    ScoreEmail.objects.create(user=ada, ceremony=final["ceremony"], sent_at=NOW)

    assert score_emails_send(ceremony_id=final["ceremony"].id) == 4
    assert to(ada) == [] and len(mail.outbox) == 4


def test_a_mail_server_failure_rolls_back_only_its_batch_and_a_retry_sends_the_rest(final, monkeypatch):
    real_send = EmailBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(len(messages))
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        score_emails_send(ceremony_id=final["ceremony"].id, batch_size=2)
    assert len(mail.outbox) == 2
    assert ScoreEmail.objects.count() == 2  # the failed batch's rows were rolled back

    assert score_emails_send(ceremony_id=final["ceremony"].id, batch_size=2) == 3
    assert len(mail.outbox) == 5
    assert len({m.to[0] for m in mail.outbox}) == 5


def test_the_email_gives_rank_accuracy_points_and_the_card_link(final, settings):
    settings.SITE_URL = "https://frontrunner.example"
    ceremony = final["ceremony"]
    ada, sean, *_ = final["users"]

    send_score_emails.delay(ceremony.id)

    (first,) = to(ada)
    assert first.subject == f"Your {ceremony.title} score: 1st of 5"
    assert "Rank:     1st of 5" in first.body
    assert "Accuracy: 100% (4 of 4 categories right)" in first.body
    assert "Points:   +412.5" in first.body
    card = f"https://frontrunner.example/ceremonies/{ceremony.show.slug}/93/leaderboard/{ada.id}/"
    assert card in first.body
    assert f"https://frontrunner.example/ceremonies/{ceremony.show.slug}/93/leaderboard/" in first.body
    assert first.content_subtype == "plain"  # plain text only

    (second,) = to(sean)
    assert "Rank:     joint 2nd of 5" in second.body
    assert "Accuracy: 75% (3 of 4 categories right)" in second.body
    assert "Points:   +120" in second.body
    # Plain text: the apostrophe stays an apostrophe.
    assert "Hello Seán O'Brien," in second.body and "&#x27;" not in second.body
    (last,) = to(final["users"][4])
    assert "Points:   −400" in last.body and "5th of 5" in last.body


def test_the_task_runs_on_the_email_queue():
    from config.celery_app import app

    assert send_score_emails.name == "leaderboards.email_tasks.send_score_emails"
    # Routed as apply_async routes it: the task's own options, then CELERY_TASK_ROUTES ("leaderboards.*" first).
    route = app.amqp.router.route(send_score_emails._get_exec_options(), send_score_emails.name)
    assert route["queue"].name == "email"
    assert app.amqp.router.route({}, "leaderboards.tasks.leaderboard_recompute")["queue"].name == "leaderboards"


# --- newsletter -----------------------------------------------------------------------------------------------------


def confirm_link(message):
    (line,) = [w for w in message.body.split() if "/newsletter/confirm/" in w]
    return line.split("127.0.0.1:8000", 1)[1]


def test_double_opt_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("newsletter:signup"), {"email": "Reader@Example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("newsletter:sent")
    subscription = NewsletterSubscription.objects.get()
    assert subscription.email == "Reader@example.com" and not subscription.is_active
    (message,) = mail.outbox
    assert message.to == ["Reader@example.com"] and "within 7 days" in message.body

    # Opening the link (as a mail filter's link scanner would) only asks: nothing is confirmed on GET.
    asked = client.get(confirm_link(message))
    assert asked.status_code == 200 and "Confirm your subscription" in page_text(asked)
    assert (
        f'action="{confirm_link(message)}"' in asked.content.decode()
        and "csrfmiddlewaretoken" in asked.content.decode()
    )
    subscription.refresh_from_db()
    assert not subscription.is_active

    response = client.post(confirm_link(message))
    assert response.status_code == 200
    assert "You're subscribed" in page_text(response) and "Reader@example.com" in page_text(response)
    subscription.refresh_from_db()
    assert subscription.is_active
    assert client.post(confirm_link(message)).status_code == 200  # twice: still fine


def test_confirming_needs_the_csrf_token(django_capture_on_commit_callbacks):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("newsletter:signup"), {"email": "reader@example.com"})
    (message,) = mail.outbox
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(confirm_link(message)).status_code == 403
    assert not NewsletterSubscription.objects.get().is_active


def test_signing_up_twice_says_the_same_and_does_not_reveal_the_address(client, django_capture_on_commit_callbacks):
    sent = reverse("newsletter:sent")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("newsletter:signup"), {"email": "reader@example.com"}, follow=True)
    client.post(confirm_link(mail.outbox[0]))
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("newsletter:signup"), {"email": "READER@example.com"}, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post(reverse("newsletter:signup"), {"email": "someone@example.com"}, follow=True)

    assert first.redirect_chain == again.redirect_chain == new.redirect_chain == [(sent, 302)]
    assert page_text(first) == page_text(again) == page_text(new)
    assert NewsletterSubscription.objects.filter(email__iexact="reader@example.com").count() == 1
    # The confirmed address gets nothing more; the new one its confirmation.
    assert [m.to for m in mail.outbox] == [["reader@example.com"], ["someone@example.com"]]


def test_a_signed_in_user_finds_their_address_filled_in(client):
    user = UserFactory(email="fan@example.com")
    client.force_login(user)
    response = client.get(reverse("newsletter:signup"))
    assert response.status_code == 200
    assert 'value="fan@example.com"' in response.content.decode()


def test_bad_or_expired_confirmation_links_get_a_friendly_page(client, monkeypatch):
    subscription = NewsletterSubscription.objects.create(email="late@example.com", created_at=NOW)
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 8 * 24 * 3600)
    old = signing.dumps(subscription.token, salt="leaderboards.newsletter.confirm")
    monkeypatch.setattr(signing.time, "time", real_time)

    expired = client.post(reverse("newsletter:confirm", kwargs={"token": old}))
    assert expired.status_code == 400 and "This confirmation link has expired" in page_text(expired)
    bad = client.post(reverse("newsletter:confirm", kwargs={"token": subscription.token}))  # unsigned
    assert bad.status_code == 400 and "This confirmation link is not valid" in page_text(bad)
    unknown = signing.dumps("no-such-token", salt="leaderboards.newsletter.confirm")
    assert client.post(reverse("newsletter:confirm", kwargs={"token": unknown})).status_code == 400
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


@pytest.fixture
def subscribed(db):
    return NewsletterSubscription.objects.create(email="reader@example.com", created_at=NOW, confirmed_at=NOW)


def test_unsubscribe_shows_a_button_then_unsubscribes_on_post(subscribed):
    client = Client(enforce_csrf_checks=True)
    url = reverse("newsletter:unsubscribe", kwargs={"token": subscribed.token})

    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe from the newsletter?" in page_text(page)
    assert f'action="{url}"' in page.content.decode()
    subscribed.refresh_from_db()
    assert subscribed.is_active  # a GET (a link scanner) changes nothing

    done = client.post(url)
    assert done.status_code == 200 and "You're unsubscribed" in page_text(done)
    subscribed.refresh_from_db()
    assert subscribed.unsubscribed_at is not None and not subscribed.is_active


def test_one_click_unsubscribe_from_a_mail_client(subscribed):
    message = newsletter_message(subscription=subscribed, subject="This week\nin awards", body="News.")
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Unsubscribe: {url}" in message.body and message.subject == "This week in awards"

    # RFC 8058: no cookies, no CSRF token, just the form body.
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix("http://127.0.0.1:8000"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    subscribed.refresh_from_db()
    assert not subscribed.is_active


def test_an_unknown_unsubscribe_token_gets_a_friendly_page(client, subscribed):
    response = client.post(reverse("newsletter:unsubscribe", kwargs={"token": "nope"}))
    assert response.status_code == 400 and "This unsubscribe link is not valid." in page_text(response)
    subscribed.refresh_from_db()
    assert subscribed.is_active


def test_signing_up_again_after_unsubscribing_needs_a_new_confirmation(
    client, subscribed, django_capture_on_commit_callbacks
):
    subscribed.unsubscribed_at = NOW
    subscribed.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("newsletter:signup"), {"email": "reader@example.com"})
    (message,) = mail.outbox
    client.post(confirm_link(message))
    subscribed.refresh_from_db()
    assert subscribed.is_active


def test_the_signup_form_escapes_what_it_echoes(client):
    response = client.post(reverse("newsletter:signup"), {"email": '"><script>alert(1)</script>'})
    html = response.content.decode()
    assert response.status_code == 200 and NewsletterSubscription.objects.count() == 0
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Enter a valid email address." in page_text(response)
