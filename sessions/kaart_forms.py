"""The actions of the live kaart: one form per action, which validates a message and applies it
through one service. Used by the websocket consumer and the HTTP fallback alike
(sessions/actions.py); `ACTIONS` names them as the page sends them (docs/protocol.md).

Adding a kind of kaart change: its kind in sessions/kinds.py, its service and undo in
sessions/services/, its form here, its control in a template (docs/architecture.md).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sessions import services
from sessions.access import Access
from sessions.models import (
    GEWICHTEN,
    URGENTIES,
    Bijdrage,
    OpgaveVersie,
    Partij,
    Tafel,
    Vervolgstap,
)


def kaart_text_field(label, *, required=True) -> forms.CharField:
    """A text of the kaart, limited by settings.HB_MAX_TEXT_LENGTH (an error, never truncated)."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=settings.HB_MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def gewicht_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Weight"),
        choices=[(w, str(w)) for w in GEWICHTEN],
        coerce=int,
        required=False,
        empty_value=GEWICHTEN[0],
    )


def breng_soort_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *Bijdrage.BrengSoort.choices], required=False
    )


def toezegging_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Commitment"), choices=[("", "—"), *Bijdrage.Toezegging.choices], required=False
    )


def _partij(tafel: Tafel, partij_id: int) -> Partij:
    # Written out: a fifth of what the ORM's query building costs, on every change of an item.
    query = f"SELECT * FROM {Partij._meta.db_table} WHERE id = %s AND opgave_id = %s"
    partij = next(iter(Partij.objects.raw(query, [partij_id, tafel.sessie.opgave_id])), None)
    if partij is None:
        raise ValidationError(gettext("Unknown partij."))
    return partij


class KaartActionForm(forms.Form):
    """One action on a kaart: its fields, and `apply`, which calls the service. A refusal is
    a ValidationError, as the services raise it."""

    def apply(self, *, tafel: Tafel, access: Access, actor: services.Actor) -> Any:
        raise NotImplementedError


class BijdrageAddForm(KaartActionForm):
    partij = forms.IntegerField(widget=forms.HiddenInput)
    soort = forms.ChoiceField(choices=Bijdrage.Soort.choices, widget=forms.HiddenInput)
    tekst = kaart_text_field(_("Text"))
    gewicht = gewicht_field()
    breng_soort = breng_soort_field()
    toezegging = toezegging_field()
    vertrouwelijk = forms.BooleanField(required=False)

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.bijdrage_add(
            tafel=tafel,
            partij=_partij(tafel, data["partij"]),
            soort=data["soort"],
            tekst=data["tekst"],
            gewicht=data["gewicht"],
            breng_soort=data["breng_soort"],
            toezegging=data["toezegging"],
            vertrouwelijk=data["vertrouwelijk"],
            actor=actor,
        )


class BijdrageEditForm(KaartActionForm):
    id = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    tekst = kaart_text_field(_("Text"))
    gewicht = gewicht_field()
    breng_soort = breng_soort_field()
    toezegging = toezegging_field()

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.bijdrage_edit(
            tafel=tafel,
            bijdrage_id=data["id"],
            expected_version=data["version"],
            tekst=data["tekst"],
            gewicht=data["gewicht"],
            breng_soort=data["breng_soort"],
            toezegging=data["toezegging"],
            actor=actor,
        )


class ItemForm(KaartActionForm):
    """An action on one existing item."""

    id = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class BijdrageDeleteForm(ItemForm):
    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.bijdrage_delete(
            tafel=tafel, bijdrage_id=data["id"], expected_version=data["version"], actor=actor
        )


class BijdrageMoveForm(KaartActionForm):
    id = forms.IntegerField(widget=forms.HiddenInput)
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.bijdrage_move(
            tafel=tafel, bijdrage_id=data["id"], direction=data["direction"], actor=actor
        )


class PerspectiefForm(KaartActionForm):
    partij = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tekst = kaart_text_field(_("How does your partij see the opgave?"), required=False)
    urgentie = forms.TypedChoiceField(
        label=_("Urgency (1 = low, 5 = very high)"),
        choices=[("", "—"), *[(u, str(u)) for u in URGENTIES]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    vertrouwelijk = forms.BooleanField(required=False)

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.perspectief_set(
            tafel=tafel,
            partij=_partij(tafel, data["partij"]),
            tekst=data["tekst"],
            urgentie=data["urgentie"],
            vertrouwelijk=data["vertrouwelijk"],
            expected_version=data["version"],
            actor=actor,
        )


class PerspectievenRevealForm(KaartActionForm):
    def apply(self, *, tafel, access, actor):
        if access.role != "facilitator":
            raise ValidationError(gettext("Only the facilitator reveals the perspectieven."))
        return services.perspectieven_reveal(tafel=tafel, actor=actor)


class KoppelingAddForm(KaartActionForm):
    haal = forms.IntegerField(label=_("This haal"))
    breng = forms.IntegerField(label=_("is answered by this breng"))

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.koppeling_add(
            tafel=tafel, haal_id=data["haal"], breng_id=data["breng"], actor=actor
        )


class KoppelingDeleteForm(ItemForm):
    def apply(self, *, tafel, access, actor):
        return services.koppeling_delete(
            tafel=tafel, koppeling_id=self.cleaned_data["id"], actor=actor
        )


class VervolgstapForm(KaartActionForm):
    """Adds a vervolgstap, or (with an id) edits one."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Next step"), max_length=300)
    eigenaar = forms.IntegerField(label=_("Owner"))
    partijen = forms.CharField(required=False)
    datum = forms.DateField(label=_("Date (optional)"), required=False)

    def clean_partijen(self):
        raw = self.data.getlist("partijen") if hasattr(self.data, "getlist") else None
        if raw is None:
            value = self.data.get("partijen", [])
            raw = value if isinstance(value, list) else [value] if value else []
        try:
            return sorted({int(v) for v in raw if str(v).strip()})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("Unknown partij."), code="invalid") from error

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        if data["id"]:
            return services.vervolgstap_edit(
                tafel=tafel,
                vervolgstap_id=data["id"],
                expected_version=data["version"],
                title=data["title"],
                eigenaar_id=data["eigenaar"],
                partij_ids=data["partijen"],
                datum=data["datum"],
                actor=actor,
            )
        return services.vervolgstap_add(
            tafel=tafel,
            title=data["title"],
            eigenaar=_partij(tafel, data["eigenaar"]),
            partijen=[_partij(tafel, pk) for pk in data["partijen"]],
            datum=data["datum"],
            actor=actor,
        )


class VervolgstapDeleteForm(ItemForm):
    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.vervolgstap_delete(
            tafel=tafel, vervolgstap_id=data["id"], expected_version=data["version"], actor=actor
        )


class OpgaveTextForm(KaartActionForm):
    veld = forms.ChoiceField(choices=OpgaveVersie.Veld.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    tekst = kaart_text_field(_("Text"), required=False)

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.kaart_opgave_text_set(
            tafel=tafel,
            veld=data["veld"],
            tekst=data["tekst"],
            expected_version=data["version"],
            actor=actor,
        )


class MissingPartijForm(KaartActionForm):
    name = forms.CharField(label=_("Missing partij"), max_length=200)
    toelichting = forms.CharField(
        label=_("Why they should be at the table"), max_length=500, required=False
    )

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.kaart_partij_add_missing(
            tafel=tafel, name=data["name"], toelichting=data["toelichting"], actor=actor
        )


class VervolgstapFollowUpForm(KaartActionForm):
    id = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=Vervolgstap.Status.choices)
    tekst = forms.CharField(
        label=_("What happened (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def apply(self, *, tafel, access, actor):
        data = self.cleaned_data
        return services.vervolgstap_follow_up(
            opgave_id=tafel.sessie.opgave_id,
            vervolgstap_id=data["id"],
            status=data["status"],
            tekst=data["tekst"],
            tafel=tafel,
            actor=actor,
        )


class UndoForm(KaartActionForm):
    def apply(self, *, tafel, access, actor):
        return services.undo_last(tafel=tafel, actor=actor)


# The actions as the page names them (kinds.Spec.action).
ACTIONS: dict[str, type[KaartActionForm]] = {
    "bijdrage_add": BijdrageAddForm,
    "bijdrage_edit": BijdrageEditForm,
    "bijdrage_delete": BijdrageDeleteForm,
    "bijdrage_move": BijdrageMoveForm,
    "perspectief_set": PerspectiefForm,
    "perspectieven_reveal": PerspectievenRevealForm,
    "koppeling_add": KoppelingAddForm,
    "koppeling_delete": KoppelingDeleteForm,
    "vervolgstap_save": VervolgstapForm,
    "vervolgstap_delete": VervolgstapDeleteForm,
    "vervolgstap_follow_up": VervolgstapFollowUpForm,
    "opgave_text": OpgaveTextForm,
    "partij_missing": MissingPartijForm,
    "undo": UndoForm,
}
