from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User, normalize_display_name, validate_display_name

DISPLAY_NAME_TAKEN = "That display name is taken."
EMAIL_TAKEN = "An account with that e-mail address already exists. Log in, or reset your password."


def display_name_clean(value: str, *, user: User | None = None) -> str:
    """Return the normalized display name, or raise if it is malformed or someone else has it."""
    name = normalize_display_name(value)
    validate_display_name(name)
    others = User.objects.exclude(pk=user.pk) if user and user.pk else User.objects.all()
    if others.filter(display_name__iexact=name).exists():
        raise ValidationError(DISPLAY_NAME_TAKEN, code="taken")
    return name


def email_clean(value: str, *, user: User | None = None) -> str:
    """Return the normalized e-mail, or raise if an account has it in any letter case.

    The column is unique only case-sensitively, and log-in looks addresses up with iexact:
    two addresses differing by case would make that look-up ambiguous.
    """
    email = User.objects.normalize_email((value or "").strip())
    others = User.objects.exclude(pk=user.pk) if user and user.pk else User.objects.all()
    if others.filter(email__iexact=email).exists():
        raise ValidationError(EMAIL_TAKEN, code="taken")
    return email


def _save_or_explain(user: User, **save_kwargs) -> None:
    """Save; if a concurrent request took the e-mail or display name first, say which."""
    try:
        with transaction.atomic():
            user.save(**save_kwargs)
    except IntegrityError:
        # The other row is committed by now: validation names the field that clashed.
        user.full_clean(exclude=["password"])
        raise ValidationError("That e-mail address or display name was just taken. Try another.") from None


@transaction.atomic
def user_sign_up(*, email: str, display_name: str, password: str) -> User:
    """Create a fan account with a usable password. Raises ValidationError keyed by field."""
    errors: dict[str, list] = {}
    user = User(role=User.Role.FAN)
    for field, clean, value in (("email", email_clean, email), ("display_name", display_name_clean, display_name)):
        try:
            setattr(user, field, clean(value))
        except ValidationError as error:
            errors[field] = error.error_list
    if not errors:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            errors["password"] = error.error_list
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    _save_or_explain(user)
    return user


@transaction.atomic
def user_profile_update(*, user: User, display_name: str, bio: str) -> User:
    """Change the public profile of one user (display name and bio)."""
    errors: dict[str, list] = {}
    try:
        user.display_name = display_name_clean(display_name, user=user)
    except ValidationError as error:
        errors["display_name"] = error.error_list
    user.bio = (bio or "").strip()
    if errors:
        raise ValidationError(errors)
    user.full_clean(exclude=["password"])
    _save_or_explain(user, update_fields=["display_name", "bio"])
    return user
