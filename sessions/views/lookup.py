"""An opgave or sessie by id, for a person who may see it; for anyone else it does not exist."""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
)
from django.shortcuts import get_object_or_404

from sessions import access
from sessions.models import Opgave, Sessie


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
