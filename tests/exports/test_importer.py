"""Importing a JSON document (sessions/exports/importer.py): the round trip, refusals before
any work, nothing half written."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.exceptions import ValidationError

from sessions import insight, services
from sessions.exports import importer, jsondoc
from sessions.models import Bijdrage, Opgave, Tafel, Vervolgstap
from tests.exports.documents import opgave_summary, with_bijdragen

_TIMES_AND_IDS = {"id", "created_at", "generated_at", "starts_at", "author"}


def canonical(document: dict) -> dict:
    """The document with ids replaced by their order in the document, without ids and times."""
    doc = copy.deepcopy(document)
    partij = {p["id"]: i for i, p in enumerate(doc["partijen"])}
    sessie = {s["id"]: i for i, s in enumerate(doc["sessies"])}
    bijdragen = [b for s in doc["sessies"] for t in s["tafels"] for b in t["bijdragen"]]
    bijdrage = {b["id"]: i for i, b in enumerate(bijdragen)}
    stappen = [v for s in doc["sessies"] for t in s["tafels"] for v in t["vervolgstappen"]]
    stap = {v["id"]: i for i, v in enumerate(stappen)}
    for item in (
        item
        for s in doc["sessies"]
        for t in s["tafels"]
        for key in ("perspectieven", "bijdragen", "koppelingen", "vervolgstappen")
        for item in t[key]
    ):
        if "herkomst" in item:
            item["herkomst"] = sessie.get(item["herkomst"])
    for v in stappen:
        if "voorganger" in v:
            v["voorganger"] = stap.get(v["voorganger"])
    for t in (t for s in doc["sessies"] for t in s["tafels"]):
        if "werkgroep" in t:
            t["werkgroep"] = stap.get(t["werkgroep"])
    for versie in doc["opgave"]["versies"]:
        versie["sessie"] = sessie.get(versie["sessie"])
    for s in doc["sessies"]:
        for t in s["tafels"]:
            for p in t["perspectieven"]:
                p["partij"] = partij[p["partij"]]
            for b in t["bijdragen"]:
                b["partij"] = partij[b["partij"]]
            for k in t["koppelingen"]:
                k["haal"], k["breng"] = bijdrage[k["haal"]], bijdrage[k["breng"]]
            for v in t["vervolgstappen"]:
                v["eigenaar"] = partij[v["eigenaar"]]
                v["partijen"] = [partij[pk] for pk in v["partijen"]]

    def findings(f: dict) -> None:
        for row in f["balans"]:
            row["partij"] = partij[row["partij"]]
        f["needs"] = [bijdrage[pk] for pk in f["needs"]]
        f["offers"] = [bijdrage[pk] for pk in f["offers"]]
        for m in f["missing"]:
            m["partij"] = partij[m["partij"]]
        for v in f["urgency"]["values"]:
            v["partij"] = partij[v["partij"]]
        f["urgency"]["outliers"] = [partij[pk] for pk in f["urgency"]["outliers"]]

    findings(doc["analysis"])
    for f in doc["analysis"]["per_sessie"]:
        f["sessie"] = sessie[f["sessie"]]
        findings(f)

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _TIMES_AND_IDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(doc)


def test_export_import_export_gives_the_same_document_apart_from_ids_and_times(story):
    first = jsondoc.build(opgave_summary(story))
    # A perspectief cannot be made vertrouwelijk through the services: none in this story.
    assert not any(
        p["vertrouwelijk"]
        for s in first["sessies"]
        for t in s["tafels"]
        for p in t["perspectieven"]
    )
    new = importer.opgave_import(team=story.opgave.team, document=json.dumps(first))
    assert new.pk != story.opgave.pk
    second = jsondoc.build(insight.summary_for_opgave(new.pk, complete=True))
    assert canonical(second) == canonical(first)
    assert second["opgave"]["id"] != first["opgave"]["id"]


def test_a_lopend_proces_comes_back_with_where_each_item_was_carried_from(story):
    """Version 2: a sessie started from an earlier kaart (services.carry) exports each
    carried item's sessie and each carried vervolgstap's voorganger, and an import keeps
    them."""
    derde = services.sessie_create(opgave=story.opgave, title="Derde sessie", tafels=1)
    services.kaart_carry(sessie=derde, bron=story.sessie_1.tafels.get(nummer=1))
    plenair_stap = services.plenair_carry(
        sessie=derde, kind="vervolgstap", item_id=derde.tafels.get(nummer=1).vervolgstappen.get().pk
    )
    services.werkgroepen_form(sessie=derde, stap_ids=[plenair_stap.pk])
    first = jsondoc.build(opgave_summary(story))
    assert first["version"] == 2
    carried = next(s for s in first["sessies"] if s["title"] == "Derde sessie")["tafels"][0]
    earlier = next(s for s in first["sessies"] if s["title"] == "Eerste sessie")
    assert carried["bijdragen"] and {b["herkomst"] for b in carried["bijdragen"]} == {earlier["id"]}
    (stap,) = carried["vervolgstappen"]
    assert stap["voorganger"] in {v["id"] for t in earlier["tafels"] for v in t["vervolgstappen"]}

    new = importer.opgave_import(team=story.opgave.team, document=json.dumps(first))
    second = jsondoc.build(insight.summary_for_opgave(new.pk, complete=True))
    assert canonical(second) == canonical(first)
    stap = Vervolgstap.objects.get(
        tafel__sessie__opgave=new, voorganger__isnull=False, herkomst__isnull=False
    )
    assert stap.voorganger.tafel.sessie.title == "Eerste sessie"
    assert stap.herkomst.title == "Eerste sessie"
    werkgroep = Tafel.objects.get(sessie__opgave=new, werkgroep__isnull=False)
    assert werkgroep.werkgroep.tafel.plenair and werkgroep.werkgroep.title == "Wijkschouw"


def test_a_version_1_document_still_imports(story):
    document = jsondoc.build(opgave_summary(story))
    document["version"] = 1
    for sessie in document["sessies"]:
        for tafel in sessie["tafels"]:
            tafel.pop("werkgroep")
            for key in ("perspectieven", "bijdragen", "koppelingen", "vervolgstappen"):
                for item in tafel[key]:
                    item.pop("herkomst"), item.pop("voorganger", None)
    new = importer.opgave_import(team=story.opgave.team, document=document)
    assert (
        Bijdrage.objects.filter(tafel__sessie__opgave=new).count()
        == Bijdrage.objects.filter(tafel__sessie__opgave=story.opgave).count()
    )
    assert not Bijdrage.objects.filter(tafel__sessie__opgave=new, herkomst__isnull=False).exists()


def test_a_sessie_export_imports_as_a_new_opgave_with_that_sessie(story):
    first = jsondoc.build(insight.summary_for_sessie(story.sessie_2.pk, complete=True))
    new = importer.opgave_import(team=story.opgave.team, document=first, title="Doorstart")
    assert new.title == "Doorstart"
    assert [s.title for s in new.sessies.all()] == ["Tweede sessie"]
    sessie = new.sessies.get()
    second = jsondoc.build(insight.summary_for_sessie(sessie.pk, complete=True))
    first["opgave"]["title"] = "Doorstart"
    assert canonical(second) == canonical(first)
    assert sessie.stap == 3


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: "not json", "This is not a JSON file."),
        (lambda d: {**d, "version": 3}, "not a Halen/Brengen export"),
        (
            lambda d: (d["sessies"][0]["tafels"][0]["bijdragen"][0].update(herkomst=999999), d)[1],
            "carried from a sessie that is not in the file",
        ),
        (
            lambda d: (
                d["sessies"][0]["tafels"][0]["vervolgstappen"][0].update(voorganger=999999),
                d,
            )[1],
            "continues a vervolgstap that is not in the file",
        ),
        (lambda d: (d["partijen"].pop(), d)[1], "refers to a partij that is not in the file"),
        (
            lambda d: (
                d["sessies"][0]["tafels"][0]["koppelingen"].append({"haal": 1, "breng": 1}),
                d,
            )[1],
            "must link a haal and a breng",
        ),
    ],
)
def test_an_invalid_document_is_refused_and_nothing_is_written(story, change, message):
    document = jsondoc.build(opgave_summary(story))
    changed = change(document)
    raw = changed if isinstance(changed, str) else json.dumps(changed)
    before = Opgave.objects.count()
    with pytest.raises(ValidationError) as refused:
        importer.opgave_import(team=story.opgave.team, document=raw)
    assert message in " ".join(refused.value.messages)
    assert Opgave.objects.count() == before


def test_an_import_failing_halfway_leaves_nothing_behind(story):
    document = jsondoc.build(opgave_summary(story))
    # Valid for the schema, refused by the services at the last kaart: a haal and a breng of
    # the same partij cannot be linked.
    tafel = document["sessies"][-1]["tafels"][0]
    koppeling = tafel["koppelingen"][0]
    breng = next(b for b in tafel["bijdragen"] if b["id"] == koppeling["breng"])
    haal = next(b for b in tafel["bijdragen"] if b["id"] == koppeling["haal"])
    breng["partij"] = haal["partij"]
    before = (Opgave.objects.count(), Bijdrage.objects.count())
    with pytest.raises(ValidationError):
        importer.opgave_import(team=story.opgave.team, document=document)
    assert (Opgave.objects.count(), Bijdrage.objects.count()) == before


def test_a_kaart_over_the_item_limit_is_refused_before_any_work(story, no_work):
    document = with_bijdragen(jsondoc.build(opgave_summary(story)), 3000)
    tafel = document["sessies"][0]["tafels"][0]
    items = sum(len(tafel[k]) for k in ("bijdragen", "koppelingen", "vervolgstappen"))
    with no_work(), pytest.raises(ValidationError) as refused:
        importer.opgave_import(team=story.opgave.team, document=json.dumps(document))
    assert refused.value.messages == [
        f"A kaart in this file has {items} items; a kaart holds at most 500."
    ]


def test_a_full_kaart_of_exactly_the_limit_imports(story, settings):
    settings.HB_MAX_ITEMS_PER_KAART = 60
    document = jsondoc.build(opgave_summary(story))
    tafel = document["sessies"][0]["tafels"][0]
    present = sum(len(tafel[k]) for k in ("bijdragen", "koppelingen", "vervolgstappen"))
    new = importer.opgave_import(
        team=story.opgave.team, document=with_bijdragen(document, 60 - present)
    )
    first = new.sessies.order_by("pk").first().tafels.order_by("nummer").first()
    assert first.bijdragen.count() + first.koppelingen.count() + first.vervolgstappen.count() == 60


@pytest.mark.parametrize(
    "limit, value, message",
    [
        ("MAX_PARTIJEN", 4, "This file has 5 partijen; an import takes at most 4."),
        ("MAX_SESSIES", 1, "This file has 2 sessies; an import takes at most 1."),
        ("MAX_TAFELS_PER_SESSIE", 1, "A sessie in this file has 2 tafels; an import takes"),
        ("MAX_VERSIES", 1, "text versions; an import takes at most 1."),
        ("MAX_ITEMS", 10, "items on its kaarten; an import takes at most 10."),
    ],
)
def test_a_document_over_the_import_limits_is_refused_before_any_work(
    story, monkeypatch, limit, value, message
):
    document = json.dumps(jsondoc.build(opgave_summary(story)))
    monkeypatch.setattr(importer, limit, value)
    with pytest.raises(ValidationError) as refused:
        importer.parse(document)
    assert any(message in m for m in refused.value.messages), refused.value.messages
    assert not any("not a Halen/Brengen export" in m for m in refused.value.messages)


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_a_deeply_nested_file_is_refused_before_it_is_parsed(story, no_work, monkeypatch, depth):
    def loads(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(importer.json, "loads", loads)
    raw = b"[" * depth + b"]" * depth
    with no_work(), pytest.raises(ValidationError) as refused:
        importer.opgave_import(team=story.opgave.team, document=raw)
    assert refused.value.messages == ["This file is nested too deeply to be an export."]


def test_brackets_and_quotes_inside_texts_do_not_count_as_nesting(story):
    document = jsondoc.build(opgave_summary(story))
    tekst = '[{"\\' * 300 + "]" * 40
    document["sessies"][0]["tafels"][0]["bijdragen"][0]["tekst"] = tekst
    new = importer.opgave_import(team=story.opgave.team, document=json.dumps(document))
    assert Bijdrage.objects.filter(tafel__sessie__opgave=new, tekst=tekst).exists()


def test_nesting_that_slips_past_the_scan_is_still_a_clear_refusal(story, monkeypatch):
    monkeypatch.setattr(importer, "MAX_DEPTH", 10**9)
    raw = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ValidationError) as refused:
        importer.parse(raw)
    assert refused.value.messages == ["This is not a JSON file."]


@pytest.mark.parametrize(
    "where",
    [
        lambda d, bad: d["sessies"][0]["tafels"][0]["bijdragen"][0].update(tekst=f"a{bad}b"),
        lambda d, bad: d["opgave"].update(title=bad),
        lambda d, bad: d["partijen"][0].update({f"x{bad}": 1}),  # a key
        lambda d, bad: d.setdefault("analysis", {}).update(note=[bad]),  # anywhere
    ],
)
@pytest.mark.parametrize("bad", ["\\ud800", "\\udfff", "\\u0000"])
def test_text_the_database_cannot_store_is_refused_anywhere_before_any_work(
    story, no_work, where, bad
):
    document = jsondoc.build(opgave_summary(story))
    where(document, "BAD")
    # json.dumps writes the lone surrogate as an escape, as an attacker's file would.
    raw = json.dumps(document).replace("BAD", bad)
    with no_work(), pytest.raises(ValidationError) as refused:
        importer.opgave_import(team=story.opgave.team, document=raw.encode())
    assert refused.value.messages == [
        "This file contains characters that cannot be stored (a lone surrogate or a NUL)."
    ]


def test_a_lone_surrogate_written_as_raw_bytes_is_refused_too(story, no_work):
    document = jsondoc.build(opgave_summary(story))
    document["opgave"]["title"] = "BAD"
    raw = json.dumps(document).encode().replace(b"BAD", "\ud800".encode("utf-8", "surrogatepass"))
    with no_work(), pytest.raises(ValidationError) as refused:
        importer.opgave_import(team=story.opgave.team, document=raw)
    # json.loads reads bytes with "surrogatepass": the surrogate reaches the document.
    assert refused.value.messages == [
        "This file contains characters that cannot be stored (a lone surrogate or a NUL)."
    ]


def test_a_surrogate_pair_is_text_like_any_other(story):
    document = jsondoc.build(opgave_summary(story))
    document["sessies"][0]["tafels"][0]["bijdragen"][0]["tekst"] = "Samen \U0001f91d"
    raw = json.dumps(document)
    assert "\\ud83e\\udd1d" in raw  # the pair, written as two escapes
    new = importer.opgave_import(team=story.opgave.team, document=raw.encode())
    assert Bijdrage.objects.filter(tafel__sessie__opgave=new, tekst="Samen \U0001f91d").exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(story, no_work, monkeypatch):
    monkeypatch.setattr(importer, "MAX_BYTES", 100)
    with no_work(), pytest.raises(ValidationError) as refused:
        importer.opgave_import(team=story.opgave.team, document=b" " * 101)
    assert refused.value.messages == ["The file is too large (at most 0 MB)."]
