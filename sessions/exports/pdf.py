"""PDF: the printed summary page (WeasyPrint), with its SVG pictures.

The document fetches nothing: no network, no files besides our own stylesheets.
"""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from sessions import insight
from sessions.insight import Summary

STYLESHEETS = ("css/app.css", "css/insight.css", "css/print.css")


class FetchRefused(ValueError):
    pass


def _refuse(url: str, *args, **kwargs):
    raise FetchRefused(f"The PDF fetches nothing: {url[:80]}")


def render(summary: Summary) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(
        "sessions/insight/pdf.html", {**insight.page_context(summary), "for_print": True}
    )
    stylesheets = [CSS(filename=finders.find(name), url_fetcher=_refuse) for name in STYLESHEETS]
    document = HTML(string=html, base_url="about:blank", url_fetcher=_refuse)
    return document.write_pdf(stylesheets=stylesheets)
