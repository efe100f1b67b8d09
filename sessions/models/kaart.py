"""What a tafel writes on its kaart: perspectieven, bijdragen (halen and brengen), koppelingen,
vervolgstappen, and the numbered log of every change."""

import functools

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sessions.models.opgaven import Partij, Written
from sessions.models.sessies import Deelnemer, Sessie, Tafel

# The scales of the kaart, written once: the database's constraints, the forms, the services and
# the templates take them from here.
URGENTIES = (1, 2, 3, 4, 5)  # a perspectief's urgency: 1 = low, 5 = very high
GEWICHTEN = (1, 2, 3)  # a bijdrage's weight


def carried_from() -> models.ForeignKey:
    """An item's `herkomst`: the earlier sessie it was carried from when its sessie started
    from that kaart (services.carry); None when it was written here."""
    return models.ForeignKey(
        Sessie,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("carried from"),
    )


class Perspectief(models.Model):
    """A partij's own view of the opgave on a kaart, with its urgency; private until revealed."""

    tafel = models.ForeignKey(Tafel, on_delete=models.CASCADE, related_name="perspectieven")
    partij = models.ForeignKey(Partij, on_delete=models.CASCADE, related_name="perspectieven")
    tekst = models.TextField(_("text"), blank=True)
    urgentie = models.PositiveSmallIntegerField(_("urgency"), null=True, blank=True)
    revealed = models.BooleanField(_("revealed"), default=False)
    vertrouwelijk = models.BooleanField(_("confidential"), default=False)
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        Deelnemer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    herkomst = carried_from()

    class Meta:
        ordering = ["tafel", "partij__name"]
        verbose_name = _("perspectief")
        verbose_name_plural = _("perspectieven")
        constraints = [
            models.UniqueConstraint(fields=["tafel", "partij"], name="perspectief_unique_partij"),
            models.CheckConstraint(
                condition=Q(urgentie__isnull=True)
                | Q(urgentie__gte=URGENTIES[0], urgentie__lte=URGENTIES[-1]),
                name="perspectief_urgentie_1_5",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="perspectief_version_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.partij}: {self.tekst[:40]}"


class Bijdrage(models.Model):
    """One haal (interest) or breng (contribution) of a partij on a kaart."""

    class Soort(models.TextChoices):
        HAAL = "haal", _("haal (interest)")
        BRENG = "breng", _("breng (contribution)")

    class BrengSoort(models.TextChoices):
        MENSEN_TIJD = "mensen_tijd", _("people and time")
        GELD = "geld", _("money")
        KENNIS_DATA = "kennis_data", _("knowledge and data")
        BEVOEGDHEDEN = "bevoegdheden", _("powers (bevoegdheden)")
        NETWERK = "netwerk", _("network")
        ANDERS = "anders", _("other")

    class Toezegging(models.TextChoices):
        TOEGEZEGD = "toegezegd", _("committed")
        MOGELIJK = "mogelijk", _("possible")

    tafel = models.ForeignKey(Tafel, on_delete=models.CASCADE, related_name="bijdragen")
    partij = models.ForeignKey(Partij, on_delete=models.CASCADE, related_name="bijdragen")
    soort = models.CharField(_("kind"), max_length=5, choices=Soort.choices)
    tekst = models.TextField(_("text"))
    gewicht = models.PositiveSmallIntegerField(_("weight"), default=1)
    breng_soort = models.CharField(
        _("kind of contribution"), max_length=20, choices=BrengSoort.choices, blank=True
    )
    toezegging = models.CharField(
        _("commitment"), max_length=10, choices=Toezegging.choices, blank=True
    )
    vertrouwelijk = models.BooleanField(_("confidential"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        Deelnemer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    herkomst = carried_from()

    class Meta:
        ordering = ["tafel", "partij", "soort", "position", "id"]
        verbose_name = _("bijdrage")
        verbose_name_plural = _("bijdragen")
        constraints = [
            models.CheckConstraint(condition=Q(soort__in=["haal", "breng"]), name="bijdrage_soort"),
            models.CheckConstraint(
                condition=Q(gewicht__gte=GEWICHTEN[0], gewicht__lte=GEWICHTEN[-1]),
                name="bijdrage_gewicht_1_3",
            ),
            models.CheckConstraint(condition=~Q(tekst=""), name="bijdrage_tekst_not_empty"),
            # A haal has no kind of contribution and no commitment; a breng has both.
            models.CheckConstraint(
                condition=(
                    Q(soort="haal", breng_soort="", toezegging="")
                    | Q(
                        soort="breng",
                        breng_soort__in=[
                            "mensen_tijd",
                            "geld",
                            "kennis_data",
                            "bevoegdheden",
                            "netwerk",
                            "anders",
                        ],
                        toezegging__in=["toegezegd", "mogelijk"],
                    )
                ),
                name="bijdrage_breng_fields",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="bijdrage_version_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.get_soort_display()} {self.partij}: {self.tekst[:40]}"

    @property
    def is_breng(self) -> bool:
        return self.soort == self.Soort.BRENG

    # The labels of a breng's kind and commitment, looked up once per language (a kaart shows
    # hundreds; get_FOO_display translates on every call).
    @property
    def breng_soort_label(self) -> str:
        return _choice_label(self.BrengSoort, self.breng_soort, get_language())

    @property
    def toezegging_label(self) -> str:
        return _choice_label(self.Toezegging, self.toezegging, get_language())


@functools.cache
def _choice_label(choices: type[models.Choices], value: str, language: str | None) -> str:
    return str(dict(choices.choices).get(value, value))


class Koppeling(models.Model):
    """This haal of one partij is answered by that breng of another: here we need each other."""

    tafel = models.ForeignKey(Tafel, on_delete=models.CASCADE, related_name="koppelingen")
    haal = models.ForeignKey(Bijdrage, on_delete=models.CASCADE, related_name="koppelingen_haal")
    breng = models.ForeignKey(Bijdrage, on_delete=models.CASCADE, related_name="koppelingen_breng")
    author = models.ForeignKey(
        Deelnemer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    herkomst = carried_from()

    class Meta:
        ordering = ["tafel", "created_at", "id"]
        verbose_name = _("koppeling")
        verbose_name_plural = _("koppelingen")
        constraints = [
            models.UniqueConstraint(fields=["haal", "breng"], name="koppeling_unique_pair"),
            models.CheckConstraint(condition=~Q(haal=models.F("breng")), name="koppeling_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.haal} ← {self.breng}"


class Vervolgstap(models.Model):
    """A next step or sub-project, owned by one partij, with a small team of partijen; followed
    up across the sessies of the opgave (status, and a log of VervolgstapUpdate)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        BEZIG = "bezig", _("in progress")
        KLAAR = "klaar", _("done")
        GESTOPT = "gestopt", _("stopped")

    # Still to do: what the samenvatting lists, a next sessie reviews, and can be overdue.
    UNDERWAY = ("open", "bezig")

    tafel = models.ForeignKey(Tafel, on_delete=models.CASCADE, related_name="vervolgstappen")
    title = models.CharField(_("title"), max_length=300)
    eigenaar = models.ForeignKey(
        Partij,
        on_delete=models.PROTECT,
        related_name="vervolgstappen_eigenaar",
        verbose_name=_("owner"),
    )
    partijen = models.ManyToManyField(
        Partij, related_name="vervolgstappen", blank=True, verbose_name=_("participating partijen")
    )
    datum = models.DateField(_("date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    position = models.PositiveIntegerField(_("position"), default=0)
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        Deelnemer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    herkomst = carried_from()
    # The vervolgstap of an earlier sessie this one continues (carried with it): its follow-up
    # goes on here, and the action list shows this one in its place.
    voorganger = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opvolgers",
        verbose_name=_("continues"),
    )

    class Meta:
        ordering = ["tafel", "position", "id"]
        verbose_name = _("vervolgstap")
        verbose_name_plural = _("vervolgstappen")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="vervolgstap_title_not_empty"),
            models.CheckConstraint(condition=Q(version__gte=1), name="vervolgstap_version_pos"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "bezig", "klaar", "gestopt"]),
                name="vervolgstap_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def latest_update(self) -> "VervolgstapUpdate | None":
        """Its newest follow-up (from the prefetched log when the kaart's read loaded it); for
        one carried from an earlier sessie without a follow-up of its own yet, that of the
        vervolgstap it continues."""
        updates = list(self.updates.all())
        if updates:
            return max(updates, key=lambda u: (u.created_at, u.pk))
        return self.voorganger.latest_update if self.voorganger_id else None


class VervolgstapUpdate(Written):
    """One entry of a vervolgstap's follow-up: its status from then on, and a short update."""

    vervolgstap = models.ForeignKey(Vervolgstap, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=10, choices=Vervolgstap.Status.choices)

    class Meta:
        ordering = ["vervolgstap", "created_at", "id"]
        verbose_name = _("vervolgstap update")
        verbose_name_plural = _("vervolgstap updates")

    def __str__(self) -> str:
        return f"{self.vervolgstap} – {self.status}"


class KaartEvent(models.Model):
    """The event log of one kaart: every accepted change, numbered without gaps per tafel."""

    tafel = models.ForeignKey(Tafel, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField(_("sequence number"))
    kind = models.CharField(_("kind"), max_length=50)
    data = models.JSONField(_("data"), default=dict)
    actor_name = models.CharField(_("actor"), max_length=200, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_deelnemer = models.ForeignKey(
        Deelnemer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["tafel", "seq"]
        verbose_name = _("kaart event")
        verbose_name_plural = _("kaart events")
        constraints = [
            models.UniqueConstraint(fields=["tafel", "seq"], name="kaartevent_unique_seq"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="kaartevent_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.tafel} #{self.seq} {self.kind}"
