from django.contrib.auth.backends import ModelBackend

# What each role may do in the admin, on top of any permission granted by hand.
ROLE_APP_PERMISSIONS = {
    "editor": {"films"},
}


class RoleBackend(ModelBackend):
    """Log in by e-mail (case-insensitive); editors manage the catalogue by role, not by group."""

    def _role_permissions(self, user_obj) -> set[str]:
        from django.contrib.auth.models import Permission

        apps = ROLE_APP_PERMISSIONS.get(getattr(user_obj, "role", ""), set())
        if not apps or not user_obj.is_active:
            return set()
        cache_name = "_role_perm_cache"
        if not hasattr(user_obj, cache_name):
            perms = Permission.objects.filter(content_type__app_label__in=apps).values_list(
                "content_type__app_label", "codename"
            )
            setattr(user_obj, cache_name, {f"{app}.{codename}" for app, codename in perms})
        return getattr(user_obj, cache_name)

    def get_all_permissions(self, user_obj, obj=None):
        return super().get_all_permissions(user_obj, obj) | self._role_permissions(user_obj)
