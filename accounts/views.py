from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import DetailView, FormView, UpdateView

from accounts.forms import LoginForm, PasswordResetForm, ProfileForm, SignUpForm
from accounts.models import User
from accounts.services import user_profile_update, user_sign_up


def _add_service_errors(form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: on the field it names, if the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        field = {"password": "password1"}.get(field, field)
        form.add_error(field if field in form.fields else None, errors)


class SignUpView(FormView):
    form_class = SignUpForm
    template_name = "accounts/signup.html"
    redirect_field_name = REDIRECT_FIELD_NAME

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(request.user.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_next_url(self) -> str:
        url = self.request.POST.get(self.redirect_field_name, self.request.GET.get(self.redirect_field_name, ""))
        safe = url_has_allowed_host_and_scheme(
            url, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        return url if safe else ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs, redirect_field_name=self.redirect_field_name, redirect_field_value=self.get_next_url()
        )

    def form_valid(self, form):
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
            return self.form_invalid(form)
        login(self.request, user)
        messages.success(self.request, f"Welcome to {settings.SITE_NAME}, {user.display_name}.")
        return redirect(self.get_next_url() or user.get_absolute_url())


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET): a link cannot log anyone out."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self):
        # Without django.contrib.sites the "site name" Django passes is the host name.
        return {"site_name": settings.SITE_NAME}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class ProfileView(DetailView):
    queryset = User.objects.filter(is_active=True)
    template_name = "accounts/profile.html"
    # Not "user": that name is the signed-in user in every template (auth context processor).
    context_object_name = "member"


class ProfileEditView(LoginRequiredMixin, UpdateView):
    form_class = ProfileForm
    template_name = "accounts/profile_edit.html"

    def get_object(self, queryset=None):
        # A fresh copy: the form writes its input onto the instance, and an invalid submission
        # must not change the name shown in the page header for request.user.
        return User.objects.get(pk=self.request.user.pk)

    def form_valid(self, form):
        try:
            self.object = user_profile_update(
                user=User.objects.get(pk=self.request.user.pk),
                display_name=form.cleaned_data["display_name"],
                bio=form.cleaned_data["bio"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Your profile is saved.")
        return redirect(self.object.get_absolute_url())
