"""The small template filters of the kaart's pages (sessions/templatetags/hb.py)."""

import unicodedata

import pytest
from django.template import engines
from django.template.defaultfilters import truncatechars

from sessions.templatetags.hb import clip


def shown(text: str, length: int) -> str:
    template = engines["django"].from_string("{% load hb %}{{ text|clip:length }}")
    return template.render({"text": text, "length": length})


def test_a_long_text_is_cut_to_its_length_with_an_ellipsis():
    assert shown("Ondernemers en handhaving samen aan tafel", 12) == "Ondernemers…"


def test_a_short_text_is_shown_whole_and_escaped():
    assert shown("<b>Kort</b> & goed", 60) == "&lt;b&gt;Kort&lt;/b&gt; &amp; goed"


@pytest.mark.parametrize(
    "text",
    ["Ondernemers ♥ handhaving", "e\u0301" * 30, "Café aan de haven 🚲 " * 3, "", "x"],
)
def test_it_cuts_where_truncatechars_cuts(text):
    """The same text as Django's own filter at every length (a text written with combining
    accents may come back as written instead of composed: it looks the same)."""
    for length in range(1, len(text) + 3):
        ours, django = clip(text, length), truncatechars(text, length)
        assert unicodedata.normalize("NFC", ours) == unicodedata.normalize("NFC", django)
