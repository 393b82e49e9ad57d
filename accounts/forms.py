from django import forms
from django.contrib.auth import forms as auth_forms

from accounts.models import DISPLAY_NAME_MAX, User
from accounts.services import display_name_clean, email_clean

DISPLAY_NAME_HELP = User._meta.get_field("display_name").help_text


class SignUpForm(auth_forms.SetPasswordMixin, forms.Form):
    """Input for accounts.services.user_sign_up; checks what it can before the service does."""

    email = forms.EmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    display_name = forms.CharField(
        label="Display name",
        max_length=DISPLAY_NAME_MAX,
        help_text=DISPLAY_NAME_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    password1, password2 = auth_forms.SetPasswordMixin.create_password_fields()

    def clean_email(self) -> str:
        return email_clean(self.cleaned_data["email"])

    def clean_display_name(self) -> str:
        return display_name_clean(self.cleaned_data["display_name"])

    def clean(self):
        self.validate_passwords()
        # The similarity validator compares the password with the would-be user's attributes.
        candidate = User(
            email=self.cleaned_data.get("email", ""), display_name=self.cleaned_data.get("display_name", "")
        )
        self.validate_password_for_user(candidate)
        return super().clean()


class LoginForm(auth_forms.AuthenticationForm):
    """Log in by e-mail address, in any letter case (see UserManager.get_by_natural_key)."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password don't match an account. Passwords are case-sensitive.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = "E-mail"
        field.widget = forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email", "maxlength": 254})


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ProfileForm(forms.ModelForm):
    """Input for accounts.services.user_profile_update."""

    class Meta:
        model = User
        fields = ["display_name", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"bio": "A few words about you and the awards you follow. Up to 500 characters."}

    def clean_display_name(self) -> str:
        return display_name_clean(self.cleaned_data["display_name"], user=self.instance)


# Admin


class UserAdminCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")

    def clean_email(self) -> str:
        return email_clean(self.cleaned_data["email"])

    def clean_display_name(self) -> str:
        return display_name_clean(self.cleaned_data["display_name"])


class UserAdminChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return email_clean(self.cleaned_data["email"], user=self.instance)

    def clean_display_name(self) -> str:
        return display_name_clean(self.cleaned_data["display_name"], user=self.instance)
