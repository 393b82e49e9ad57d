"""The newsletter's pages: sign-up, the confirmation link (double opt-in) and the unsubscribe link. Every rule is
in leaderboards/emails.py; a bad or expired link gets a page that says so, never a 500."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView

from leaderboards.emails import newsletter_confirm, newsletter_subscribe, newsletter_unsubscribe


class NewsletterForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)


class SignupView(FormView):
    """Anyone may sign up, signed in or not; a signed-in user's address is filled in."""

    template_name = "leaderboards/newsletter.html"
    form_class = NewsletterForm
    success_url = reverse_lazy("newsletter:sent")

    def get_initial(self):
        initial = super().get_initial()
        if self.request.user.is_authenticated:
            initial["email"] = self.request.user.email
        return initial

    def form_valid(self, form):
        try:
            newsletter_subscribe(email=form.cleaned_data["email"])
        except ValidationError as error:
            form.add_error("email", error)
            return self.form_invalid(form)
        return super().form_valid(form)


class SentView(TemplateView):
    """The same answer whether the address was new, waiting for confirmation or already subscribed."""

    template_name = "leaderboards/newsletter_sent.html"


class ConfirmView(View):
    """The link in the confirmation e-mail. GET only shows a "Confirm" button: mail filters that open every link
    of a message must not subscribe an address nobody confirmed. The POST (with the CSRF token) confirms."""

    def get(self, request, token):
        return render(request, "leaderboards/newsletter_confirm.html", {"token": token, "ask": True})

    def post(self, request, token):
        try:
            subscription = newsletter_confirm(signed_token=token)
        except ValidationError as error:
            return render(request, "leaderboards/newsletter_confirm.html", {"error": error.messages[0]}, status=400)
        return render(request, "leaderboards/newsletter_confirm.html", {"subscription": subscription})


# RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the List-Unsubscribe URL with
# no cookies and no CSRF token, so this view alone is CSRF-exempt. That is safe because the secret is the token in
# the URL, not the session: a cross-site forger would need the token, and the worst a POST can do is unsubscribe.
@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    template_name = "leaderboards/newsletter_unsubscribe.html"

    def get(self, request, token):
        # Only shows a button: link scanners that open every URL in an e-mail must not unsubscribe anyone.
        return render(request, self.template_name, {"token": token})

    def post(self, request, token):
        try:
            subscription = newsletter_unsubscribe(token=token)
        except ValidationError as error:
            return render(request, self.template_name, {"error": error.messages[0]}, status=400)
        return render(request, self.template_name, {"subscription": subscription, "done": True})
