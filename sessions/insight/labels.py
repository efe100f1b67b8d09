"""The words the summaries and exports use for what the analysis finds."""

from __future__ import annotations

import functools

from django.utils.translation import get_language, gettext, gettext_lazy, pgettext_lazy

from sessions import analysis

FLAG_LABELS = {
    analysis.BRENGT_VEEL_MEER: gettext_lazy("brings far more than the others"),
    analysis.HAALT_VEEL_MEER: gettext_lazy("takes far more than the others"),
    analysis.ALLEEN_HALEN: gettext_lazy("only takes"),
    analysis.ALLEEN_BRENGEN: gettext_lazy("only brings"),
}
REASON_LABELS = {
    analysis.REASON_DECLARED: gettext_lazy("noted as missing"),
    analysis.REASON_EIGENAAR: gettext_lazy("owner of a vervolgstap"),
    analysis.REASON_DEELNEMER: gettext_lazy("takes part in a vervolgstap"),
    analysis.REASON_KOPPELING: gettext_lazy("named in a koppeling"),
}
VELD_LABELS = {
    "formulering": pgettext_lazy("opgave text", "Formulering"),
    "ambitie": pgettext_lazy("opgave text", "Ambitie"),
    "verbindende_vraag": pgettext_lazy("opgave text", "Verbindende vraag"),
}


def breng_labels() -> tuple[dict[str, str], dict[str, str]]:
    """A breng's kinds and commitments by value, in the active language."""
    return _breng_labels(get_language())


@functools.cache
def _breng_labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """A breng's kinds and commitments by value, translated once per language (an export
    lists thousands)."""
    from sessions.models import Bijdrage

    return (
        {k: str(v) for k, v in Bijdrage.BrengSoort.choices},
        {k: str(v) for k, v in Bijdrage.Toezegging.choices},
    )


def stap_status_label(value: str) -> str:
    """A vervolgstap's status in words (open, in progress, done, stopped)."""
    return _stap_status_labels(get_language()).get(value, value)


@functools.cache
def _stap_status_labels(language: str | None) -> dict[str, str]:
    from sessions.models import Vervolgstap

    return {k: str(v) for k, v in Vervolgstap.Status.choices}


def bijdrage_about(b) -> str:
    """What the kaart says under a bijdrage, in words: a breng's kind and commitment, then its
    weight ("mensen en tijd · toegezegd · gewicht 3"; a haal: "gewicht 2")."""
    weight = gettext("weight %(w)s") % {"w": b.gewicht}
    if b.soort != analysis.BRENG:
        return weight
    kinds, commitments = breng_labels()
    labels = [kinds.get(b.breng_soort, ""), commitments.get(b.toezegging, "")]
    return " · ".join([label for label in labels if label] + [weight])
