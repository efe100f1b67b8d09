"""The kinds of kaart change (sessions/kinds.py) against what the app really does with them."""

import pytest
from django.http import QueryDict

from sessions import actions, fragments, services
from sessions.access import Access
from sessions.kinds import SPECS, Change
from sessions.models import Bijdrage, KaartEvent, Vervolgstap
from sessions.services.changes import UNDO
from tests.kaart_helpers import make_kaarten


@pytest.fixture
def k(db):
    return make_kaarten()


class Facilitator:
    """Sends the kaart's actions as the facilitator would, and reads what each one logged."""

    def __init__(self, k):
        self.k = k
        self.access = Access(can_view=True, can_edit=True, role="facilitator")
        self.actor = services.Actor(user=k.facilitator)

    def send(self, action: str, **fields) -> list[str]:
        before = KaartEvent.objects.filter(tafel=self.k.tafel_a).count()
        data = QueryDict(mutable=True)
        data["action"] = action
        for key, value in fields.items():
            data.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
        outcome = actions.perform(data, tafel=self.k.tafel_a, access=self.access, actor=self.actor)
        assert outcome.ok, (action, outcome.message)
        events = KaartEvent.objects.filter(tafel=self.k.tafel_a).order_by("seq")[before:]
        return [event.kind for event in events]


def test_every_action_logs_the_kind_that_names_it_and_every_undoable_kind_is_undone(k):
    """Each action of the page, sent once, logs exactly one change of a kind whose spec names
    that action; and undo takes back each kind marked undoable."""
    f = Facilitator(k)
    logged: dict[str, list[str]] = {}

    def send(action, **fields):
        kinds = f.send(action, **fields)
        logged.setdefault(action, []).extend(kinds)
        return kinds

    # The reveal first: it cannot be undone, so undo walks back to it and no further.
    send("perspectief_set", partij=k.gemeente.pk, tekst="Eerst zien", urgentie=3)
    send("perspectieven_reveal")
    haal = dict(partij=k.politie.pk, soort="haal", gewicht=2)
    send("bijdrage_add", tekst="Malafide bedrijven weren", **haal)
    send("bijdrage_add", tekst="Zicht op vastgoed", **haal)
    send("bijdrage_add", partij=k.gemeente.pk, soort="breng", tekst="Vergunningdata")
    first, second = Bijdrage.objects.filter(partij=k.politie).order_by("position")
    breng = Bijdrage.objects.get(partij=k.gemeente)
    send("bijdrage_edit", id=first.pk, version=1, tekst="Malafide bedrijven weren!", gewicht=3)
    send("bijdrage_move", id=second.pk, direction="up")
    send("perspectief_set", partij=k.politie.pk, tekst="Urgent", urgentie=5)
    send("koppeling_add", haal=first.pk, breng=breng.pk)
    send("koppeling_delete", id=k.tafel_a.koppelingen.get().pk)
    send("vervolgstap_save", title="Werksessie", eigenaar=k.politie.pk, partijen=[k.gemeente.pk])
    stap = Vervolgstap.objects.get()
    send("vervolgstap_save", id=stap.pk, version=1, title="Werksessie 2", eigenaar=k.politie.pk)
    send("vervolgstap_follow_up", id=stap.pk, status="bezig", tekst="Datum geprikt")
    send("vervolgstap_delete", id=stap.pk, version=2)
    send("opgave_text", veld="ambitie", version=0, tekst="Samen sterker")
    send("partij_missing", name="Belastingdienst", toelichting="Fiscale kennis")
    send("bijdrage_delete", id=second.pk, version=1)

    for action, kinds in logged.items():
        assert len(kinds) == 1 or action in ("bijdrage_add", "vervolgstap_save", "perspectief_set")
        for kind in kinds:
            assert SPECS[Change(kind)].action == action, (action, kind)
    made = [kind for kinds in logged.values() for kind in kinds]
    by_page = {kind for kind, spec in SPECS.items() if spec.action is not None}
    assert set(made) == by_page - {Change.UNDONE}, "an action for every kind was sent"

    # Undo walks back through the facilitator's changes, newest first, each through the
    # undo its kind registered, until the reveal, which cannot be undone.
    after_reveal = len(made) - 2
    undone = []
    for _ in range(after_reveal):
        event = services.undo_last(tafel=k.tafel_a, actor=f.actor)
        assert event.kind == Change.UNDONE
        undone.append(event.data["kind"])
    with pytest.raises(services.NothingToUndo):
        services.undo_last(tafel=k.tafel_a, actor=f.actor)
    assert set(undone) == {kind for kind, spec in SPECS.items() if spec.undoable}
    # ...and the kaart is as it was just after the reveal.
    assert not k.tafel_a.bijdragen.exists() and not k.tafel_a.vervolgstappen.exists()
    assert not k.tafel_a.perspectieven.filter(partij=k.politie).exists()
    assert not k.sessie.opgave.partijen.filter(name="Belastingdienst").exists()


def test_the_tables_of_the_kaart_follow_the_kinds():
    """Actions, undo, pushed regions and announcements all come from one definition."""
    assert {spec.action for spec in SPECS.values()} - {None} == set(actions.ACTIONS)
    # The changes no page action makes, made by a service alone.
    assert {kind for kind, spec in SPECS.items() if spec.action is None} == {Change.KAART_CARRIED}
    assert set(UNDO) == {kind for kind, spec in SPECS.items() if spec.undoable}
    for kind, spec in SPECS.items():
        assert str(fragments.ANNOUNCEMENTS[kind]) == str(spec.announcement)
        if kind != Change.UNDONE:
            assert fragments.regions_for_event(kind, {"partij": 7, "id": 3})[-1] == "seq"
    undone = {"kind": Change.KOPPELING_ADDED}
    assert fragments.regions_for_event(Change.UNDONE, undone) == [
        "koppelingen",
        "inzicht",
        "seq",
    ]
    # One bijdrage goes on its own; taken back, it takes its old place in its partij's list.
    added = {"id": 3, "partij": 7}
    assert fragments.regions_for_event(Change.BIJDRAGE_ADDED, added)[0] == "bijdrage:3:append"
    assert fragments.regions_for_event(Change.UNDONE, {**added, "kind": "bijdrage_deleted"}) == [
        "bijdragen:7",
        "koppelingen",
        "inzicht",
        "seq",
    ]
