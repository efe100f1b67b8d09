"""The kaart page and its HTTP fallback (for networks that block websockets)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions import services
from sessions.models import Bijdrage
from tests import factories
from tests.kaart_helpers import make_kaarten


@pytest.fixture
def k(db):
    return make_kaarten()


def as_person(client, k, name):
    client.cookies["sessionid"] = k.people[name]
    return client


def post(client, kaart_tafel, form_id="form-x", **data):
    data.setdefault("tafel", kaart_tafel.pk)
    return client.post(
        reverse("sessions:kaart_action", args=[kaart_tafel.pk]),
        data,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER=form_id,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_a_change_over_http_is_applied_and_answered_with_the_card(client, k):
    as_person(client, k, "anna")
    response = post(
        client,
        k.tafel_a,
        "form-haal-add",
        action="bijdrage_add",
        partij=k.politie.pk,
        soort="haal",
        tekst="Via HTTP",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-form="form-haal-add"' in html
    assert "Via HTTP" in html and 'id="kaart-seq"' in html
    assert Bijdrage.objects.get().tekst == "Via HTTP"


def test_http_needs_the_csrf_token(k):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    as_person(client, k, "anna")
    response = post(
        client, k.tafel_a, action="bijdrage_add", partij=k.politie.pk, soort="haal", tekst="x"
    )
    assert response.status_code == 403
    assert not Bijdrage.objects.exists()


def test_a_stale_edit_over_http_shows_the_current_value(client, k):
    haal = services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Oud")
    services.bijdrage_edit(
        tafel=k.tafel_a, bijdrage_id=haal.pk, expected_version=1, tekst="Nieuw", gewicht=1
    )
    as_person(client, k, "bram")
    response = post(
        client,
        k.tafel_a,
        f"form-bijdrage-{haal.pk}",
        action="bijdrage_edit",
        id=haal.pk,
        version=1,
        tekst="Mijn tekst",
        gewicht=1,
    )
    html = response.content.decode()
    assert f'id="form-bijdrage-{haal.pk}-conflict"' in html and "Nieuw" in html
    haal.refresh_from_db()
    assert haal.tekst == "Nieuw"


def test_malformed_http_actions_are_refused(client, k):
    as_person(client, k, "anna")
    assert post(client, k.tafel_a, action="nonsense").status_code == 400
    assert post(client, k.tafel_a, action="undo", tafel=k.tafel_b.pk).status_code == 400
    assert not k.tafel_a.events.exists()


def test_http_actions_need_access_to_the_tafel(client, k):
    as_person(client, k, "dirk")  # sits at tafel B
    response = post(
        client, k.tafel_a, action="bijdrage_add", partij=k.politie.pk, soort="haal", tekst="x"
    )
    assert response.status_code == 403
    assert not Bijdrage.objects.exists()


def _marks(html):
    """What a page that polls sends: the numbers its whole card says it shows."""
    seq = re.search(r'id="kaart-seq"[^>]*', html).group(0)
    return {
        "seq": re.search(r'data-seq="(\d+)"', seq).group(1),
        "sessie": re.search(r'data-sessie="(\d+)"', seq).group(1),
    }


def test_polling_answers_nothing_until_the_kaart_changes(client, k):
    as_person(client, k, "anna")
    url = reverse("sessions:kaart_since", args=[k.tafel_a.pk])
    page = client.get(reverse("sessions:kaart", args=[k.tafel_a.pk])).content.decode()
    marks = _marks(page)
    assert client.get(url, marks).status_code == 204
    services.bijdrage_add(tafel=k.tafel_a, partij=k.gemeente, soort="haal", tekst="Van Bram")
    response = client.get(url, marks)
    assert response.status_code == 200 and "Van Bram" in response.content.decode()
    assert client.get(url, _marks(response.content.decode())).status_code == 204


@pytest.mark.parametrize("change", ["lock", "step", "timer"])
def test_polling_sees_a_change_of_the_sessie_that_leaves_the_kaart_as_it_was(
    client, k, change, django_capture_on_commit_callbacks
):
    """A lock, a step change or the timer is not numbered with the kaart's changes: a page
    that polls without a socket gets the whole card once, showing it, then nothing again."""
    as_person(client, k, "anna")
    url = reverse("sessions:kaart_since", args=[k.tafel_a.pk])
    page = client.get(reverse("sessions:kaart", args=[k.tafel_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    marks = _marks(page.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        if change == "lock":
            services.sessie_set_locked(sessie=k.sessie, locked=True)
        elif change == "step":
            services.sessie_set_step(sessie=k.sessie, stap=2)
        else:
            services.timer_start(sessie=k.sessie)
    response = client.get(url, marks, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    card = response.content.decode()
    shown = {
        "lock": "The kaart is read-only for you at the moment.",
        "step": 'data-stap="2"',
        "timer": 'data-running="1"',
    }[change]
    assert shown in card and shown not in page.content.decode()
    assert _marks(card)["seq"] == marks["seq"]  # the kaart itself did not change
    assert client.get(url, _marks(card)).status_code == 204


def test_a_page_about_to_print_gets_the_pictures_as_they_are_and_as_it_may_see_them(client, k):
    """The balance and map region for a page that prints while it was condensed (its socket
    drew no pictures meanwhile): drawn now, without the items the person may not see, and only
    for someone at the tafel."""
    url = reverse("sessions:kaart_pictures", args=[k.tafel_a.pk])
    services.bijdrage_add(tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Open")
    services.bijdrage_add(
        tafel=k.tafel_a, partij=k.politie, soort="haal", tekst="Geheim", vertrouwelijk=True
    )
    as_person(client, k, "anna")
    region = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert region.strip().startswith('<section id="kaart-inzicht"')
    assert "Politie: halen 1, brengen 0." in region  # the summary's rule: not the secret one
    as_person(client, k, "facilitator")
    assert (
        "Politie: halen 2, brengen 0."
        in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    as_person(client, k, "dirk")  # sits at tafel B
    assert client.get(url).status_code == 403


def test_someone_on_the_http_fallback_is_present_while_they_poll(client, k):
    import datetime

    from sessions.models import Presence
    from sessions.selectors import present_at

    url = reverse("sessions:kaart_since", args=[k.tafel_a.pk])
    as_person(client, k, "anna")
    assert present_at(k.tafel_a.pk) == []
    client.get(url, {"seq": 0})
    client.get(url, {"seq": 0})
    present = present_at(k.tafel_a.pk)
    assert [(p.name, p.partij_name) for p in present] == [("Anna", "Politie")]
    assert Presence.objects.count() == 1  # every poll keeps the one entry
    assert k.people["anna"] not in Presence.objects.get().channel_name  # no cookie secret
    # A minute without polling (the tab closed): gone from the tafel.
    a_minute_ago = Presence.objects.get().last_seen - datetime.timedelta(seconds=61)
    Presence.objects.update(last_seen=a_minute_ago)
    assert present_at(k.tafel_a.pk) == []
    client.get(url, {"seq": 0})
    assert len(present_at(k.tafel_a.pk)) == 1
    # Someone of another tafel who polls this one is refused and not present here.
    as_person(client, k, "dirk")
    assert client.get(url, {"seq": 0}).status_code == 403
    assert [p.name for p in present_at(k.tafel_a.pk)] == ["Anna"]


def test_the_page_shows_the_step_and_what_to_do(client, k):
    as_person(client, k, "anna")
    html = client.get(k.tafel_a.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Step 1 of 3" in html and "perspectief" in html
    services.sessie_set_step(sessie=k.sessie, stap=3)
    html = client.get(k.tafel_a.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Step 3 of 3" in html
    # Nothing of the card is hidden in another step.
    assert 'id="kaart-partijen"' in html and 'id="kaart-opgave"' in html


def test_a_closed_sessie_shows_a_read_only_kaart(client, k):
    k.sessie.state = "gesloten"
    k.sessie.save()
    as_person(client, k, "anna")
    html = client.get(k.tafel_a.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This sessie is closed" in html
    # The edit controls are hidden by the step region's mark (the browser tests look), and
    # the undo button, in that region, is not there at all.
    assert re.search(r'<section id="kaart-stap"[^>]* data-readonly', html)
    assert "Undo my last change" not in html


def fill(tafel, opgave, n, start=0):
    """n more partijen, each with a haal, a breng, a perspectief, a vervolgstap and a
    koppeling to the breng of the partij before it."""
    previous = None
    for i in range(start, start + n):
        partij = factories.PartijFactory(opgave=opgave, name=f"Extra {i}")
        haal = services.bijdrage_add(tafel=tafel, partij=partij, soort="haal", tekst=f"h{i}")
        breng = services.bijdrage_add(tafel=tafel, partij=partij, soort="breng", tekst=f"b{i}")
        services.perspectief_set(tafel=tafel, partij=partij, tekst="p", urgentie=3)
        services.vervolgstap_add(tafel=tafel, title=f"s{i}", eigenaar=partij, partijen=[partij])
        if previous is not None:
            services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=previous.pk)
        previous = breng


def page_queries(client, tafel) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(tafel.get_absolute_url()).status_code == 200
    return len(queries)


def test_the_kaart_page_query_count_does_not_grow_with_the_card(client, k):
    client.force_login(k.facilitator)
    fill(k.tafel_a, k.sessie.opgave, 2)
    small = page_queries(client, k.tafel_a)
    fill(k.tafel_a, k.sessie.opgave, 12, start=2)
    assert page_queries(client, k.tafel_a) == small
