"""The domain of Halen/Brengen: an opgave, its partijen and sessies, and the kaart of each tafel.

Domain terms are Dutch (see the glossary in README.md); everything else is English.
Every write goes through sessions.services; these models hold data and invariants only.
"""

import functools
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def new_join_token() -> str:
    """A capability token of 192 bits from the OS's random source."""
    return secrets.token_urlsafe(24)


class Team(models.Model):
    """The people who run and follow a set of opgaven."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("facilitator")
        COORDINATOR = "coordinator", _("coordinator")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user"),
            models.CheckConstraint(
                condition=Q(role__in=["facilitator", "coordinator"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.team})"


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


# The scales of the kaart, written once: the database's constraints, the forms, the services and
# the templates take them from here.
URGENTIES = (1, 2, 3, 4, 5)  # a perspectief's urgency: 1 = low, 5 = very high
GEWICHTEN = (1, 2, 3)  # a bijdrage's weight


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
    """A next step or sub-project, owned by one partij, with a small team of partijen."""

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
    position = models.PositiveIntegerField(_("position"), default=0)
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        Deelnemer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["tafel", "position", "id"]
        verbose_name = _("vervolgstap")
        verbose_name_plural = _("vervolgstappen")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="vervolgstap_title_not_empty"),
            models.CheckConstraint(condition=Q(version__gte=1), name="vervolgstap_version_pos"),
        ]

    def __str__(self) -> str:
        return self.title


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


class Presence(models.Model):
    """Who is at a tafel right now: one row per open connection, refreshed by its heartbeat."""

    tafel = models.ForeignKey(Tafel, on_delete=models.CASCADE, related_name="presences")
    channel_name = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    partij_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, blank=True)
    editing = models.CharField(max_length=100, blank=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["tafel", "name", "id"]
        verbose_name = _("presence")
        verbose_name_plural = _("presences")
        indexes = [models.Index(fields=["tafel", "last_seen"], name="presence_tafel_seen")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.tafel}"
