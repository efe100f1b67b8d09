"""Markdown (sessions/exports/markdown.py)."""

from __future__ import annotations

from sessions import exports
from sessions.exports.markdown import md
from tests.exports.documents import opgave_summary
from tests.insight_data import INJECTION


def test_markdown_escapes_user_text_and_respects_vertrouwelijk(story):
    text = exports.render(opgave_summary(story, complete=False), "md").content.decode()
    assert text.startswith("# Summary of Veilige wijk\n")
    assert "## Balance" in text and "| Gemeente |" in text
    assert md(INJECTION) in text
    assert "Cameratoezicht" not in text
    assert md("[x](javascript:alert(1)) <b>") == r"\[x\](javascript:alert(1)) \<b\>"
