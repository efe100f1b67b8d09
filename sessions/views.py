"""The HTTP edge: parse, authorise through sessions.access, call a service, render."""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sessions import access, actions, fragments, ratelimit, selectors, services
from sessions.forms import JoinForm, LoginForm, OpgaveForm, PartijForm, SessieForm
from sessions.models import Membership, Opgave, Sessie, Tafel, Team

JOIN_PENDING_KEY = "hb_join_pending"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


class LoginView(auth_views.LoginView):
    """Django's login with our lockout (sessions.lockout, through LoginForm); 429 while the
    login must wait."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.wait:
            response.status_code = 429
            response["Retry-After"] = str(form.wait)
        return response


def _join_allowed(request: HttpRequest) -> bool:
    attempts, window = settings.HB_JOIN_RATE
    return ratelimit.hit(f"join:{ratelimit.client_ip(request)}", limit=attempts, window=window)


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "sessions/too_many.html", status=429)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that came back without a valid CSRF token: a clear page, nothing changed."""
    return render(request, "403_csrf.html", status=403)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    opgaven = (
        access.opgaven_for(request.user)
        .select_related("team")
        .prefetch_related(Prefetch("sessies", queryset=Sessie.objects.order_by("-created_at")))
        .annotate(partij_count=Count("partijen", distinct=True))
    )
    can_create = Membership.objects.filter(
        user=request.user, role=Membership.Role.FACILITATOR
    ).exists()
    return render(
        request, "sessions/dashboard.html", {"opgaven": opgaven, "can_create": can_create}
    )


def _opgave_or_404(request: HttpRequest, pk: int) -> tuple[Opgave, access.Access]:
    opgave = get_object_or_404(Opgave.objects.select_related("team"), pk=pk)
    allowed = access.opgave_access(request.user, opgave)
    if not allowed.can_view:
        # The same answer as for an opgave that does not exist: nothing leaks.
        raise Http404
    return opgave, allowed


@require_safe
@login_required
def opgave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opgave, allowed = _opgave_or_404(request, pk)
    context = {
        "opgave": opgave,
        "access": allowed,
        "texts": selectors.current_texts(opgave),
        "partijen": opgave.partijen.order_by("status", "name"),
        "sessies": opgave.sessies.annotate(deelnemer_count=Count("deelnemers")),
    }
    return render(request, "sessions/opgave.html", context)


def _sessie_or_404(request: HttpRequest, pk: int) -> tuple[Sessie, access.Access]:
    sessie = get_object_or_404(Sessie.objects.select_related("opgave__team"), pk=pk)
    allowed = access.opgave_access(request.user, sessie.opgave)
    if not allowed.can_view:
        raise Http404
    return sessie, allowed


def sessie_context(request: HttpRequest, sessie: Sessie, allowed: access.Access) -> dict:
    return {
        **selectors.sessie_room(sessie, allowed),
        "join_url": request.build_absolute_uri(sessie.get_join_path()),
    }


@require_safe
@login_required
def sessie_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The facilitator's control room: steps, timer, invitation, tafels, live overview."""
    sessie, allowed = _sessie_or_404(request, pk)
    return render(request, "sessions/sessie.html", sessie_context(request, sessie, allowed))


@require_POST
@login_required
def sessie_control(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the facilitator's controls; answers by going back to the control room."""
    sessie, allowed = _sessie_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied(_("Only a facilitator of this opgave can do this."))
    op = request.POST.get("op", "")
    handler = SESSIE_CONTROLS.get(op)
    if handler is None:
        return HttpResponseBadRequest(_("Unknown action."))
    try:
        message = handler(sessie, request.POST, services.Actor(user=request.user))
    except (ValidationError, ValueError, TypeError) as error:
        text = (
            " ".join(error.messages)
            if isinstance(error, ValidationError)
            else _("This action could not be carried out.")
        )
        messages.error(request, text)
    else:
        if message:
            messages.success(request, message)
    return redirect(_back_to(request, sessie.get_absolute_url()))


def _back_to(request: HttpRequest, default: str) -> str:
    """The form's `next`, if it is a page of this site; otherwise `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# What the control room's numbers may be: anything else is refused with a message.
MAX_ID = 2**63 - 1
MAX_LINK_HOURS = 90 * 24
MAX_TIMER_MINUTES = 4 * 60


def _whole(data, key: str, *, low: int, high: int) -> int | None:
    """data[key] as a whole number from low to high; None if it is anything else."""
    try:
        value = int((data.get(key) or "").strip())
    except ValueError:  # also for thousands of digits
        return None
    return value if low <= value <= high else None


def _id(data, key: str = "value") -> int:
    """The id in data[key], or 0 (which nothing has) if it is not an id."""
    return _whole(data, key, low=1, high=MAX_ID) or 0


def _tafel_of(sessie: Sessie, tafel_id: int) -> Tafel:
    tafel = sessie.tafels.filter(pk=tafel_id).first()
    if tafel is None:
        raise ValidationError(_("Choose a tafel of this sessie."))
    return tafel


def _deelnemer_of(sessie: Sessie, deelnemer_id: int):
    deelnemer = sessie.deelnemers.filter(pk=deelnemer_id).first()
    if deelnemer is None:
        raise ValidationError(_("This participant is not in this sessie."))
    return deelnemer


def _optional_whole(data, key: str, *, high: int, refusal: str) -> int | None:
    """An optional whole number from 1 to `high` in a control's form; `refusal` otherwise."""
    if not data.get(key):
        return None
    value = _whole(data, key, low=1, high=high)
    if value is None:
        raise ValidationError(refusal)
    return value


def _new_link(sessie, data, actor):
    hours = _optional_whole(
        data,
        "hours",
        high=MAX_LINK_HOURS,
        refusal=_("A new link is valid for 1 to %(max)d hours.") % {"max": MAX_LINK_HOURS},
    )
    expires = timezone.now() + datetime.timedelta(hours=hours) if hours else None
    services.sessie_regenerate_link(sessie=sessie, expires_at=expires)
    return _("A new join link has been made; the old one no longer works.")


def _move(sessie, data, actor):
    deelnemer = _deelnemer_of(sessie, _id(data, "deelnemer"))
    tafel = _tafel_of(sessie, _id(data)) if data.get("value") else None
    services.deelnemer_move(deelnemer=deelnemer, tafel=tafel)
    return ""


def _timer_reset(sessie, data, actor):
    minutes = _optional_whole(
        data,
        "minutes",
        high=MAX_TIMER_MINUTES,
        refusal=_("The timer runs between 1 and %(max)d minutes.") % {"max": MAX_TIMER_MINUTES},
    )
    services.timer_reset(sessie=sessie, seconds=minutes * 60 if minutes else None)
    return ""


def _form_tafels(sessie, data, actor):
    n = len(services.tafels_form(sessie=sessie))
    return ngettext(
        "The participants are seated at %(n)d tafel.",
        "The participants are seated at %(n)d tafels.",
        n,
    ) % {"n": n}


def _reveal(sessie, data, actor):
    n = services.perspectieven_reveal_all(sessie=sessie, actor=actor)
    return ngettext("%(n)d perspectief revealed.", "%(n)d perspectieven revealed.", n) % {"n": n}


def _quietly(service, **fixed):
    """A control whose only answer is the live update of the page."""

    def control(sessie, data, actor):
        service(sessie=sessie, **fixed)
        return ""

    return control


def _step(sessie, data, actor):
    # Not 1, 2 or 3 (0 for anything else): the service says which steps there are.
    services.sessie_set_step(sessie=sessie, stap=_whole(data, "value", low=1, high=3) or 0)
    return ""


def _remove_tafel(sessie, data, actor):
    services.tafel_remove(tafel=_tafel_of(sessie, _id(data)))
    return ""


def _revoke_deelnemer(sessie, data, actor):
    services.deelnemer_revoke(deelnemer=_deelnemer_of(sessie, _id(data)))
    return ""


def _carry(sessie, data, actor):
    services.plenair_carry(sessie=sessie, kind=data.get("kind", ""), item_id=_id(data), actor=actor)
    return ""


SESSIE_CONTROLS = {
    "step": _step,
    "timer_start": _quietly(services.timer_start),
    "timer_pause": _quietly(services.timer_pause),
    "timer_reset": _timer_reset,
    "open": _quietly(services.sessie_set_state, state="open"),
    "close": _quietly(services.sessie_set_state, state="gesloten"),
    "lock": _quietly(services.sessie_set_locked, locked=True),
    "unlock": _quietly(services.sessie_set_locked, locked=False),
    "reveal": _reveal,
    "form_tafels": _form_tafels,
    "add_tafel": _quietly(services.tafel_add),
    "remove_tafel": _remove_tafel,
    "move": _move,
    "revoke_deelnemer": _revoke_deelnemer,
    "revoke_link": _quietly(services.sessie_revoke_link),
    "new_link": _new_link,
    "carry": _carry,
}


@require_safe
@login_required
def plenair(request: HttpRequest, pk: int) -> HttpResponse:
    """The tafels' kaarten side by side; the facilitator carries items to the plenary kaart."""
    sessie, allowed = _sessie_or_404(request, pk)
    kaarten = [
        selectors.kaart_for(tafel.pk, allowed)
        for tafel in sessie.tafels.filter(plenair=False).order_by("nummer")
    ]
    plenair_tafel = sessie.tafels.filter(plenair=True).first()
    context = {
        "sessie": sessie,
        "access": allowed,
        "kaarten": kaarten,
        "plenair": selectors.kaart_for(plenair_tafel.pk, allowed) if plenair_tafel else None,
    }
    return render(request, "sessions/plenair.html", context)


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
    opgave, allowed = _opgave_or_404(request, pk)
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


@require_http_methods(["GET", "POST"])
@login_required
def sessie_edit(request: HttpRequest, pk: int, sessie_pk: int | None = None) -> HttpResponse:
    opgave, allowed = _opgave_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied(_("Only a facilitator of this opgave can do this."))
    sessie = get_object_or_404(opgave.sessies, pk=sessie_pk) if sessie_pk else None
    initial = (
        {
            "title": sessie.title,
            "starts_at": sessie.starts_at,
            "timer_minutes": sessie.timer_seconds // 60,
        }
        if sessie
        else {"timer_minutes": 15, "tafels": 1}
    )
    form = SessieForm(request.POST or None, initial=initial)
    if sessie:
        del form.fields["tafels"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if sessie is None:
                    sessie = services.sessie_create(
                        opgave=opgave,
                        title=data["title"],
                        state=Sessie.State.OPEN,
                        tafels=data.get("tafels") or 1,
                        actor=services.Actor(user=request.user),
                    )
                services.sessie_update(
                    sessie=sessie,
                    title=data["title"],
                    starts_at=data["starts_at"],
                    timer_seconds=data["timer_minutes"] * 60,
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(sessie)
    return render(
        request, "sessions/sessie_form.html", {"form": form, "opgave": opgave, "sessie": sessie}
    )


@require_POST
@login_required
def sessie_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    sessie, allowed = _sessie_or_404(request, pk)
    if not allowed.can_manage:
        raise PermissionDenied(_("Only a facilitator of this opgave can do this."))
    copy = services.sessie_duplicate(sessie=sessie, actor=services.Actor(user=request.user))
    messages.success(request, _("The sessie has been copied. The copy has its own join link."))
    return redirect(copy)


@require_safe
def join_link(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """Exchange the capability token for this browser's session, then drop it from the URL."""
    if not _join_allowed(request):
        return _too_many(request)
    sessie = Sessie.objects.filter(pk=pk).first()
    status = access.join_link_status(sessie, token) if sessie else access.LinkStatus.INVALID
    if status != access.LinkStatus.VALID:
        return render(
            request, "sessions/join_refused.html", {"status": status}, status=410 if sessie else 404
        )
    request.session[JOIN_PENDING_KEY] = {"sessie": sessie.pk, "generation": sessie.link_generation}
    return redirect("sessions:sessie_join", pk=sessie.pk)


def _pending_join_status(request: HttpRequest, sessie: Sessie) -> access.LinkStatus:
    pending = request.session.get(JOIN_PENDING_KEY) or {}
    if pending.get("sessie") != sessie.pk or pending.get("generation") != sessie.link_generation:
        return access.LinkStatus.INVALID
    return access.join_link_status(sessie, sessie.join_token)


@require_http_methods(["GET", "POST"])
def sessie_join(request: HttpRequest, pk: int) -> HttpResponse:
    sessie = get_object_or_404(Sessie.objects.select_related("opgave"), pk=pk)
    returning = access.deelnemer_for(request.session, sessie)
    if returning is not None:
        if returning.tafel_id:
            return redirect("sessions:kaart", pk=returning.tafel_id)
        return render(request, "sessions/waiting.html", {"sessie": sessie, "deelnemer": returning})
    status = _pending_join_status(request, sessie)
    if status != access.LinkStatus.VALID:
        return render(request, "sessions/join_refused.html", {"status": status}, status=403)

    if request.method == "POST" and not _join_allowed(request):
        return _too_many(request)
    form = JoinForm(request.POST or None, sessie=sessie)
    if request.method == "POST" and form.is_valid():
        try:
            deelnemer = services.deelnemer_join(
                sessie=sessie,
                name=form.cleaned_data["name"],
                partij=form.cleaned_data["partij"],
                new_partij_name=form.cleaned_data["new_partij"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            request.session.cycle_key()
            access.remember_deelnemer(request.session, deelnemer)
            request.session.pop(JOIN_PENDING_KEY, None)
            return redirect("sessions:sessie_join", pk=sessie.pk)
    return render(request, "sessions/join.html", {"sessie": sessie, "form": form})


def _kaart_access(request: HttpRequest, pk: int) -> tuple[Tafel, access.Access]:
    tafel = get_object_or_404(Tafel.objects.select_related("sessie__opgave"), pk=pk)
    return tafel, access.tafel_access(request.user, request.session, tafel)


def _kaart_actor(request: HttpRequest, allowed: access.Access) -> services.Actor:
    user = request.user if request.user.is_authenticated else None
    return services.Actor(user=user, deelnemer=allowed.deelnemer)


def _no_kaart_access(request: HttpRequest, tafel: Tafel, *, to_seat: bool = False) -> HttpResponse:
    if request.user.is_authenticated:
        raise Http404
    if to_seat and access.deelnemer_for(request.session, tafel.sessie) is not None:
        # A participant who was moved to another tafel: to their seat.
        return redirect("sessions:sessie_join", pk=tafel.sessie_id)
    return render(request, "sessions/no_access.html", status=403)


@require_safe
def kaart(request: HttpRequest, pk: int) -> HttpResponse:
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request, tafel, to_seat=True)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    return render(request, "sessions/kaart.html", fragments.context(kaart, allowed))


@require_POST
def kaart_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTTP fallback of the websocket: the same actions, answered with the same fragments."""
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request, tafel)
    form_id = request.headers.get("HX-Trigger", "")[:100]
    nonce = actions.nonce_of(request.POST)
    try:
        outcome = actions.perform(
            request.POST,
            tafel=tafel,
            access=allowed,
            actor=_kaart_actor(request, allowed),
        )
    except actions.BadMessage as error:
        html = fragments.render_error(str(error), form_id=form_id, nonce=nonce)
        return HttpResponse(html, status=400)
    if not outcome.ok:
        html = fragments.render_error(
            outcome.message, form_id=form_id, conflict=outcome.conflict, nonce=nonce
        )
        # 200, so htmx swaps the error and the conflict into the page.
        return HttpResponse(html)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    ack = fragments.render_ack(form_id, nonce)
    return HttpResponse(ack + fragments.render_full(kaart, allowed))


@require_safe
def kaart_since(request: HttpRequest, pk: int) -> HttpResponse:
    """Polling without websockets: nothing (204) while the kaart is at `seq`, else all of it."""
    tafel, allowed = _kaart_access(request, pk)
    if not allowed.can_view:
        return _no_kaart_access(request, tafel)
    try:
        seq = int(request.GET.get("seq", ""))
    except ValueError:
        seq = -1
    if request.session.session_key:
        services.presence_poll(
            tafel=tafel,
            # Not the session key itself: that is the cookie's secret.
            key=hashlib.sha256(request.session.session_key.encode()).hexdigest()[:32],
            actor=_kaart_actor(request, allowed),
            role=allowed.role,
        )
    latest = tafel.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    if seq == latest and not request.GET.get("full"):
        return HttpResponse(status=204)
    kaart = selectors.kaart_for(tafel.pk, allowed)
    return HttpResponse(fragments.render_full(kaart, allowed))
