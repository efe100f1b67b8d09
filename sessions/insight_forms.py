"""The form to start a new opgave from a JSON export."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sessions.exports.importer import MAX_BYTES as MAX_IMPORT_BYTES


class ImportForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, label=_("Team"), empty_label=None)
    document = forms.FileField(
        label=_("JSON export"),
        help_text=_("A JSON export of an opgave or a sessie, downloaded from Halen/Brengen."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )
    title = forms.CharField(
        label=_("Title of the new opgave"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to keep the title of the export."),
    )

    def __init__(self, *args, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)d MB).")
                % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        return document
