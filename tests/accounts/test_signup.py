import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.services import user_sign_up
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def sign_up(client, *, email="new@example.com", display_name="New Fan", password=PASSWORD, next_url=None):
    data = {"email": email, "display_name": display_name, "password1": password, "password2": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("accounts:signup"), data)


def test_signup_page_shows_the_form(client):
    response = client.get(reverse("accounts:signup"))

    assert response.status_code == 200
    assert 'name="display_name"' in response.content.decode()


def test_signup_creates_a_fan_logs_in_and_redirects_to_the_profile(client):
    response = sign_up(client, email="New@Example.COM", display_name="  Awards   Watcher ")

    user = User.objects.get()
    assert (user.email, user.display_name, user.role) == ("New@example.com", "Awards Watcher", User.Role.FAN)
    assert user.check_password(PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == user.get_absolute_url()
    page = client.get(response["Location"]).content.decode()
    assert "Edit profile" in page  # only the signed-in owner sees it
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signup_follows_a_safe_next_and_ignores_another_host(client):
    response = sign_up(client, next_url="/films/")
    assert response["Location"] == "/films/"

    client.logout()
    response = sign_up(client, email="other@example.com", display_name="Other Fan", next_url="https://evil.example/")
    assert response["Location"] == User.objects.get(email="other@example.com").get_absolute_url()


def test_display_name_taken_in_another_case_and_spacing_is_refused(client):
    UserFactory(display_name="Oscar Watcher")

    response = sign_up(client, display_name="  oscar   WATCHER ")

    assert response.status_code == 200
    assert "That display name is taken." in response.content.decode()
    assert User.objects.count() == 1


def test_email_taken_in_another_case_is_refused(client):
    UserFactory(email="fan@example.com")

    response = sign_up(client, email="FAN@example.com")

    assert "An account with that e-mail address already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_markup_in_display_name_is_refused_and_not_echoed(client):
    response = sign_up(client, display_name="<script>alert(1)</script>")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Use letters, digits, spaces and . &#x27; - only" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the input is given back, escaped
    assert not User.objects.exists()


@pytest.mark.parametrize("name", ["x" * 41, "x"])
def test_display_name_length_is_enforced(client, name):
    response = sign_up(client, display_name=name)

    page = response.content.decode()
    assert "at most 40 characters" in page or "2 to 40 characters" in page
    assert not User.objects.exists()


def test_password_validators_and_confirmation_apply(client):
    response = sign_up(client, password="123")
    assert "This password is too short" in response.content.decode()

    response = client.post(
        reverse("accounts:signup"),
        {"email": "a@example.com", "display_name": "Fan A", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert "The two password fields didn’t match." in response.content.decode()
    assert not User.objects.exists()


def test_signed_in_user_is_sent_to_their_profile(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("accounts:signup"))

    assert response["Location"] == user.get_absolute_url()


def test_sign_up_service_validates_on_its_own():
    UserFactory(display_name="Taken Name")

    with pytest.raises(ValidationError) as excinfo:
        user_sign_up(email="x@example.com", display_name="TAKEN name", password=PASSWORD)

    assert excinfo.value.message_dict == {"display_name": ["That display name is taken."]}
    assert User.objects.count() == 1
