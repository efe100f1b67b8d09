"""Several people editing one kaart, interleaved at random, many of them against stale versions.

Every operation is either accepted (and logged) or refused with a message to its sender, and the
final kaart equals what the accepted operations alone give when they are applied again, in
order, to an empty kaart: refusals change nothing, and nothing accepted is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from sessions import services
from sessions.models import Bijdrage, Koppeling
from tests import factories

PEOPLE = 3


@dataclass(frozen=True)
class Op:
    person: int
    kind: str  # add, edit, delete, move, link, undo, look
    target: int  # which of the items created so far (modulo their number)
    other: int
    stale: bool  # use the version this person saw when they last looked


ops = st.lists(
    st.builds(
        Op,
        person=st.integers(0, PEOPLE - 1),
        kind=st.sampled_from(
            ["add", "add", "edit", "edit", "delete", "move", "link", "undo", "look"]
        ),
        target=st.integers(0, 50),
        other=st.integers(0, 50),
        stale=st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


class Run:
    """Applies operations to one tafel; items are named by the order they were created in."""

    def __init__(self, tafel, partijen, actors):
        self.tafel = tafel
        self.partijen = partijen
        self.actors = actors
        self.items: list[int] = []  # bijdrage ids by creation order (a restored one keeps its id)
        self.seen: dict[tuple[int, int], int] = {}  # (person, item) -> version seen

    def pick(self, index):
        return self.items[index % len(self.items)] if self.items else None

    def apply(self, op: Op, index: int, expected=None):
        """Apply operation number `index`; returns (accepted, expected version used)."""
        actor = self.actors[op.person]
        try:
            if op.kind == "add":
                bijdrage = services.bijdrage_add(
                    tafel=self.tafel,
                    partij=self.partijen[op.other % len(self.partijen)],
                    soort="haal" if op.target % 2 else "breng",
                    tekst=f"tekst {index}",
                    actor=actor,
                )
                self.items.append(bijdrage.pk)
                return True, None
            item = self.pick(op.target)
            if op.kind == "look":
                for pk, version in Bijdrage.objects.filter(tafel=self.tafel).values_list(
                    "pk", "version"
                ):
                    self.seen[(op.person, pk)] = version
                return True, None
            if op.kind == "undo":
                services.undo_last(tafel=self.tafel, actor=actor)
                return True, None
            if item is None:
                raise ValidationError("nothing to act on")
            current = Bijdrage.objects.filter(pk=item).values_list("version", flat=True).first()
            version = (
                expected
                if expected is not None
                else (self.seen.get((op.person, item), 1) if op.stale else current)
            )
            if op.kind == "edit":
                services.bijdrage_edit(
                    tafel=self.tafel,
                    bijdrage_id=item,
                    expected_version=version,
                    tekst=f"bewerkt {index}",
                    gewicht=1 + op.other % 3,
                    actor=actor,
                )
            elif op.kind == "delete":
                services.bijdrage_delete(
                    tafel=self.tafel, bijdrage_id=item, expected_version=version, actor=actor
                )
            elif op.kind == "move":
                services.bijdrage_move(
                    tafel=self.tafel,
                    bijdrage_id=item,
                    direction="up" if op.other % 2 else "down",
                    actor=actor,
                )
            elif op.kind == "link":
                services.koppeling_add(
                    tafel=self.tafel, haal_id=item, breng_id=self.pick(op.other), actor=actor
                )
            return True, version
        except ValidationError as refusal:
            assert refusal.messages and all(refusal.messages)  # the sender is told why
            return False, None

    def card(self):
        bijdragen = sorted(
            (b.partij_id, b.soort, b.tekst, b.gewicht, b.position)
            for b in Bijdrage.objects.filter(tafel=self.tafel)
        )
        koppelingen = sorted(
            (k.haal.tekst, k.breng.tekst)
            for k in Koppeling.objects.filter(tafel=self.tafel).select_related("haal", "breng")
        )
        return bijdragen, koppelingen


class ConcurrentEditing(TestCase):
    def setUp(self):
        self.sessie = factories.SessieFactory()
        opgave = self.sessie.opgave
        self.partijen = [
            factories.PartijFactory(opgave=opgave, name=name) for name in ("Gemeente", "Politie")
        ]

    def people(self, tafel):
        return [
            services.Actor(
                deelnemer=factories.DeelnemerFactory(
                    tafel=tafel, partij=self.partijen[i % 2], name=f"P{i}-{tafel.pk}"
                )
            )
            for i in range(PEOPLE)
        ]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ops)
    def test_the_kaart_equals_the_replay_of_the_accepted_operations(self, operations):
        first = factories.TafelFactory(sessie=self.sessie, nummer=1)
        run = Run(first, self.partijen, self.people(first))
        accepted = []
        for index, op in enumerate(operations):
            ok, version = run.apply(op, index)
            if ok and op.kind != "look":
                accepted.append((index, op, version))
        # Only accepted changes are logged (an edit that changes nothing is not), without gaps.
        seqs = list(first.events.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
        assert len(seqs) <= len(accepted)

        second = factories.TafelFactory(sessie=self.sessie, nummer=2)
        replay = Run(second, self.partijen, self.people(second))
        for index, op, version in accepted:
            ok, _used = replay.apply(op, index, expected=version)
            assert ok, f"an accepted operation was refused on replay: {op}"
        assert replay.card() == run.card()
