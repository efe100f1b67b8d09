"""The words the summaries and exports use for what the analysis finds."""

from __future__ import annotations

from django.utils.translation import gettext_lazy, pgettext_lazy

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
