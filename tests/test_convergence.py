"""What everyone at the tafel is pushed equals what a fresh page load shows them, for every kind
of change (the verify_action idea of zulip's events system), and is the smallest push of it:
the item it changed, not the region around it. Applied to their page as it was, it leaves the
page a fresh load shows.

The viewers see the kaart differently: Anna's partij has a perspectief nobody else but the
facilitator sees before the reveal, Cor has a vertrouwelijk item only he and the facilitator
see. Their sockets share one process, where a region is rendered once for everyone who sees it
alike (sessions.pushcache): each must still get exactly their own page's region."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async

from sessions import services
from tests.kaart_helpers import (
    Socket,
    kaart_page,
    make_kaarten,
    region_of_page,
    regions,
    taken_out,
)
from tests.page_model import CONTENT_REGIONS, PageModel

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ONLY = {"kaart-live", "kaart-ack", "kaart-alert", "kaart-pong"}
# The sender's ack also clears the feedback of the form the change came from; its own change
# comes in the same frame (KaartConsumer._own_push).
ACK_FEEDBACK = re.compile(r"form-.+-(error|conflict)")


def seed(k):
    """A kaart with something of everything on it."""
    actor = services.Actor()
    haal = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Malafide weren", actor=actor
    )
    haal2 = services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Tweede haal", actor=actor
    )
    breng = services.bijdrage_add(
        tafel=k.tafel_a,
        partij=k.gemeente,
        soort="breng",
        tekst="Coördinatie",
        breng_soort="mensen_tijd",
        toezegging="toegezegd",
        actor=actor,
    )
    koppeling = services.koppeling_add(
        tafel=k.tafel_a, haal_id=haal.pk, breng_id=breng.pk, actor=actor
    )
    stap = services.vervolgstap_add(
        tafel=k.tafel_a,
        title="Integrale controles",
        eigenaar=k.gemeente,
        partijen=[k.politie],
        actor=actor,
    )
    services.perspectief_set(
        tafel=k.tafel_a, partij=k.politie, tekst="Privé eerst", urgentie=4, actor=actor
    )
    services.bijdrage_add(
        tafel=k.tafel_a,
        partij=k.omgevingsdienst,
        soort="breng",
        tekst="Alleen voor Cor",
        breng_soort="kennis_data",
        toezegging="mogelijk",
        vertrouwelijk=True,
        actor=services.Actor(deelnemer=_deelnemer(k, "Cor")),
    )
    return {"haal": haal, "haal2": haal2, "breng": breng, "koppeling": koppeling, "stap": stap}


CHANGES = {
    "bijdrage_add": lambda k, s: {
        "action": "bijdrage_add",
        "partij": k.politie.pk,
        "soort": "breng",
        "tekst": "Handhaving",
        "breng_soort": "bevoegdheden",
        "toezegging": "mogelijk",
        "gewicht": 3,
    },
    "bijdrage_edit": lambda k, s: {
        "action": "bijdrage_edit",
        "id": s["haal"].pk,
        "version": 1,
        "tekst": "Malafide bedrijven weren",
        "gewicht": 2,
    },
    "bijdrage_delete": lambda k, s: {"action": "bijdrage_delete", "id": s["haal"].pk, "version": 1},
    # The same for a bijdrage no koppeling links: pushed from its row alone when the pictures
    # come later (fragments.lean).
    "bijdrage_edit_unlinked": lambda k, s: {
        "action": "bijdrage_edit",
        "id": s["haal2"].pk,
        "version": 1,
        "tekst": "Tweede haal, scherper",
        "gewicht": 3,
    },
    "bijdrage_delete_unlinked": lambda k, s: {
        "action": "bijdrage_delete",
        "id": s["haal2"].pk,
        "version": 1,
    },
    "bijdrage_move": lambda k, s: {
        "action": "bijdrage_move",
        "id": s["haal2"].pk,
        "direction": "up",
    },
    "perspectief_set": lambda k, s: {
        "action": "perspectief_set",
        "partij": k.politie.pk,
        "version": 1,
        "tekst": "Nu anders",
        "urgentie": 5,
    },
    "koppeling_add": lambda k, s: {
        "action": "koppeling_add",
        "haal": s["haal2"].pk,
        "breng": s["breng"].pk,
    },
    "koppeling_delete": lambda k, s: {"action": "koppeling_delete", "id": s["koppeling"].pk},
    "vervolgstap_add": lambda k, s: {
        "action": "vervolgstap_save",
        "title": "Gebiedsofficier",
        "eigenaar": k.politie.pk,
        "partijen": [k.gemeente.pk, k.omgevingsdienst.pk],
        "datum": "2027-01-15",
    },
    "vervolgstap_edit": lambda k, s: {
        "action": "vervolgstap_save",
        "id": s["stap"].pk,
        "version": 1,
        "title": "Integrale controles, elk kwartaal",
        "eigenaar": k.gemeente.pk,
        "partijen": [k.politie.pk],
    },
    "vervolgstap_delete": lambda k, s: {
        "action": "vervolgstap_delete",
        "id": s["stap"].pk,
        "version": 1,
    },
    "vervolgstap_follow_up": lambda k, s: {
        "action": "vervolgstap_follow_up",
        "id": s["stap"].pk,
        "status": "bezig",
        "tekst": "Eerste controle gedaan",
    },
    "opgave_text": lambda k, s: {
        "action": "opgave_text",
        "veld": "ambitie",
        "version": 0,
        "tekst": "Veiligheid en leefbaarheid waarborgen",
    },
    "partij_missing": lambda k, s: {
        "action": "partij_missing",
        "name": "Openbaar Ministerie",
        "toelichting": "gebiedsofficier",
    },
    "undo": lambda k, s: {"action": "undo"},
    "perspectieven_reveal": lambda k, s: {"action": "perspectieven_reveal"},
}
# An undo of anna's own change of each kind pushed on its own, made before it is sent ("undo"
# takes back a bijdrage she added).
UNDONE = {
    "undo_bijdrage_move": lambda k, s, actor: services.bijdrage_move(
        tafel=k.tafel_a, bijdrage_id=s["haal2"].pk, direction="up", actor=actor
    ),
    "undo_koppeling_add": lambda k, s, actor: services.koppeling_add(
        tafel=k.tafel_a, haal_id=s["haal2"].pk, breng_id=s["breng"].pk, actor=actor
    ),
    "undo_vervolgstap_edit": lambda k, s, actor: services.vervolgstap_edit(
        tafel=k.tafel_a,
        vervolgstap_id=s["stap"].pk,
        expected_version=1,
        title="Anders",
        eigenaar_id=k.politie.pk,
        actor=actor,
    ),
    "undo_perspectief_set": lambda k, s, actor: services.perspectief_set(
        tafel=k.tafel_a, partij=k.politie, tekst="Toch niet", urgentie=2, actor=actor
    ),
    "undo_opgave_text": lambda k, s, actor: services.kaart_opgave_text_set(
        tafel=k.tafel_a, veld="formulering", tekst="Even anders", expected_version=0, actor=actor
    ),
}
CHANGES.update({name: CHANGES["undo"] for name in UNDONE})

# What each change pushes besides the number and the pictures: its item alone (and a list's
# count with an item added or taken out), as element ids; a change of more than one item
# (a new partij, an undo) pushes regions.
ITEM = {
    "bijdrage_add": [r"bijdrage-\d+"],
    # A linked bijdrage: with each koppeling that shows it, in place or taken out.
    "bijdrage_edit": [r"bijdrage-\d+", r"koppeling-\d+"],
    "bijdrage_delete": [r"bijdrage-\d+", r"koppeling-\d+", "kaart-koppelingen-count"],
    "bijdrage_edit_unlinked": [r"bijdrage-\d+"],
    "bijdrage_delete_unlinked": [r"bijdrage-\d+"],
    "bijdrage_move": [r"bijdrage-\d+"],
    "perspectief_set": [r"perspectief-\d+"],
    "koppeling_add": [r"koppeling-\d+", "kaart-koppelingen-count"],
    "koppeling_delete": [r"koppeling-\d+", "kaart-koppelingen-count"],
    "vervolgstap_add": [r"vervolgstap-\d+", "kaart-vervolgstappen-count"],
    "vervolgstap_edit": [r"vervolgstap-\d+"],
    "vervolgstap_delete": [r"vervolgstap-\d+", "kaart-vervolgstappen-count"],
    "vervolgstap_follow_up": [r"vervolgstap-\d+"],
    "opgave_text": ["opgave-ambitie"],
    # Taken back, an in-place change is put back in place.
    "undo_perspectief_set": [r"perspectief-\d+"],
    "undo_opgave_text": ["opgave-formulering"],
    # The reveal: each perspectief it showed, in place.
    "perspectieven_reveal": [r"perspectief-\d+"],
}
LEAN = list(ITEM)

# Who looks, in which language: the audiences a push is rendered for. Anna, Cor and the
# facilitator edit in the sender's language (Anna's), so a lean change reaches them as it was
# rendered at commit (sessions.push); Bram reads Dutch and the coordinator may not edit, so
# theirs is rendered from the database.
VIEWERS = {"anna": "en", "bram": "nl", "cor": "en", "facilitator": "en", "coordinator": "en"}


@pytest.mark.parametrize(
    ("change", "pictures_later"),
    [(change, False) for change in CHANGES] + [(change, True) for change in LEAN],
)
async def test_pushed_fragment_equals_a_fresh_page(change, pictures_later, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Later: the pictures leave the change's push, which is then rendered from its row.
    settings.HB_PICTURE_DELAY = 30 if pictures_later else 0
    k = await sync_to_async(make_kaarten)()
    items = await sync_to_async(seed)(k)
    sender_name = "facilitator" if change == "perspectieven_reveal" else "anna"
    anna = services.Actor(deelnemer=await sync_to_async(_deelnemer)(k, "Anna"))
    if change == "undo":  # anna's own change first, so there is something of hers to undo
        await sync_to_async(services.bijdrage_add)(
            tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Te snel", actor=anna
        )
    elif change in UNDONE:
        await sync_to_async(UNDONE[change])(k, items, anna)
    before = {}
    for name, language in VIEWERS.items():
        before[name] = await sync_to_async(kaart_page)(k, name, language)
    sockets = {}
    for name, language in VIEWERS.items():
        sockets[name] = Socket(k.tafel_a.pk, k.people[name], language=language)
        await sockets[name].open()
    for socket in sockets.values():
        await socket.drain()
    await sockets[sender_name].send(f"form-{change}", **CHANGES[change](k, items))
    for name, socket in sockets.items():
        pushed = await socket.receive_until("kaart-seq")
        page = await sync_to_async(kaart_page)(k, name, VIEWERS[name])
        pushed_regions = {
            i: html
            for i, html in regions(pushed).items()
            if i not in CLIENT_ONLY and not ACK_FEEDBACK.fullmatch(i)
        }
        assert len(pushed_regions) >= 2 or taken_out(pushed), pushed
        if pictures_later:
            assert "kaart-inzicht" not in pushed_regions
        if change in ITEM:
            # The smallest push: the item (and its list's count), not the region around it.
            small = [*ITEM[change], "kaart-seq", "kaart-inzicht"]
            for element_id in [*pushed_regions, *taken_out(pushed)]:
                assert any(re.fullmatch(allowed, element_id) for allowed in small), (
                    name,
                    element_id,
                )
        model = PageModel(before[name], k.tafel_a.pk)
        assert model.apply(pushed) == []
        fresh = PageModel(page, k.tafel_a.pk)
        for region in CONTENT_REGIONS:
            if region != "kaart-inzicht" or not pictures_later:
                assert model.region(region) == fresh.region(region), (name, region)
        for element_id in taken_out(pushed):
            # Taken out by the push: not on a fresh page either.
            assert f'id="{element_id}"' not in page, (name, element_id)
            del pushed_regions[element_id]
        # A push of change n also says it follows n - 1 (data-prev, for the page's gap check);
        # a page load has nothing before it.
        assert f'data-prev="{int(_seq(pushed)) - 1}"' in pushed_regions["kaart-seq"]
        pushed_regions["kaart-seq"] = re.sub(r' data-prev="\d+"', "", pushed_regions["kaart-seq"])
        for element_id, html in pushed_regions.items():
            assert html == region_of_page(page, element_id), (name, element_id)
    for socket in sockets.values():
        await socket.close()


def _seq(pushed: str) -> str:
    return re.search(r'id="kaart-seq"[^>]*data-seq="(\d+)"', pushed)[1]


def _deelnemer(k, name):
    from sessions.models import Deelnemer

    return Deelnemer.objects.get(name=name, tafel=k.tafel_a)
