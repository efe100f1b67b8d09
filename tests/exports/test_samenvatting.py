"""The bestuurlijke samenvatting (sessions/insight/samenvatting.py): the kernboodschap a
facilitator writes, versioned, and the lines made from the summary, on top of the page, the
PDF and the Markdown."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import translation

from sessions import exports, insight, services
from sessions.insight.samenvatting import samenvatting_of
from sessions.models import Kernboodschap
from tests import factories
from tests.exports.test_pdf import pdf_text


def test_each_kernboodschap_is_a_new_version_and_an_old_one_is_refused(story):
    first = services.kernboodschap_set(opgave=story.opgave, tekst="Samen de wijk veiliger.")
    second = services.kernboodschap_set(
        opgave=story.opgave, tekst="Samen de wijk veiliger, met de bewoners.", expected_version=1
    )
    assert (first.nummer, second.nummer) == (1, 2)
    with pytest.raises(services.StaleEdit):
        services.kernboodschap_set(opgave=story.opgave, tekst="Ouder", expected_version=1)
    # A sessie's has its own versions; the same text again makes no new one.
    of_sessie = services.kernboodschap_set(
        opgave=story.opgave, sessie=story.sessie_1, tekst="Eerste sessie: goed begin."
    )
    again = services.kernboodschap_set(
        opgave=story.opgave, sessie=story.sessie_1, tekst="Eerste sessie: goed begin."
    )
    assert of_sessie.nummer == 1 and again.pk == of_sessie.pk
    assert Kernboodschap.objects.count() == 3
    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    assert summary.kernboodschap.tekst == "Samen de wijk veiliger, met de bewoners."
    assert summary.kernboodschap.nummer == 2


def test_a_sessie_of_another_opgave_is_refused(story):
    other = factories.SessieFactory()
    with pytest.raises(ValidationError):
        services.kernboodschap_set(opgave=story.opgave, sessie=other, tekst="Mis")
    assert not Kernboodschap.objects.exists()


def test_the_lines_say_who_is_there_what_is_promised_the_balance_and_the_next_steps(story):
    s = samenvatting_of(insight.summary_for_sessie(story.sessie_1.pk, complete=False))
    assert "Gemeente" in s.present and "Politie" in s.present
    assert "Openbaar Ministerie" in s.missing and "Openbaar Ministerie" not in s.present
    promised = {partij: [(t.tekst, t.soort) for t in items] for partij, items in s.toezeggingen}
    assert promised["Politie"] == [("Extra surveillance", "people and time")]
    assert promised["Bewonersgroep"] == [("+31 bewoners die meedoen", "people and time")]
    assert all("Buurtbudget" not in t for items in promised.values() for t, _ in items)  # possible
    assert [(v.title, v.eigenaar) for v in s.vervolgstappen][0] == ("Wijkschouw", "Gemeente")
    assert s.balance


def test_a_confidential_commitment_is_only_in_the_complete_summary(story):
    anna = services.Actor()
    services.bijdrage_add(
        tafel=story.tafel_a,
        partij=story.partijen["Politie"],
        soort="breng",
        tekst="Geheime inzet",
        breng_soort="mensen_tijd",
        toezegging="toegezegd",
        vertrouwelijk=True,
        actor=anna,
    )

    def promised(complete):
        s = samenvatting_of(insight.summary_for_sessie(story.sessie_1.pk, complete=complete))
        return [t.tekst for _partij, items in s.toezeggingen for t in items]

    assert "Geheime inzet" in promised(True)
    assert "Geheime inzet" not in promised(False)


def test_the_pdf_and_the_markdown_open_with_the_samenvatting(story):
    services.kernboodschap_set(
        opgave=story.opgave, sessie=story.sessie_1, tekst="De wijk pakt het samen aan."
    )
    summary = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    with translation.override("nl"):
        pages = pdf_text(exports.render(summary, "pdf").content)
        markdown = exports.render(summary, "md").content.decode()
    first_page = " ".join(pages.split("\n\n")[0].split())
    text = " ".join(pages.split())
    assert "Bestuurlijke samenvatting" in text and "De wijk pakt het samen aan." in text
    assert "Toezeggingen" in text and "Extra surveillance (mensen en tijd)" in text
    assert "Wijkschouw (eigenaar Gemeente" in text
    assert text.index("Bestuurlijke samenvatting") < text.index("Balans")
    assert first_page
    head = markdown.split("## De opgave")[0]
    assert "## Bestuurlijke samenvatting" in head
    assert "> De wijk pakt het samen aan." in head
    assert "Politie: Extra surveillance (mensen en tijd)" in head


def test_the_json_export_carries_every_kernboodschap_into_an_import(story):
    from sessions.exports import importer, jsondoc

    services.kernboodschap_set(opgave=story.opgave, tekst="Eerst dit.")
    services.kernboodschap_set(opgave=story.opgave, tekst="Dan dit.")
    services.kernboodschap_set(opgave=story.opgave, sessie=story.sessie_2, tekst="Sessie twee.")
    document = jsondoc.build(insight.summary_for_opgave(story.opgave.pk, complete=True))
    assert [k["tekst"] for k in document["opgave"]["kernboodschappen"]] == [
        "Eerst dit.",
        "Dan dit.",
        "Sessie twee.",
    ]
    copy = importer.opgave_import(team=story.opgave.team, document=document, title="Kopie")
    assert list(
        Kernboodschap.objects.filter(opgave=copy)
        .order_by(F("sessie_id").asc(nulls_first=True), "nummer")
        .values_list("sessie__title", "nummer", "tekst")
    ) == [(None, 1, "Eerst dit."), (None, 2, "Dan dit."), ("Tweede sessie", 1, "Sessie twee.")]
    # A document from before the kernboodschap still imports.
    del document["opgave"]["kernboodschappen"]
    older = importer.opgave_import(team=story.opgave.team, document=document, title="Ouder")
    assert not Kernboodschap.objects.filter(opgave=older).exists()
