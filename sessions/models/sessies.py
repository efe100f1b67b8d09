"""Sessies, their tafels and the deelnemers who joined them."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions.models.opgaven import Opgave, Partij


def new_join_token() -> str:
    """A capability token of 192 bits from the OS's random source."""
    return secrets.token_urlsafe(24)


class Sessie(models.Model):
    """One meeting about an opgave, moved through steps 1-3 by a facilitator."""

    class State(models.TextChoices):
        GEPLAND = "gepland", _("planned")
        OPEN = "open", _("open")
        GESLOTEN = "gesloten", _("closed")

    opgave = models.ForeignKey(Opgave, on_delete=models.CASCADE, related_name="sessies")
    title = models.CharField(_("title"), max_length=200)
    stap = models.PositiveSmallIntegerField(_("step"), default=1)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.GEPLAND
    )
    locked = models.BooleanField(_("locked"), default=False)
    # The language participants start in (they can switch); facilitators keep their own.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    join_token = models.CharField(max_length=64, default=new_join_token, editable=False)
    join_revoked = models.BooleanField(_("join link revoked"), default=False)
    join_expires_at = models.DateTimeField(_("join link expires at"), null=True, blank=True)
    link_generation = models.PositiveIntegerField(default=1, editable=False)
    # The step timer, authoritative on the server: running while ends_at is set, paused while
    # remaining is set, reset when neither is.
    timer_seconds = models.PositiveIntegerField(_("timer (seconds)"), default=15 * 60)
    timer_ends_at = models.DateTimeField(null=True, blank=True, editable=False)
    timer_remaining = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # How many changes of the sessie outside its kaarten' logs (step, state, timer, opgave,
    # partijen, tafels, access) were rung (services.common.sessie_changed): a kaart page that
    # polls without a socket sees by it that it missed one.
    changes = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sessie")
        verbose_name_plural = _("sessies")
        constraints = [
            models.CheckConstraint(condition=Q(stap__gte=1, stap__lte=3), name="sessie_stap_1_3"),
            models.CheckConstraint(
                condition=Q(state__in=["gepland", "open", "gesloten"]), name="sessie_state_valid"
            ),
            models.UniqueConstraint(fields=["join_token"], name="sessie_unique_join_token"),
            models.CheckConstraint(
                condition=Q(join_token__regex=r"^[A-Za-z0-9_-]{22,}$"),
                name="sessie_join_token_long_enough",
            ),
            models.CheckConstraint(
                condition=Q(timer_ends_at__isnull=True) | Q(timer_remaining__isnull=True),
                name="sessie_timer_running_or_paused",
            ),
            models.CheckConstraint(
                condition=Q(timer_seconds__gte=10, timer_seconds__lte=4 * 3600),
                name="sessie_timer_seconds_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opgave}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("sessions:sessie", args=[self.pk])

    def get_join_path(self) -> str:
        return reverse("sessions:join", args=[self.pk, self.join_token])

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.GESLOTEN

    @property
    def timer_left(self) -> int:
        """Seconds left on the step timer now (the full time when it was reset)."""
        if self.timer_ends_at is not None:
            return max(0, round((self.timer_ends_at - timezone.now()).total_seconds()))
        if self.timer_remaining is not None:
            return self.timer_remaining
        return self.timer_seconds

    @property
    def timer_running(self) -> bool:
        return self.timer_ends_at is not None


class Tafel(models.Model):
    """A group of 3-5 participants within a sessie; each tafel fills its own kaart."""

    sessie = models.ForeignKey(Sessie, on_delete=models.CASCADE, related_name="tafels")
    nummer = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    plenair = models.BooleanField(_("plenary"), default=False)
    # A werkgroep: the tafel works out this vervolgstap (of the plenary kaart, usually) in
    # step 3, with the partijen it names (services.werkgroepen).
    werkgroep = models.ForeignKey(
        "halenbrengen.Vervolgstap",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="werkgroepen",
        verbose_name=_("werkgroep of"),
    )

    class Meta:
        ordering = ["sessie", "nummer"]
        verbose_name = _("tafel")
        verbose_name_plural = _("tafels")
        constraints = [
            models.UniqueConstraint(fields=["sessie", "nummer"], name="tafel_unique_nummer"),
            models.CheckConstraint(condition=Q(nummer__gte=1), name="tafel_nummer_positive"),
            models.UniqueConstraint(
                fields=["sessie"], condition=Q(plenair=True), name="tafel_one_plenary_per_sessie"
            ),
        ]

    def __str__(self) -> str:
        if self.plenair:
            return self.name or str(_("Plenary kaart"))
        return self.name or _("Tafel %(nummer)s") % {"nummer": self.nummer}

    def get_absolute_url(self) -> str:
        return reverse("sessions:kaart", args=[self.pk])


class Deelnemer(models.Model):
    """A participant: joined a sessie by its link, with a name and the partij they represent."""

    sessie = models.ForeignKey(Sessie, on_delete=models.CASCADE, related_name="deelnemers")
    tafel = models.ForeignKey(
        Tafel, on_delete=models.SET_NULL, null=True, blank=True, related_name="deelnemers"
    )
    partij = models.ForeignKey(Partij, on_delete=models.PROTECT, related_name="deelnemers")
    name = models.CharField(_("name"), max_length=100)
    link_generation = models.PositiveIntegerField(editable=False)
    revoked = models.BooleanField(_("access revoked"), default=False)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        ordering = ["sessie", "joined_at", "id"]
        verbose_name = _("deelnemer")
        verbose_name_plural = _("deelnemers")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="deelnemer_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.partij})"
