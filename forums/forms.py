"""Forms collect input for the services; the rules (lengths, links, locks, limits) are checked there."""

from django import forms

from forums.models import BODY_MAX, REASON_MAX, TITLE_MAX, Board, Report

_BODY_HELP = "Markdown: *emphasis*, **bold**, > quotes, lists, `code` and [links](https://example.com)."


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your post",
        strip=False,
        help_text=_BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": BODY_MAX}),
    )


class ThreadForm(PostForm):
    board = forms.ModelChoiceField(queryset=Board.objects.all(), empty_label=None)
    title = forms.CharField(widget=forms.TextInput(attrs={"maxlength": TITLE_MAX}))
    field_order = ["board", "title", "body"]


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=Report.Reason.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        required=False,
        label="Anything the moderators should know",
        help_text="Required when the reason is “Something else”.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
    )


class ModerateForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("pin", "unpin", "lock", "unlock", "move", "remove", "restore")]
    )
    reason = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": REASON_MAX}))
    board = forms.ModelChoiceField(queryset=Board.objects.all(), required=False)
