import re
import unicodedata

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

DISPLAY_NAME_MIN = 2
DISPLAY_NAME_MAX = 40
# Letters and digits of any script, spaces and a few joiners: no markup, no control characters.
_DISPLAY_NAME_RE = re.compile(r"^[^\W_](?:[\w .'\-]*[^\W_])?$")


def normalize_display_name(value: str) -> str:
    """Trim, NFC-normalize and collapse runs of whitespace."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def validate_display_name(value: str) -> None:
    if len(value) < DISPLAY_NAME_MIN or len(value) > DISPLAY_NAME_MAX:
        raise ValidationError(
            f"Display names are {DISPLAY_NAME_MIN} to {DISPLAY_NAME_MAX} characters long.", code="length"
        )
    if not _DISPLAY_NAME_RE.match(value):
        raise ValidationError(
            "Use letters, digits, spaces and . ' - only, starting and ending with a letter or digit.",
            code="characters",
        )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        email = self.normalize_email(email)
        extra.setdefault("display_name", email.split("@")[0][:DISPLAY_NAME_MAX])
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_superuser"] = True
        extra.setdefault("role", User.Role.EDITOR)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        # Log-in is case-insensitive on the e-mail address.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        FAN = "fan", "Fan"
        EXPERT = "expert", "Expert"
        EDITOR = "editor", "Editor"
        MODERATOR = "moderator", "Moderator"

    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(
        max_length=DISPLAY_NAME_MAX,
        validators=[validate_display_name],
        help_text=f"Shown publicly. {DISPLAY_NAME_MIN}-{DISPLAY_NAME_MAX} letters, digits, spaces and . ' -",
    )
    role = models.CharField(max_length=16, choices=Role, default=Role.FAN)
    bio = models.TextField(blank=True, max_length=500)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message="An account with that e-mail address already exists.",
            ),
            models.UniqueConstraint(
                Lower("display_name"),
                name="user_display_name_unique_ci",
                violation_error_message="That display name is taken.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["fan", "expert", "editor", "moderator"]), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)
        self.display_name = normalize_display_name(self.display_name)

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"pk": self.pk})

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_staff(self) -> bool:
        """Editors and moderators reach the admin; what they may do there comes from their role."""
        return self.is_active and (self.is_superuser or self.role in (self.Role.EDITOR, self.Role.MODERATOR))

    @property
    def is_editor(self) -> bool:
        return self.role == self.Role.EDITOR or self.is_superuser

    @property
    def can_moderate(self) -> bool:
        """Moderators (and superusers) handle forum reports, pin, lock, move and remove; nobody edits others' posts."""
        return self.is_active and (self.role == self.Role.MODERATOR or self.is_superuser)

    @property
    def predicts_publicly(self) -> bool:
        return self.role in (self.Role.EXPERT, self.Role.EDITOR)
