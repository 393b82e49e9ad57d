"""The control room's two forms. They check only the shape of a post: every rule of an announcement (editors only,
nominees of the category, predictions closed) is `services.result_announce`'s, and its message is shown as it is."""

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63  # a bigint: anything longer names no row


class IdListField(forms.Field):
    """Several values of one name (`contenders=12&contenders=14`), as positive integers, in posted order."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = [str(v).strip() for v in (value or []) if str(v).strip()]
        if not all(v.isdecimal() and 0 < int(v) < MAX_ID for v in values):
            raise ValidationError("Choose the winners from the list.", code="invalid")
        return list(dict.fromkeys(int(v) for v in values))

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class AnnounceForm(forms.Form):
    category = forms.IntegerField(min_value=1, max_value=MAX_ID - 1, widget=forms.HiddenInput)
    contenders = IdListField(error_messages={"required": "Tick the winner (tick two or more for a tie)."})


class UndoForm(forms.Form):
    category = forms.IntegerField(min_value=1, max_value=MAX_ID - 1, widget=forms.HiddenInput)
    # Undo is two steps: the first post asks, the second (with confirm) undoes.
    confirm = forms.BooleanField(required=False)
