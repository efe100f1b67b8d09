"""An opgave or sessie by id, for a person who may see it; for anyone else it does not exist."""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
)
from django.shortcuts import get_object_or_404

from sessions import access
from sessions.models import Opgave, Sessie

# The largest id the database holds (a bigint): a longer number in a form is no id, not a
# database error.
MAX_ID = 2**63 - 1


def whole(text: str | None, *, low: int, high: int) -> int | None:
    """`text` as a whole number from low to high; None if it is anything else."""
    try:
        value = int((text or "").strip())
    except ValueError:  # also for thousands of digits
        return None
    return value if low <= value <= high else None


def id_of(text: str | None) -> int:
    """The id `text` names, or 0 (which nothing has) if it is not an id."""
    return whole(text, low=1, high=MAX_ID) or 0


def opgave_or_404(request: HttpRequest, pk: int) -> tuple[Opgave, access.Access]:
    opgave = get_object_or_404(Opgave.objects.select_related("team"), pk=pk)
    allowed = access.opgave_access(request.user, opgave)
    if not allowed.can_view:
        # The same answer as for an opgave that does not exist: nothing leaks.
        raise Http404
    return opgave, allowed


def sessie_or_404(request: HttpRequest, pk: int) -> tuple[Sessie, access.Access]:
    sessie = get_object_or_404(Sessie.objects.select_related("opgave__team"), pk=pk)
    allowed = access.opgave_access(request.user, sessie.opgave)
    if not allowed.can_view:
        raise Http404
    return sessie, allowed
