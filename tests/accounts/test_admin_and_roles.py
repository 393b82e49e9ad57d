import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_editor_opens_the_film_admin(client):
    client.force_login(UserFactory(role=User.Role.EDITOR))

    response = client.get("/admin/films/film/")

    assert response.status_code == 200
    assert "Select film to change" in response.content.decode()


def test_fan_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory(role=User.Role.FAN))

    response = client.get("/admin/films/film/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_role_backend_gives_editors_the_catalogue_permissions_only():
    editor = UserFactory(role=User.Role.EDITOR)
    fan = UserFactory(role=User.Role.FAN)

    assert editor.has_perm("films.change_film")
    assert not editor.has_perm("accounts.change_user")
    assert not fan.has_perm("films.change_film")


def test_superuser_lists_and_adds_users_in_the_admin(client):
    admin = User.objects.create_superuser("root@example.com", "a long admin password", display_name="Root")
    UserFactory(email="fan@example.com", display_name="Listed Fan")
    client.force_login(admin)

    listing = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "fan@example.com" in listing
    assert "Listed Fan" in listing

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "added@example.com",
            "display_name": "Added Here",
            "usable_password": "true",
            "password1": "another long secret 9",
            "password2": "another long secret 9",
        },
    )
    assert response.status_code == 302
    added = User.objects.get(email="added@example.com")
    assert added.check_password("another long secret 9")
    assert added.role == User.Role.FAN


def test_superuser_changes_a_role_in_the_admin(client):
    admin = User.objects.create_superuser("root@example.com", "a long admin password", display_name="Root")
    fan = UserFactory()
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[fan.pk])
    assert 'name="role"' in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "email": fan.email,
            "display_name": fan.display_name,
            "bio": "",
            "role": User.Role.EXPERT,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    fan.refresh_from_db()
    assert fan.role == User.Role.EXPERT


def test_staff_without_superuser_sees_privileges_read_only(client, rf):
    from django.contrib.admin.sites import site

    moderator = UserFactory(role=User.Role.MODERATOR)
    request = rf.get("/")
    request.user = moderator
    model_admin = site._registry[User]

    readonly = model_admin.get_readonly_fields(request, obj=moderator)

    assert {"role", "is_superuser", "groups", "user_permissions"} <= set(readonly)
