import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_shows_name_role_member_since_and_bio(client):
    user = UserFactory(display_name="Best Guesser", role=User.Role.EXPERT, bio="Tracks the guilds.")

    page = client.get(reverse("accounts:profile", kwargs={"pk": user.pk})).content.decode()

    assert "<h1>Best Guesser" in page
    assert '<span class="badge badge-role">Expert</span>' in page
    assert f"Member since {user.date_joined:%B %Y}" in page
    assert "Tracks the guilds." in page
    assert "Edit profile" not in page


def test_profile_escapes_the_display_name_and_bio(client):
    # Straight through the ORM, past the validators: the template alone must make it harmless.
    user = User.objects.create(email="raw@example.com", display_name="<b>x</b>", bio="<i>bio</i>")

    page = client.get(reverse("accounts:profile", kwargs={"pk": user.pk})).content.decode()

    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
    assert "&lt;i&gt;bio&lt;/i&gt;" in page
    assert "<i>bio</i>" not in page


def test_signed_in_user_with_markup_name_is_escaped_in_the_header(client):
    user = User.objects.create(email="raw@example.com", display_name="<b>x</b>")
    client.force_login(user)

    page = client.get(reverse("accounts:profile", kwargs={"pk": user.pk})).content.decode()

    assert "<b>x</b>" not in page


@pytest.mark.parametrize("pk", ["inactive", 999999])
def test_profile_of_an_inactive_or_unknown_user_is_404(client, pk):
    if pk == "inactive":
        pk = UserFactory(is_active=False).pk

    assert client.get(reverse("accounts:profile", kwargs={"pk": pk})).status_code == 404


def test_owner_edits_their_profile(client):
    user = UserFactory(display_name="Old Name")
    client.force_login(user)
    url = reverse("accounts:profile_edit")
    assert 'value="Old Name"' in client.get(url).content.decode()

    response = client.post(url, {"display_name": "  New   Name ", "bio": "Loves the shorts categories."})

    assert response["Location"] == user.get_absolute_url()
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("New Name", "Loves the shorts categories.")
    page = client.get(response["Location"]).content.decode()
    assert "Your profile is saved." in page
    assert "Loves the shorts categories." in page


def test_owner_may_change_only_the_case_of_their_own_name(client):
    user = UserFactory(display_name="quiet fan")
    client.force_login(user)

    client.post(reverse("accounts:profile_edit"), {"display_name": "Quiet Fan", "bio": ""})

    user.refresh_from_db()
    assert user.display_name == "Quiet Fan"


def test_profile_edit_refuses_a_name_someone_else_has(client):
    UserFactory(display_name="Taken")
    user = UserFactory(display_name="Mine")
    client.force_login(user)

    response = client.post(reverse("accounts:profile_edit"), {"display_name": "TAKEN", "bio": "x"})

    assert "That display name is taken." in response.content.decode()
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Mine", "")


def test_profile_edit_redirects_anonymous_to_login(client):
    url = reverse("accounts:profile_edit")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
