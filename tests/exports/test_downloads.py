"""The downloads' file names (sessions/exports/__init__.py)."""

from __future__ import annotations

from django.utils import translation

from sessions import exports, insight


def test_file_names_name_the_opgave_the_sessie_and_the_day(story):
    sessie = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    export = exports.render(sessie, "csv")
    assert export.filename.startswith("veilige-wijk-eerste-sessie-")
    assert export.filename.endswith(".zip") and export.content_type == "application/zip"


def test_a_complete_export_says_so_in_its_name_in_the_language_of_the_export(story):
    shared = exports.render(insight.summary_for_sessie(story.sessie_1.pk, complete=False), "pdf")
    complete = exports.render(insight.summary_for_sessie(story.sessie_1.pk, complete=True), "pdf")
    assert shared.filename != complete.filename
    assert "-confidential-" in complete.filename and "confidential" not in shared.filename
    with translation.override("nl"):
        dutch = exports.render(insight.summary_for_sessie(story.sessie_1.pk, complete=True), "md")
    assert "-vertrouwelijk-" in dutch.filename


def test_long_titles_are_cut_between_words(story):
    story.opgave.title = "Samen werken aan een veilige en leefbare wijk voor iedereen die er woont"
    story.opgave.save()
    name = exports.render(
        insight.summary_for_opgave(story.opgave.pk, complete=False), "csv"
    ).filename
    assert name.startswith("samen-werken-aan-een-veilige-en-leefbare-wijk-voor-iedereen-")
    assert "-die-" not in name and "-di-" not in name
    assert len(name.split("-20")[0]) <= 60
