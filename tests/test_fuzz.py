"""Generated input at the kaart's edge never crashes it and never changes what the sender may
not change."""

from __future__ import annotations

import json
import random

import pytest
from asgiref.sync import sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from sessions import actions, services
from sessions.access import Access
from sessions.models import Bijdrage, KaartEvent, OpgaveVersie, Partij, Perspectief
from tests.kaart_helpers import Socket, make_kaarten

ACTIONS = [*actions.ACTIONS, "drop", "", "ping", "editing"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.text(min_size=2001, max_size=2100),
    # Lone surrogates and NUL, as JSON's "\ud800" and "\u0000" decode: invalid text.
    st.text(st.characters(categories=["Cs", "Ll"], include_characters="\x00"), max_size=5),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.text(max_size=5), scalars, max_size=2),
)
FIELDS = [
    "id",
    "version",
    "partij",
    "soort",
    "tekst",
    "gewicht",
    "breng_soort",
    "toezegging",
    "haal",
    "breng",
    "eigenaar",
    "partijen",
    "datum",
    "veld",
    "title",
    "name",
    "direction",
    "urgentie",
    "tafel",
    "vertrouwelijk",
    "toelichting",
]


def messages(ids):
    """Action messages whose fields are random, or the ids of things elsewhere."""
    field_values = st.one_of(values, st.sampled_from(ids))
    return st.fixed_dictionaries(
        {"action": st.sampled_from(ACTIONS)},
        optional={name: field_values for name in FIELDS},
    )


def snapshot_elsewhere(k):
    """Everything outside tafel A's kaart that a participant of tafel A must never change."""
    return (
        list(Bijdrage.objects.exclude(tafel=k.tafel_a).values_list("pk", "tekst", "version")),
        list(Perspectief.objects.exclude(tafel=k.tafel_a).values_list("pk", "tekst", "version")),
        list(KaartEvent.objects.exclude(tafel=k.tafel_a).values_list("pk", "seq")),
        sorted(Partij.objects.values_list("pk", "name", "status")),
    )


class FuzzActions(TestCase):
    def setUp(self):
        self.k = make_kaarten()
        actor = services.Actor()
        self.foreign = services.bijdrage_add(
            tafel=self.k.tafel_b, partij=self.k.politie, soort="haal", tekst="B's", actor=actor
        )
        services.perspectief_set(
            tafel=self.k.tafel_b, partij=self.k.politie, tekst="B's blik", urgentie=3
        )
        self.own = services.bijdrage_add(
            tafel=self.k.tafel_a, partij=self.k.politie, soort="haal", tekst="A's", actor=actor
        )
        self.anna = self.k.tafel_a.deelnemers.get(name="Anna")
        self.ids = [
            self.foreign.pk,
            self.own.pk,
            self.k.tafel_b.pk,
            self.k.tafel_a.pk,
            self.k.politie.pk,
            0,
            -1,
            str(self.foreign.pk),
        ]

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def test_any_message_is_answered_and_only_changes_the_own_kaart(self, data):
        before = snapshot_elsewhere(self.k)
        versions = OpgaveVersie.objects.count()
        message = data.draw(messages(self.ids))
        access = Access(can_view=True, can_edit=True, role="deelnemer", deelnemer=self.anna)
        try:
            query = actions.to_querydict(message)
            outcome = actions.perform(
                query,
                tafel=self.k.tafel_a,
                access=access,
                actor=services.Actor(deelnemer=self.anna),
            )
        except actions.BadMessage as refusal:
            assert str(refusal)
        else:
            assert outcome.ok or outcome.message
        assert snapshot_elsewhere(self.k)[:3] == before[:3]
        # The only change outside the kaart a participant may make: noting a missing partij,
        # or a new version of the opgave's texts.
        added = set(snapshot_elsewhere(self.k)[3]) - set(before[3])
        assert all(status == "ontbreekt" for _pk, _name, status in added)
        assert OpgaveVersie.objects.count() >= versions


def random_frames(k, count=150, seed=20261124):
    rng = random.Random(seed)
    ids = [k.tafel_a.pk, k.tafel_b.pk, 0, -1, 10**12]
    for _ in range(count):
        kind = rng.randrange(9)
        if kind == 0:
            yield {"bytes_data": rng.randbytes(rng.randrange(1, 64))}
        elif kind == 1:
            yield {
                "text_data": "".join(
                    chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randrange(1, 80))
                )
            }
        elif kind == 2:
            yield {"text_data": json.dumps([rng.random() for _ in range(5)])}
        elif kind == 3:
            yield {
                "text_data": json.dumps(
                    {
                        "action": rng.choice(ACTIONS),
                        "id": rng.choice(ids),
                        "tafel": rng.choice(ids),
                        "partij": rng.choice(ids),
                        "tekst": "x" * rng.randrange(0, 3000),
                    }
                )
            }
        elif kind == 4:
            yield {
                "text_data": json.dumps(
                    {"action": "bijdrage_add", "partij": {"nested": [1]}, "tekst": ["a", {"b": 2}]}
                )
            }
        elif kind == 5:
            yield {
                "text_data": json.dumps(
                    {"action": "ping", "seq": rng.choice([None, "1", 1.5, -3, True])}
                )
            }
        elif kind == 6:
            yield {
                "text_data": json.dumps(
                    {"action": "editing", "item": rng.choice([None, 3, "x" * 500, "bijdrage-1"])}
                )
            }
        elif kind == 7:
            # Nested past the protocol's limit (20), or past what json.loads can parse (~1000).
            depth = rng.choice([21, 300, 999, 1000, 5000])
            opener, closer = rng.choice([("[", "]"), ('{"a": ', "}")])
            nested = opener * depth + "1" + closer * depth
            if rng.random() < 0.5:
                nested = f'{{"action": "{rng.choice(ACTIONS)}", "tekst": {nested}}}'
            yield {"text_data": nested}
        else:
            # Lone surrogates and NUL: valid JSON, but not storable in PostgreSQL.
            bad = rng.choice(["\ud800", "a\udfffb", ["x", "\udbff"], "bijdrage-\udc00", "a\x00"])
            field = rng.choice([*FIELDS, "item", "\ud800"])
            yield {
                "text_data": json.dumps(
                    {"action": rng.choice(ACTIONS), "tafel": rng.choice(ids), field: bad}
                )
            }


@pytest.mark.django_db(transaction=True)
async def test_generated_frames_never_crash_the_consumer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.HB_WS_MESSAGES_PER_10S = 10_000
    k = await sync_to_async(make_kaarten)()
    await sync_to_async(services.bijdrage_add)(
        tafel=k.tafel_b, partij=k.politie, soort="haal", tekst="Van tafel B"
    )
    before = await sync_to_async(snapshot_elsewhere)(k)
    anna = Socket(k.tafel_a.pk, k.people["anna"])
    await anna.open()
    for frame in random_frames(k):
        await anna.comm.send_to(**frame)
        while not await anna.comm.receive_nothing(timeout=0.05):
            output = await anna.comm.receive_output()
            assert output["type"] in ("websocket.send", "websocket.close"), output
            if output["type"] == "websocket.close":
                assert output["code"] >= 4000  # a deliberate refusal, never a crash
                anna = Socket(k.tafel_a.pk, k.people["anna"])
                await anna.open()
    # Still alive and answering.
    await anna.comm.send_to(text_data=json.dumps({"action": "ping", "seq": -1}))
    assert "kaart-partijen" in await anna.receive_until("kaart-seq")
    await anna.close()
    # The same frames in one burst, at the real limit: refused as they arrive, then closed.
    settings.HB_WS_MESSAGES_PER_10S = 50
    anna = Socket(k.tafel_a.pk, k.people["anna"])
    await anna.open()
    for frame in random_frames(k, count=150, seed=20261201):
        await anna.comm.send_to(**frame)
    outputs = []
    while not outputs or outputs[-1]["type"] != "websocket.close":
        outputs.append(await anna.comm.receive_output(timeout=10))
        assert outputs[-1]["type"] in ("websocket.send", "websocket.close"), outputs[-1]
    assert outputs[-1]["code"] == 4429
    assert sum("Too many messages" in output.get("text", "") for output in outputs) == 2
    await anna.close()
    assert await sync_to_async(snapshot_elsewhere)(k) == before
    # A new socket is served as before.
    anna = Socket(k.tafel_a.pk, k.people["anna"])
    assert "kaart-partijen" in await anna.open()
    await anna.close()
