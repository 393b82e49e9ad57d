import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new secret 42"


def test_login_page_labels_the_field_e_mail(client):
    page = client.get(reverse("accounts:login")).content.decode()

    assert ">E-mail:</label>" in page
    assert 'type="email"' in page


def test_login_by_email_in_another_case(client):
    user = UserFactory(email="Mixed.Case@example.com")

    response = client.post(reverse("accounts:login"), {"username": "MIXED.case@EXAMPLE.com", "password": PASSWORD})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_login_with_a_wrong_password_shows_an_error(client):
    UserFactory(email="fan@example.com")

    response = client.post(reverse("accounts:login"), {"username": "fan@example.com", "password": "wrong"})

    assert response.status_code == 200
    assert "don&#x27;t match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_requires_post(client):
    client.force_login(UserFactory())

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "Password changed" in client.get(response["Location"]).content.decode()  # still logged in


def test_password_change_with_a_wrong_old_password_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert "Your old password was entered incorrectly" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_needs_login(client):
    response = client.get(reverse("accounts:password_change"))

    assert response["Location"].startswith(reverse("accounts:login"))


def test_password_reset_sends_one_plain_text_email_whose_link_sets_a_new_password(client, settings):
    user = UserFactory(email="reset.me@example.com", display_name="O'Brien")

    response = client.post(reverse("accounts:password_reset"), {"email": "RESET.me@example.com"})

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reset.me@example.com"]
    assert settings.SITE_NAME in message.subject
    assert f"your {settings.SITE_NAME} account" in message.body
    assert "Hello O'Brien," in message.body  # plain text: not HTML-escaped
    assert not message.alternatives
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    # Django swaps the token for a session marker and redirects to the form.
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []
