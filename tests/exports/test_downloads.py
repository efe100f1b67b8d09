"""The downloads' file names (sessions/exports/__init__.py)."""

from __future__ import annotations

from sessions import exports, insight


def test_file_names_name_the_opgave_the_sessie_and_the_day(story):
    sessie = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    export = exports.render(sessie, "csv")
    assert export.filename.startswith("veilige-wijk-eerste-sessie-")
    assert export.filename.endswith(".zip") and export.content_type == "application/zip"
