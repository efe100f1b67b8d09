"""An opgave's page, and creating an opgave and its partijen."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sessions import selectors, services
from sessions.forms import OpgaveForm, PartijForm
from sessions.models import Membership, Team
from sessions.views.lookup import opgave_or_404


@require_safe
@login_required
def opgave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opgave, allowed = opgave_or_404(request, pk)
    context = {
        "opgave": opgave,
        "access": allowed,
        "texts": selectors.current_texts(opgave),
        "partijen": opgave.partijen.order_by("status", "name"),
        "sessies": opgave.sessies.annotate(deelnemer_count=Count("deelnemers")),
    }
    return render(request, "sessions/opgave.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def opgave_create(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.filter(
        memberships__user=request.user, memberships__role=Membership.Role.FACILITATOR
    )
    if not teams.exists():
        raise PermissionDenied(_("Only facilitators create opgaven."))
    form = OpgaveForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            opgave = services.opgave_create(
                team=form.cleaned_data["team"],
                title=form.cleaned_data["title"],
                formulering=form.cleaned_data["formulering"],
                ambitie=form.cleaned_data["ambitie"],
                verbindende_vraag=form.cleaned_data["verbindende_vraag"],
                actor=services.Actor(user=request.user),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(opgave)
    return render(request, "sessions/opgave_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def partij_edit(request: HttpRequest, pk: int, partij_pk: int | None = None) -> HttpResponse:
    opgave, allowed = opgave_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied(_("Only a facilitator of this opgave can do this."))
    partij = get_object_or_404(opgave.partijen, pk=partij_pk) if partij_pk else None
    initial = (
        {
            "name": partij.name,
            "wereld": partij.wereld,
            "status": partij.status,
            "toelichting": partij.toelichting,
        }
        if partij
        else {"wereld": "publiek", "status": "aan_tafel"}
    )
    form = PartijForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if partij:
                services.partij_update(partij=partij, **form.cleaned_data)
            else:
                services.partij_add(opgave=opgave, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(opgave)
    return render(
        request, "sessions/partij_form.html", {"form": form, "opgave": opgave, "partij": partij}
    )
