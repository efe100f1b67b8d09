"""The live kaart's pictures (sessions/insight/kaart.py): the same insight as the loader, in a
constant number of queries."""

from __future__ import annotations

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from sessions import insight, services
from sessions.access import Access
from tests import factories
from tests.insight.viewers import COORDINATOR, FACILITATOR


def test_kaart_insight_gives_the_pictures_of_one_tafel_as_the_person_may_see_them(story):
    for_coordinator = insight.kaart_insight(story.tafel_a.pk, COORDINATOR)
    for_facilitator = insight.kaart_insight(story.tafel_a.pk, FACILITATOR)
    corporatie = story.partijen["Woningcorporatie"].pk
    assert for_coordinator["findings"].balans.row_for(corporatie) is None
    assert for_facilitator["findings"].balans.row_for(corporatie).breng == 1
    assert for_coordinator["chart"]["id"] == f"balans-t{story.tafel_a.pk}"
    assert {"chart", "kaartmap", "findings", "flag_labels", "reason_labels"} <= set(for_facilitator)
    svg = render_to_string("sessions/insight/kaart_map.svg.html", for_facilitator)
    assert "Openbaar Ministerie" in svg


def test_the_kaart_shows_the_same_insight_as_the_loader_for_every_viewer(story):
    """The live kaart takes its pictures from the rows it has loaded (no queries of its own):
    for every viewer they equal what the insight loader reads, confidential items and
    unrevealed perspectieven included or left out alike."""
    from sessions import selectors
    from sessions.models import Bijdrage

    tafel = story.tafel_a
    corporatie, bewoners = story.partijen["Woningcorporatie"], story.partijen["Bewonersgroep"]
    deelnemer = factories.DeelnemerFactory(tafel=tafel, partij=corporatie)
    own = services.bijdrage_add(
        tafel=tafel,
        partij=corporatie,
        soort="breng",
        tekst="Sleutels van de leegstaande panden",
        gewicht=3,
        vertrouwelijk=True,
        actor=services.Actor(deelnemer=deelnemer),
    )
    haal = Bijdrage.objects.get(tafel=tafel, partij=bewoners, soort="haal")
    services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=own.pk)
    services.bijdrage_move(tafel=tafel, bijdrage_id=own.pk, direction="up")
    viewers = {
        "facilitator": FACILITATOR,
        "coordinator": COORDINATOR,
        "its author": Access(can_view=True, can_edit=True, role="deelnemer", deelnemer=deelnemer),
        "another participant": Access(
            can_view=True,
            can_edit=True,
            role="deelnemer",
            deelnemer=factories.DeelnemerFactory(tafel=tafel, partij=bewoners),
        ),
    }
    seen = set()
    for name, viewer in viewers.items():
        kaart = selectors.kaart_for(tafel.pk, viewer)
        with CaptureQueriesContext(connection) as queries:
            of_kaart = kaart.insight
        assert len(queries) == 0, name
        loaded = insight.kaart_insight(tafel.pk, viewer)
        assert of_kaart == loaded, name
        seen.add((of_kaart["findings"].brengen, of_kaart["findings"].koppelingen))
    assert len(seen) == 2  # the sensitive ones are in some views and not in others


def test_kaart_insight_takes_a_constant_number_of_queries(story):
    with CaptureQueriesContext(connection) as queries:
        insight.kaart_insight(story.tafel_a.pk, FACILITATOR)
    assert len(queries) <= 10
