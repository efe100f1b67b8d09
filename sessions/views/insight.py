"""The HTTP edge of insight: summary pages, exports and the import of an export.

Coordinators and facilitators of the opgave's team may read and export; only facilitators see
vertrouwelijk items, and they choose whether an export carries them (`?volledig=1`). Anyone
else gets a 404, as for an opgave that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sessions import access, exports, insight, services
from sessions.exports import importer
from sessions.insight_forms import ImportForm
from sessions.models import Membership, Team
from sessions.views.lookup import opgave_or_404, sessie_or_404


def _downloads(name: str, pk: int) -> list[dict]:
    labels = {
        "pdf": _("PDF summary"),
        "md": _("Markdown"),
        "xlsx": _("Spreadsheet (XLSX)"),
        "csv": _("Tables (CSV, zip)"),
        "json": _("Complete data (JSON)"),
    }
    return [
        {"fmt": fmt, "label": labels[fmt], "url": reverse(name, args=[pk, fmt])}
        for fmt in exports.FORMATS
    ]


@require_safe
@login_required
def opgave_summary(request: HttpRequest, pk: int) -> HttpResponse:
    opgave, allowed = opgave_or_404(request, pk)
    summary = insight.summary_for_opgave(opgave.pk, complete=access.sees_everything(allowed))
    context = {
        **insight.page_context(summary),
        "access": allowed,
        "opgave_obj": opgave,
        "downloads": _downloads("insight:opgave_export", opgave.pk),
    }
    return render(request, "sessions/insight/opgave.html", context)


@require_safe
@login_required
def sessie_summary(request: HttpRequest, pk: int) -> HttpResponse:
    sessie, allowed = sessie_or_404(request, pk)
    summary = insight.summary_for_sessie(sessie.pk, complete=access.sees_everything(allowed))
    context = {
        **insight.page_context(summary),
        "access": allowed,
        "sessie_obj": sessie,
        "downloads": _downloads("insight:sessie_export", sessie.pk),
    }
    return render(request, "sessions/insight/sessie.html", context)


def _download(request: HttpRequest, summary: insight.Summary, fmt: str) -> HttpResponse:
    summary.exported_by = request.user.get_full_name() or request.user.get_username()
    export = exports.render(summary, fmt)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    # A document with the team's data: not for shared caches, not kept by the browser.
    response["Cache-Control"] = "private, no-store"
    return response


def _complete(request: HttpRequest, allowed: access.Access) -> bool:
    return request.GET.get("volledig") == "1" and access.sees_everything(allowed)


@require_safe
@login_required
def opgave_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404
    opgave, allowed = opgave_or_404(request, pk)
    summary = insight.summary_for_opgave(opgave.pk, complete=_complete(request, allowed))
    return _download(request, summary, fmt)


@require_safe
@login_required
def sessie_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404
    sessie, allowed = sessie_or_404(request, pk)
    summary = insight.summary_for_sessie(sessie.pk, complete=_complete(request, allowed))
    return _download(request, summary, fmt)


@require_http_methods(["GET", "POST"])
@login_required
def opgave_import(request: HttpRequest) -> HttpResponse:
    """A facilitator starts a new opgave in one of their teams from a JSON export."""
    teams = Team.objects.filter(
        memberships__user=request.user, memberships__role=Membership.Role.FACILITATOR
    )
    if not teams.exists():
        raise PermissionDenied(_("Only facilitators can import an opgave."))
    form = ImportForm(request.POST or None, request.FILES or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            opgave = importer.opgave_import(
                team=form.cleaned_data["team"],
                document=form.cleaned_data["document"].read(),
                title=form.cleaned_data["title"],
                actor=services.Actor(user=request.user),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The opgave “%(title)s” was imported.") % {"title": opgave.title},
            )
            return redirect(opgave)
    return render(request, "sessions/insight/import.html", {"form": form})
