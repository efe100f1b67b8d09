from django import forms
from django.utils.translation import gettext_lazy as _

from sessions.models import Partij, Sessie


class JoinForm(forms.Form):
    """A participant's name and the partij they represent: one of the opgave's, or a new one."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("Shown to the others at your tafel."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    partij = forms.ModelChoiceField(
        label=_("The partij you represent"),
        queryset=Partij.objects.none(),
        required=False,
        empty_label=_("— another partij, not in this list —"),
    )
    new_partij = forms.CharField(
        label=_("Name of your partij, if it is not in the list"),
        max_length=200,
        required=False,
    )

    def __init__(self, *args, sessie: Sessie, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partij"].queryset = sessie.opgave.partijen.order_by("name")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("partij") and not (cleaned.get("new_partij") or "").strip():
            self.add_error(
                "partij", _("Choose your partij, or type its name if it is not in the list.")
            )
        return cleaned
