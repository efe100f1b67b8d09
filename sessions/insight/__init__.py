"""Insight: what an opgave, a sessie or a tafel holds, as plain data, analysed.

`summary_for_opgave` and `summary_for_sessie` (loading.py) feed the summary pages (page.py) and
every export format (sessions/exports/); `kaart_insight` (kaart.py) feeds the pictures on the
live kaart. The Summary and its parts are in summary.py, the words for findings in labels.py.
"""

from sessions.insight.kaart import kaart_insight, kaart_insight_of
from sessions.insight.labels import FLAG_LABELS, REASON_LABELS, VELD_LABELS
from sessions.insight.loading import summary_for_opgave, summary_for_sessie
from sessions.insight.page import described, page_context, sessie_matrix
from sessions.insight.summary import Findings, Summary, TafelView

__all__ = [
    "FLAG_LABELS",
    "REASON_LABELS",
    "VELD_LABELS",
    "Findings",
    "Summary",
    "TafelView",
    "described",
    "kaart_insight",
    "kaart_insight_of",
    "page_context",
    "sessie_matrix",
    "summary_for_opgave",
    "summary_for_sessie",
]
