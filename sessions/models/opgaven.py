"""The opgave, the versions of its texts, and its partijen."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sessions.models.teams import Team


class Opgave(models.Model):
    """A shared challenge. Its formulering, ambitie and verbindende vraag live in OpgaveVersie."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="opgaven")
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opgave")
        verbose_name_plural = _("opgaven")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sessions:opgave", args=[self.pk])


class OpgaveVersie(models.Model):
    """One version of one of the opgave's three texts; the highest nummer is the current one."""

    class Veld(models.TextChoices):
        FORMULERING = "formulering", _("formulering")
        AMBITIE = "ambitie", _("ambitie")
        VERBINDENDE_VRAAG = "verbindende_vraag", _("verbindende vraag")

    opgave = models.ForeignKey(Opgave, on_delete=models.CASCADE, related_name="versies")
    veld = models.CharField(_("field"), max_length=20, choices=Veld.choices)
    nummer = models.PositiveIntegerField(_("version"))
    tekst = models.TextField(_("text"), blank=True)
    sessie = models.ForeignKey(
        "Sessie", on_delete=models.SET_NULL, null=True, blank=True, related_name="opgave_versies"
    )
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_deelnemer = models.ForeignKey(
        "Deelnemer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["opgave", "veld", "nummer"]
        verbose_name = _("opgave version")
        verbose_name_plural = _("opgave versions")
        constraints = [
            models.UniqueConstraint(
                fields=["opgave", "veld", "nummer"], name="opgaveversie_unique_number"
            ),
            models.CheckConstraint(condition=Q(nummer__gte=1), name="opgaveversie_nummer_positive"),
            models.CheckConstraint(
                condition=Q(veld__in=["formulering", "ambitie", "verbindende_vraag"]),
                name="opgaveversie_veld_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opgave} – {self.get_veld_display()} v{self.nummer}"


class Written(models.Model):
    """A text someone wrote for the team, and who and when (kept when the account goes)."""

    tekst = models.TextField(_("text"), blank=True)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class Kernboodschap(Written):
    """One version of the kernboodschap a facilitator writes for the bestuurlijke samenvatting:
    of the opgave (sessie empty) or of one of its sessies. The highest nummer is the current
    one; the versions are kept, as the opgave's texts are."""

    opgave = models.ForeignKey(Opgave, on_delete=models.CASCADE, related_name="kernboodschappen")
    sessie = models.ForeignKey(
        "Sessie",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="kernboodschappen",
    )
    nummer = models.PositiveIntegerField(_("version"))

    class Meta:
        ordering = ["opgave", "sessie", "nummer"]
        verbose_name = _("kernboodschap")
        verbose_name_plural = _("kernboodschappen")
        constraints = [
            models.UniqueConstraint(
                fields=["opgave", "nummer"],
                condition=Q(sessie__isnull=True),
                name="kernboodschap_opgave_unique_number",
            ),
            models.UniqueConstraint(
                fields=["sessie", "nummer"],
                condition=Q(sessie__isnull=False),
                name="kernboodschap_sessie_unique_number",
            ),
            models.CheckConstraint(
                condition=Q(nummer__gte=1), name="kernboodschap_nummer_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opgave} – {self.sessie or ''} v{self.nummer}"


class Partij(models.Model):
    """An organisation involved in the opgave."""

    class Wereld(models.TextChoices):
        PUBLIEK = "publiek", _("public")
        PRIVAAT = "privaat", _("private")
        PARTICULIER = "particulier", _("civil society")

    class Status(models.TextChoices):
        AAN_TAFEL = "aan_tafel", _("at the table")
        ONTBREEKT = "ontbreekt", _("missing")

    opgave = models.ForeignKey(Opgave, on_delete=models.CASCADE, related_name="partijen")
    name = models.CharField(_("name"), max_length=200)
    wereld = models.CharField(
        _("world"), max_length=20, choices=Wereld.choices, default=Wereld.PUBLIEK
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AAN_TAFEL
    )
    toelichting = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["opgave", "name"]
        verbose_name = _("partij")
        verbose_name_plural = _("partijen")
        constraints = [
            models.UniqueConstraint("opgave", Lower("name"), name="partij_unique_name_per_opgave"),
            models.CheckConstraint(
                condition=Q(wereld__in=["publiek", "privaat", "particulier"]),
                name="partij_wereld_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["aan_tafel", "ontbreekt"]), name="partij_status_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="partij_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ontbreekt(self) -> bool:
        return self.status == self.Status.ONTBREEKT
