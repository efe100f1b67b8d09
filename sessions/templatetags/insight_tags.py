"""Small formatting filters for the insight pages, pictures and exports."""

from __future__ import annotations

from fractions import Fraction

from django import template
from django.utils.formats import number_format

from sessions.insight import FLAG_LABELS, REASON_LABELS, VELD_LABELS
from sessions.insight.labels import bijdrage_about, stap_status_label

register = template.Library()


@register.filter
def about(bijdrage) -> str:
    """A bijdrage's kind, commitment and weight in words (insight.labels.bijdrage_about)."""
    return bijdrage_about(bijdrage)


@register.filter
def stap_status(value: str) -> str:
    """A vervolgstap's status in words."""
    return stap_status_label(value)


@register.filter
def flag_label(key: str) -> str:
    return str(FLAG_LABELS.get(key, key))


@register.filter
def reason_label(key: str) -> str:
    return str(REASON_LABELS.get(key, key))


@register.filter
def veld_label(key: str) -> str:
    return str(VELD_LABELS.get(key, key))


def whole_percent(share: Fraction | float) -> str:
    """A share as a whole percentage, halves rounded up: 0.125 -> '13%'."""
    return f"{int(Fraction(share) * 100 + Fraction(1, 2))}%"


@register.filter
def percent(share: Fraction | float | None) -> str:
    if share is None:
        return "–"
    return whole_percent(share)


@register.filter
def times(ratio: Fraction | float | None) -> str:
    """A ratio against the others: 2 -> '2.0×' (localised decimal separator)."""
    if ratio is None:
        return "–"
    return number_format(round(float(ratio), 1), 1) + "×"


@register.filter
def level(value: float | None) -> str:
    """An urgency level: whole numbers without decimals, halves with one."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return str(int(value))
    return number_format(value, 1)
