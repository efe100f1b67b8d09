"""Exports open as what they claim to be, respect vertrouwelijk, keep formulas inert, and a
JSON export imports back into the same document (apart from ids and times)."""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from sessions import exports, insight
from sessions.exports import importer, jsondoc, tables
from sessions.exports.markdown import md
from sessions.exports.safety import neutralise
from sessions.models import Bijdrage, Opgave
from tests import factories
from tests.insight_data import INJECTION, build_story

SCHEMA = json.loads((Path(django_settings.BASE_DIR) / "docs" / "export.schema.json").read_text())


@pytest.fixture
def story(db):
    return build_story(factories.TeamFactory())


def opgave_summary(story, complete=True):
    return insight.summary_for_opgave(story.opgave.pk, complete=complete)


def validate(document: dict) -> None:
    jsonschema.validate(
        document, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


# XLSX --------------------------------------------------------------------------------------


def test_xlsx_has_a_sheet_per_table_with_the_rows_one_may_see(story):
    content = exports.render(opgave_summary(story, complete=False), "xlsx").content
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == list(tables.TABLE_KEYS)
    halen = list(workbook["halen"].iter_rows(values_only=True))
    assert halen[0][:4] == ("Sessie", "Tafel", "Partij", "Haal")
    assert len(halen) - 1 == 5
    brengen = [row[3] for row in workbook["brengen"].iter_rows(min_row=2, values_only=True)]
    assert "Cameratoezicht in portieken" not in brengen
    balans = list(workbook["balans"].iter_rows(min_row=2, values_only=True))
    assert {row[0] for row in balans} == {"All sessies", "Eerste sessie", "Tweede sessie"}
    assert workbook["balans"].cell(row=2, column=7).number_format == "0%"


def test_a_formula_in_user_text_stays_inert_text_in_xlsx(story):
    content = exports.render(opgave_summary(story), "xlsx").content
    workbook = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    (payload,) = [c for c in cells if c.value == INJECTION]
    assert payload.data_type == "s" and payload.quotePrefix
    plus = next(c for c in cells if c.value == "+31 bewoners die meedoen")
    assert plus.data_type == "s"


def test_control_characters_in_user_text_do_not_break_the_xlsx(story):
    from sessions import services

    services.bijdrage_add(
        tafel=story.tafel_b, partij=story.partijen["Politie"], soort="haal", tekst="Bel\x0bmij\x07"
    )
    content = exports.render(opgave_summary(story), "xlsx").content
    texts = [
        row[3] for row in load_workbook(io.BytesIO(content))["halen"].iter_rows(values_only=True)
    ]
    assert "Belmij" in texts


def test_only_a_complete_export_has_a_confidential_column(story):
    shared = load_workbook(io.BytesIO(exports.render(opgave_summary(story, False), "xlsx").content))
    complete = load_workbook(
        io.BytesIO(exports.render(opgave_summary(story, True), "xlsx").content)
    )
    assert "Confidential" not in next(shared["brengen"].iter_rows(values_only=True))
    header = next(complete["brengen"].iter_rows(values_only=True))
    column = header.index("Confidential")
    rows = {r[3]: r[column] for r in complete["brengen"].iter_rows(min_row=2, values_only=True)}
    assert rows["Cameratoezicht in portieken"] == "yes" and rows["Buurtbudget"] == "no"


# CSV ---------------------------------------------------------------------------------------


def read_zip(content: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name.removesuffix(".csv"): list(
                csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))
            )
            for name in archive.namelist()
        }


def test_csv_is_a_zip_of_the_same_tables_and_no_cell_can_start_a_formula(story):
    files = read_zip(exports.render(opgave_summary(story), "csv").content)
    assert sorted(files) == sorted(tables.TABLE_KEYS)
    cells = [cell for rows in files.values() for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + INJECTION in cells
    assert "'+31 bewoners die meedoen" in cells
    assert "'@Sociale veiligheid in de flats" in cells
    assert "'-Regie op de aanpak" in cells
    assert files["halen"][0][:4] == ["Sessie", "Tafel", "Partij", "Haal"]


def test_neutralise_leaves_ordinary_values_alone():
    assert neutralise("Gemeente") == "Gemeente"
    assert neutralise(3) == 3
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("") == ""


# JSON --------------------------------------------------------------------------------------


def test_the_published_schema_is_the_one_the_importer_uses():
    assert importer.schema() == SCHEMA


@pytest.mark.parametrize("complete", [True, False])
def test_json_documents_validate_against_the_schema(story, complete):
    for summary in (
        opgave_summary(story, complete),
        insight.summary_for_sessie(story.sessie_1.pk, complete=complete),
    ):
        document = json.loads(exports.render(summary, "json").content)
        validate(document)
        assert document["format"] == "halenbrengen-export" and document["version"] == 1
        assert document["complete"] is complete


def test_json_leaves_out_confidential_items_and_unrevealed_perspectieven(story):
    document = jsondoc.build(opgave_summary(story, complete=False))
    tafel = document["sessies"][0]["tafels"][0]
    assert "Cameratoezicht in portieken" not in {b["tekst"] for b in tafel["bijdragen"]}
    assert all(p["revealed"] for p in tafel["perspectieven"])
    complete = jsondoc.build(opgave_summary(story, complete=True))
    tafel = complete["sessies"][0]["tafels"][0]
    assert any(b["vertrouwelijk"] for b in tafel["bijdragen"])


_TIMES_AND_IDS = {"id", "created_at", "generated_at", "starts_at", "author"}


def canonical(document: dict) -> dict:
    """The document with ids replaced by their order in the document, without ids and times."""
    doc = copy.deepcopy(document)
    partij = {p["id"]: i for i, p in enumerate(doc["partijen"])}
    sessie = {s["id"]: i for i, s in enumerate(doc["sessies"])}
    bijdragen = [b for s in doc["sessies"] for t in s["tafels"] for b in t["bijdragen"]]
    bijdrage = {b["id"]: i for i, b in enumerate(bijdragen)}
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
        (lambda d: {**d, "version": 2}, "not a Halen/Brengen export"),
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


def with_bijdragen(document: dict, n: int) -> dict:
    """The document with `n` more bijdragen on its first kaart."""
    tafel = document["sessies"][0]["tafels"][0]
    partij = document["partijen"][0]["id"]
    first = 1 + max(
        b["id"] for s in document["sessies"] for t in s["tafels"] for b in t["bijdragen"]
    )
    tafel["bijdragen"] += [
        {"id": first + i, "partij": partij, "soort": "haal", "tekst": f"Wens {i}"} for i in range(n)
    ]
    return document


@pytest.fixture
def no_work(monkeypatch, django_assert_num_queries):
    """A block that fails the test if the importer checks the schema or touches the database."""

    def schema_validator(*args, **kwargs):
        raise AssertionError("the schema was checked")

    @contextlib.contextmanager
    def block():
        monkeypatch.setattr(importer.jsonschema, "Draft202012Validator", schema_validator)
        with django_assert_num_queries(0):
            yield

    return block


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


# PDF and Markdown --------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_sessie_pdf_holds_the_summary_and_its_pictures(story):
    content = exports.render(
        insight.summary_for_sessie(story.sessie_1.pk, complete=False), "pdf"
    ).content
    assert content.startswith(b"%PDF")
    text = " ".join(pdf_text(content).split())
    for expected in (
        "Summary of Eerste sessie",
        "Balance",
        "Missing partijen",
        "Openbaar Ministerie",
        "Minder overlast in de wijk",
        "Wijkschouw",
    ):
        assert expected in text
    assert "Cameratoezicht" not in text
    # The pictures are vector graphics in the PDF, with their labels as text.
    assert "Halen (weighted)" in text and "brings what the other needs" in text


def test_markdown_escapes_user_text_and_respects_vertrouwelijk(story):
    text = exports.render(opgave_summary(story, complete=False), "md").content.decode()
    assert text.startswith("# Summary of Veilige wijk\n")
    assert "## Balance" in text and "| Gemeente |" in text
    assert md(INJECTION) in text
    assert "Cameratoezicht" not in text
    assert md("[x](javascript:alert(1)) <b>") == r"\[x\](javascript:alert(1)) \<b\>"


def test_file_names_name_the_opgave_the_sessie_and_the_day(story):
    sessie = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    export = exports.render(sessie, "csv")
    assert export.filename.startswith("veilige-wijk-eerste-sessie-")
    assert export.filename.endswith(".zip") and export.content_type == "application/zip"


# The demo opgave ---------------------------------------------------------------------------


def test_the_demo_summary_shows_the_missing_partijen_and_the_balance_of_the_five(db):
    call_command("seed_demo", stdout=io.StringIO())
    summary = insight.summary_for_opgave(Opgave.objects.get().pk, complete=False)
    five = [
        "Belastingdienst",
        "Expertisecentrum Ondermijning",
        "Gemeente",
        "Omgevingsdienst",
        "Politie",
    ]
    missing = ["Ondernemers op de bedrijventerreinen", "Openbaar Ministerie"]

    text = " ".join(pdf_text(exports.render(summary, "pdf").content).split())
    for name in five + missing:
        assert name in text
    assert "noted as missing" in text

    markdown = exports.render(summary, "md").content.decode()
    balance = markdown.split("## Balance")[1].split("## Missing partijen")[0]
    assert [
        line.split(" | ")[0].lstrip("| ")
        for line in balance.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:] == five
    missing_section = markdown.split("## Missing partijen")[1].split("##")[0]
    assert all(f"**{name}** (noted as missing)" in missing_section for name in missing)

    workbook = load_workbook(io.BytesIO(exports.render(summary, "xlsx").content))
    rows = list(workbook["balans"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[3]) for r in rows if r[0] == "All sessies"] == [
        ("Belastingdienst", 2, 1),
        ("Expertisecentrum Ondermijning", 2, 1),
        ("Gemeente", 5, 2),
        ("Omgevingsdienst", 2, 1),
        ("Politie", 5, 2),
    ]
    partijen = {r[0]: r[5] for r in workbook["partijen"].iter_rows(min_row=2, values_only=True)}
    assert partijen["Openbaar Ministerie"] == "noted as missing: gebiedsofficier"
