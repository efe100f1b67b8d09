"""The HTTP edge of insight: summary pages, exports and the import of an export.

Coordinators and facilitators of the opgave's team may read and export; only facilitators see
vertrouwelijk items, and they choose whether an export carries them (`?volledig=1`). Anyone
else gets a 404, as for an opgave that does not exist.
"""

from __future__ import annotations

from django.conf import settings
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
        **_kernboodschap_form(allowed, "insight:opgave_kernboodschap", opgave.pk),
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
        **_kernboodschap_form(allowed, "insight:sessie_kernboodschap", sessie.pk),
        "access": allowed,
        "sessie_obj": sessie,
        "downloads": _downloads("insight:sessie_export", sessie.pk),
    }
    return render(request, "sessions/insight/sessie.html", context)


def _kernboodschap_form(allowed: access.Access, name: str, pk: int) -> dict:
    """Only facilitators write the kernboodschap; coordinators read it."""
    if not access.sees_everything(allowed):
        return {}
    return {"kernboodschap_url": reverse(name, args=[pk]), "max_text": settings.HB_MAX_TEXT_LENGTH}


def _set_kernboodschap(request: HttpRequest, allowed, *, opgave, sessie, back: str):
    if not access.sees_everything(allowed):
        raise PermissionDenied
    version = request.POST.get("version", "")
    try:
        services.kernboodschap_set(
            opgave=opgave,
            sessie=sessie,
            tekst=request.POST.get("tekst", ""),
            expected_version=int(version) if version.isdigit() else None,
            actor=services.Actor(user=request.user),
        )
    except services.StaleEdit:
        messages.error(
            request,
            _(
                "Someone else changed the key message in the meantime; theirs is shown now. "
                "Yours was not saved: “%(tekst)s”"
            )
            % {"tekst": request.POST.get("tekst", "")[:2000]},
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The key message is saved."))
    return redirect(back + "#samenvatting-heading")


@require_http_methods(["POST"])
@login_required
def opgave_kernboodschap(request: HttpRequest, pk: int) -> HttpResponse:
    opgave, allowed = opgave_or_404(request, pk)
    back = reverse("insight:opgave", args=[opgave.pk])
    return _set_kernboodschap(request, allowed, opgave=opgave, sessie=None, back=back)


@require_http_methods(["POST"])
@login_required
def sessie_kernboodschap(request: HttpRequest, pk: int) -> HttpResponse:
    sessie, allowed = sessie_or_404(request, pk)
    back = reverse("insight:sessie", args=[sessie.pk])
    return _set_kernboodschap(request, allowed, opgave=sessie.opgave, sessie=sessie, back=back)


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
