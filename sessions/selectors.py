"""Reads that several callers share: the whole kaart of a tafel, the opgave's current texts.

The number of queries here does not depend on how many partijen or bijdragen a kaart has.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from sessions import sql
from sessions.access import Access, sees, sees_sql
from sessions.models import (
    GEWICHTEN,
    URGENTIES,
    Bijdrage,
    Deelnemer,
    KaartEvent,
    Koppeling,
    Opgave,
    OpgaveVersie,
    Partij,
    Perspectief,
    Presence,
    Sessie,
    Tafel,
    Vervolgstap,
    VervolgstapUpdate,
)


@dataclass
class PartijBlock:
    """One partij on a kaart: its perspectief, halen and brengen."""

    partij: Partij
    perspectief: Perspectief | None = None
    perspectief_hidden: bool = False
    halen: list[Bijdrage] = field(default_factory=list)
    brengen: list[Bijdrage] = field(default_factory=list)

    @property
    def columns(self) -> list[tuple[str, list[Bijdrage], str]]:
        return [
            ("haal", self.halen, gettext("Halen (interests)")),
            ("breng", self.brengen, gettext("Brengen (contributions)")),
        ]


# What the kaart puts first in each step (sessions/kaart.html, static/js/kaart.js): the
# regions in order ("board" is the partijen around the opgave). A region of another step than
# the current one is shown condensed: its heading and count, its content one click away.
FLOWS: dict[int, tuple[str, ...]] = {
    1: ("board", "ontbrekend", "koppelingen", "vervolgstappen", "inzicht"),
    2: ("board", "koppelingen", "ontbrekend", "vervolgstappen", "inzicht"),
    3: ("vervolgstappen", "inzicht", "board", "koppelingen", "ontbrekend"),
}
REGION_STEP = {"ontbrekend": 2, "koppelingen": 2, "vervolgstappen": 3, "inzicht": 3}


@dataclass
class Kaart:
    tafel: Tafel
    sessie: Sessie
    opgave: Opgave
    texts: dict[str, OpgaveVersie | None]
    blocks: list[PartijBlock]
    koppelingen: list[Koppeling]
    vervolgstappen: list[Vervolgstap]
    deelnemers: list[Deelnemer]
    presences: list[Presence]
    seq: int
    access: Access | None = None
    # In a push of one change: the number the page must have before it (a page that has
    # another one missed something and asks for the whole card).
    seq_prev: int | None = None

    max_text: int = settings.HB_MAX_TEXT_LENGTH

    @functools.cached_property
    def insight(self) -> dict:
        """The balance chart and the map of this kaart (sessions.insight), for this viewer."""
        from sessions.insight import kaart_insight_of

        return kaart_insight_of(self)

    @property
    def opgave_fields(self) -> list[tuple[str, str, OpgaveVersie | None]]:
        """The opgave's three texts in the order the method asks for them."""
        order = ["verbindende_vraag", "ambitie", "formulering"]
        labels = dict(OpgaveVersie.Veld.choices)
        return [(veld, labels[veld], self.texts[veld]) for veld in order]

    @property
    def breng_soorten(self) -> list[tuple[str, str]]:
        return Bijdrage.BrengSoort.choices

    @property
    def toezeggingen(self) -> list[tuple[str, str]]:
        return Bijdrage.Toezegging.choices

    @property
    def gewichten(self) -> tuple[int, ...]:
        return GEWICHTEN

    @property
    def statuses(self) -> list[tuple[str, str]]:
        """A vervolgstap's states, for its follow-up form."""
        return Vervolgstap.Status.choices

    @property
    def urgenties(self) -> tuple[int, ...]:
        return URGENTIES

    @property
    def halen(self) -> list[Bijdrage]:
        return [b for block in self.blocks for b in block.halen]

    @property
    def brengen(self) -> list[Bijdrage]:
        return [b for block in self.blocks for b in block.brengen]

    @property
    def own_partij_id(self) -> int | None:
        """The partij of the participant looking at this kaart (None for a facilitator)."""
        deelnemer = self.access.deelnemer if self.access is not None else None
        return deelnemer.partij_id if deelnemer is not None else None

    @property
    def aan_tafel(self) -> list[PartijBlock]:
        """The partijen at the table: the viewer's own first, then the others by name."""
        own = self.own_partij_id
        blocks = [b for b in self.blocks if not b.partij.ontbreekt]
        return sorted(blocks, key=lambda block: block.partij.pk != own)

    @property
    def stappen(self) -> list[tuple[int, str]]:
        return stappen()

    @property
    def flow(self) -> tuple[str, ...]:
        return FLOWS[self.sessie.stap]

    @property
    def flows(self) -> dict[int, str]:
        """Per step, the ids of the regions in the order that step shows them (for kaart.js)."""
        return {stap: " ".join(f"kaart-{name}" for name in flow) for stap, flow in FLOWS.items()}

    @property
    def condensed(self) -> dict[str, bool]:
        """Which regions belong to another step than the current one."""
        return {name: stap != self.sessie.stap for name, stap in REGION_STEP.items()}

    @property
    def ontbrekend(self) -> list[PartijBlock]:
        return [b for b in self.blocks if b.partij.ontbreekt]

    @functools.cached_property
    def werkgroep_lead(self) -> WerkgroepLead | None:
        return werkgroep_lead(self.tafel, self.deelnemers)


@dataclass
class WerkgroepLead:
    """What a werkgroep's kaart leads with: its vervolgstap, and the partijen it names that
    nobody at the tafel represents yet."""

    stap: Vervolgstap
    needed: list[Partij]


def werkgroep_lead(tafel: Tafel, deelnemers: list[Deelnemer] | None = None) -> WerkgroepLead | None:
    """The lead of a werkgroep's kaart; None for a tafel that is no werkgroep."""
    if tafel.werkgroep_id is None:
        return None
    stap = (
        Vervolgstap.objects.select_related("eigenaar")
        .prefetch_related(Prefetch("partijen", queryset=Partij.objects.order_by("name")))
        .filter(pk=tafel.werkgroep_id)
        .first()
    )
    if stap is None:
        return None
    if deelnemers is None:
        deelnemers = list(tafel.deelnemers.filter(revoked=False))
    seated = {d.partij_id for d in deelnemers}
    named = [stap.eigenaar, *(p for p in stap.partijen.all() if p.pk != stap.eigenaar_id)]
    return WerkgroepLead(stap=stap, needed=[p for p in named if p.pk not in seated])


def stappen() -> list[tuple[int, str]]:
    """The method's three steps, numbered and named."""
    return [
        (1, gettext("Formulate the opgave")),
        (2, gettext("Interests and contributions")),
        (3, gettext("Next steps")),
    ]


def current_texts(opgave: Opgave) -> dict[str, OpgaveVersie | None]:
    """The current version of each of the opgave's three texts (None where never written)."""
    current: dict[str, OpgaveVersie | None] = {veld: None for veld in OpgaveVersie.Veld.values}
    for versie in opgave.versies.order_by("veld", "nummer"):
        current[versie.veld] = versie
    return current


def _perspectief_visible(perspectief: Perspectief, access: Access) -> bool:
    """Private until revealed: before that only the facilitators and the partij's own people
    see it."""
    if not sees(access, vertrouwelijk=perspectief.vertrouwelijk, author_id=perspectief.author_id):
        return False
    if perspectief.revealed or access.role == "facilitator":
        return True
    return access.deelnemer is not None and access.deelnemer.partij_id == perspectief.partij_id


def partij_block(tafel: Tafel, partij_id: int, access: Access) -> PartijBlock | None:
    """One partij of the kaart with its perspectief as this person may see it (as kaart_for
    has it), without its halen and brengen; None for a partij not of the tafel's opgave."""
    partij = Partij.objects.filter(pk=partij_id, opgave_id=tafel.sessie.opgave_id).first()
    if partij is None:
        return None
    block = PartijBlock(partij=partij)
    perspectief = (
        Perspectief.objects.select_related("herkomst")
        .filter(tafel_id=tafel.pk, partij_id=partij_id)
        .first()
    )
    if perspectief is not None and _perspectief_visible(perspectief, access):
        block.perspectief = perspectief
    elif perspectief is not None:
        block.perspectief_hidden = True
    return block


PRESENCE_TTL = datetime.timedelta(seconds=60)


def present_at(tafel_id: int) -> list[Presence]:
    """Who is at the tafel now: one entry per person (several tabs count once)."""
    since = timezone.now() - PRESENCE_TTL
    people: dict[tuple[str, str], Presence] = {}
    for presence in Presence.objects.filter(tafel_id=tafel_id, last_seen__gte=since).order_by(
        "name", "-last_seen"
    ):
        key = (presence.name, presence.partij_name)
        if key not in people or (presence.editing and not people[key].editing):
            people[key] = presence
    return list(people.values())


def kaart_for(tafel_id: int, access: Access) -> Kaart:
    """The whole kaart of one tafel as this person may see it, read at one moment (its items
    and the number of its last change agree)."""
    with sql.snapshot():
        return _kaart_for(tafel_id, access)


def _kaart_for(tafel_id: int, access: Access) -> Kaart:
    tafel = Tafel.objects.select_related("sessie__opgave").get(pk=tafel_id)
    sessie = tafel.sessie
    opgave = sessie.opgave
    partijen = list(opgave.partijen.order_by("status", "name"))
    blocks = {p.pk: PartijBlock(partij=p) for p in partijen}

    for perspectief in tafel.perspectieven.all():
        block = blocks.get(perspectief.partij_id)
        if block is None:
            continue
        if _perspectief_visible(perspectief, access):
            block.perspectief = perspectief
        else:
            block.perspectief_hidden = True

    bijdragen = [
        b
        for b in tafel.bijdragen.order_by("position", "id")
        if sees(access, vertrouwelijk=b.vertrouwelijk, author_id=b.author_id)
    ]
    visible_ids = {b.pk for b in bijdragen}
    for bijdrage in bijdragen:
        block = blocks[bijdrage.partij_id]
        bijdrage.partij = block.partij  # already loaded: no query per bijdrage
        (block.brengen if bijdrage.is_breng else block.halen).append(bijdrage)

    koppelingen = [
        k
        for k in tafel.koppelingen.select_related("haal__partij", "breng__partij")
        if k.haal_id in visible_ids and k.breng_id in visible_ids
    ]
    vervolgstappen = list(
        tafel.vervolgstappen.select_related("eigenaar").prefetch_related(
            Prefetch("partijen", queryset=Partij.objects.order_by("name")),
            Prefetch("updates", queryset=VervolgstapUpdate.objects.order_by("created_at", "id")),
            "voorganger__updates",
        )
    )
    _herkomst(
        [b.perspectief for b in blocks.values() if b.perspectief],
        bijdragen,
        koppelingen,
        vervolgstappen,
    )
    deelnemers = list(tafel.deelnemers.filter(revoked=False).select_related("partij"))
    presences = present_at(tafel.pk)
    last = tafel.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    return Kaart(
        tafel=tafel,
        sessie=sessie,
        opgave=opgave,
        texts=current_texts(opgave),
        blocks=list(blocks.values()),
        koppelingen=koppelingen,
        vervolgstappen=vervolgstappen,
        deelnemers=deelnemers,
        presences=presences,
        seq=last,
        access=access,
    )


def _herkomst(*groups: list) -> None:
    """The earlier sessie each carried item came from (services.carry), read in one query for
    the whole kaart, not one per item."""
    items = [item for group in groups for item in group if item.herkomst_id]
    if not items:
        return
    sessies = Sessie.objects.only("pk", "title").in_bulk({item.herkomst_id for item in items})
    for item in items:
        item.herkomst = sessies.get(item.herkomst_id)


def plenair_kaarten(sessie: Sessie, access: Access) -> dict:
    """The plenary view: every tafel's kaart in order, and the sessie's plenary kaart."""
    tafels = list(sessie.tafels.order_by("nummer"))
    plenair = next((t for t in tafels if t.plenair), None)
    return {
        "kaarten": [kaart_for(t.pk, access) for t in tafels if not t.plenair],
        "plenair": kaart_for(plenair.pk, access) if plenair else None,
    }


RECENT = datetime.timedelta(seconds=60)


@dataclass(frozen=True)
class Latest:
    """One of a tafel's newest bijdragen, as its control-room line shows it."""

    soort: str
    partij_name: str
    tekst: str


@dataclass
class TafelOverview:
    tafel_id: int
    halen: int
    brengen: int
    koppelingen: int
    vervolgstappen: int
    present: list[str]
    last_change: datetime.datetime | None
    latest: list[Latest]

    @property
    def has_content(self) -> bool:
        """Anything was ever written on this kaart (its removal then asks to be confirmed)."""
        return self.last_change is not None

    @property
    def recent(self) -> bool:
        return self.last_change is not None and timezone.now() - self.last_change < RECENT


def tafel_overviews(sessie_id: int, access: Access, tafel_ids: list[int]) -> dict:
    """A compact, live summary of each of these tafels of the sessie for the facilitators'
    screens, by tafel (none for a tafel that is not the sessie's, or is its plenary one);
    constant queries, each count its own subquery: one join of every list would multiply
    their rows."""
    counts = _counts(sessie_id, tafel_ids)
    ids = list(counts)
    present: dict[int, list[str]] = {pk: [] for pk in ids}
    latest: dict[int, list[Latest]] = {pk: [] for pk in ids}
    if ids:
        marks = ", ".join(["%s"] * len(ids))
        for tafel_id, name in sql.rows(
            f"SELECT DISTINCT tafel_id, name FROM {Presence._meta.db_table}"
            f" WHERE tafel_id IN ({marks}) AND last_seen >= %s ORDER BY name",
            [*ids, timezone.now() - PRESENCE_TTL],
        ):
            if name not in present[tafel_id]:
                present[tafel_id].append(name)
        seen, seen_params = sees_sql(access, "b")
        for tafel_id, soort, partij_name, tekst in sql.rows(
            "SELECT tafel_id, soort, name, tekst FROM ("
            " SELECT b.tafel_id, b.soort, p.name, b.tekst, ROW_NUMBER() OVER ("
            "  PARTITION BY b.tafel_id ORDER BY b.created_at DESC, b.id DESC) AS rank"
            f" FROM {Bijdrage._meta.db_table} b JOIN {Partij._meta.db_table} p"
            f" ON p.id = b.partij_id WHERE b.tafel_id IN ({marks}) AND {seen}"
            ") newest WHERE rank <= %s ORDER BY tafel_id, rank",
            [*ids, *seen_params, LATEST],
        ):
            latest[tafel_id].append(Latest(soort, partij_name, tekst))
    result = {}
    for pk, (halen, brengen, koppelingen, vervolgstappen, last_change) in counts.items():
        result[pk] = TafelOverview(
            tafel_id=pk,
            halen=halen,
            brengen=brengen,
            koppelingen=koppelingen,
            vervolgstappen=vervolgstappen,
            present=present[pk],
            last_change=last_change,
            latest=latest[pk],
        )
    return result


LATEST = 3  # bijdragen per tafel in its overview


def _counts(sessie_id: int, tafel_ids: list[int]) -> dict[int, tuple]:
    """Per tafel of these that sits in the sessie (not its plenary one): its halen, brengen,
    koppelingen and vervolgstappen counted, and the time of its last change; one written-out
    query, each count its own subquery (one join of every list would multiply their rows;
    through the ORM the building cost ten times the query)."""
    if not tafel_ids:
        return {}
    bijdragen, events = Bijdrage._meta.db_table, KaartEvent._meta.db_table
    koppelingen, stappen = Koppeling._meta.db_table, Vervolgstap._meta.db_table
    marks = ", ".join(["%s"] * len(tafel_ids))
    found = sql.rows(
        f"SELECT t.id,"
        f" (SELECT count(*) FROM {bijdragen} b WHERE b.tafel_id = t.id AND b.soort = %s),"
        f" (SELECT count(*) FROM {bijdragen} b WHERE b.tafel_id = t.id AND b.soort = %s),"
        f" (SELECT count(*) FROM {koppelingen} k WHERE k.tafel_id = t.id),"
        f" (SELECT count(*) FROM {stappen} v WHERE v.tafel_id = t.id),"
        f" (SELECT e.created_at FROM {events} e WHERE e.tafel_id = t.id"
        f" ORDER BY e.seq DESC LIMIT 1)"
        f" FROM {Tafel._meta.db_table} t WHERE t.id IN ({marks})"
        f" AND t.sessie_id = %s AND NOT t.plenair",
        [Bijdrage.Soort.HAAL, Bijdrage.Soort.BRENG, *tafel_ids, sessie_id],
    )
    field = KaartEvent._meta.get_field("created_at")
    converters = connection.ops.get_db_converters(field.get_col(KaartEvent._meta.db_table))
    counts = {}
    for pk, *numbers, last_change in found:
        for converter in converters:
            last_change = converter(last_change, field, connection)
        counts[pk] = (*numbers, last_change)
    return counts


def werkgroep_choices(sessie: Sessie) -> list[Vervolgstap]:
    """The vervolgstappen werkgroepen are formed from: those of the sessie's plenary kaart,
    where the tafels' results are gathered; while it has none, those of the tafels (not the
    first actions a werkgroep writes on its own kaart)."""
    stappen = list(
        Vervolgstap.objects.filter(tafel__sessie=sessie, tafel__werkgroep__isnull=True)
        .select_related("eigenaar", "tafel")
        .prefetch_related("partijen", "werkgroepen")
        .order_by("-tafel__plenair", "tafel__nummer", "position", "pk")
    )
    plenair = [stap for stap in stappen if stap.tafel.plenair]
    return plenair or stappen


def werkgroepen(sessie: Sessie) -> list[Tafel]:
    """The sessie's werkgroepen (step 3), each with the vervolgstap it works out."""
    return list(
        sessie.tafels.filter(werkgroep__isnull=False)
        .select_related("werkgroep__eigenaar")
        .prefetch_related("werkgroep__partijen")
        .order_by("nummer")
    )


def sessie_room(sessie: Sessie, access: Access) -> dict:
    """Everything the sessie's control room shows."""
    tafels = list(sessie.tafels.filter(plenair=False))
    overviews = tafel_overviews(sessie.pk, access, [tafel.pk for tafel in tafels])
    deelnemers = list(
        sessie.deelnemers.filter(revoked=False).select_related("partij").order_by("name")
    )
    for tafel in tafels:
        tafel.overview = overviews[tafel.pk]
        tafel.seated = [d for d in deelnemers if d.tafel_id == tafel.pk]
    return {
        "sessie": sessie,
        "access": access,
        "tafels": tafels,
        "deelnemers": deelnemers,
        "unseated": [d for d in deelnemers if d.tafel_id is None],
        # Step 3 in werkgroepen: the vervolgstappen the facilitator can form them from.
        "werkgroep_choices": werkgroep_choices(sessie) if access.can_manage else [],
    }
