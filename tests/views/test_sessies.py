"""The control room's forms (sessions/views/sessies.py): they do what they say, refuse bad
numbers with a message, and never send the facilitator to another site."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.models import Bijdrage, Sessie
from tests import factories


@pytest.fixture
def partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Politie")


# The control room (sessie_control) -----------------------------------------------------------


def control(client, sessie, **data):
    return client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "https:evil.example",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_a_control_never_sends_the_facilitator_to_another_site(client, sessie, facilitator, target):
    client.force_login(facilitator)
    response = control(client, sessie, op="add_tafel", next=target)
    assert response.status_code == 302
    assert response["Location"] == sessie.get_absolute_url()
    assert sessie.tafels.count() == 1  # the control itself was carried out


def test_a_control_goes_back_to_the_page_it_came_from_on_this_site(client, sessie, facilitator):
    client.force_login(facilitator)
    plenair = reverse("sessions:plenair", args=[sessie.pk])
    assert control(client, sessie, op="add_tafel", next=plenair)["Location"] == plenair


@pytest.fixture
def room(sessie, partij):
    """A sessie with a tafel, a participant at it and a bijdrage on its kaart."""
    tafel = factories.TafelFactory(sessie=sessie, nummer=1)
    deelnemer = factories.DeelnemerFactory(tafel=tafel, partij=partij)
    bijdrage = factories.BijdrageFactory(tafel=tafel, partij=partij)
    return {"tafel": tafel.pk, "deelnemer": deelnemer.pk, "bijdrage": bijdrage.pk}


def room_state(sessie):
    """Everything the control room's controls can change."""
    sessie = Sessie.objects.get(pk=sessie.pk)
    return (
        sessie.stap,
        sessie.timer_seconds,
        sessie.timer_ends_at,
        sessie.join_token,
        sessie.join_expires_at,
        sessie.link_generation,
        sorted(sessie.tafels.values_list("pk", "nummer", "plenair")),
        sorted(sessie.deelnemers.values_list("pk", "tafel_id", "revoked")),
        Bijdrage.objects.filter(tafel__sessie=sessie).count(),
    )


def error_messages(response) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [li.get_text(strip=True) for li in soup.select(".messages li.error")]


NUMERIC_CONTROLS = {
    # op and field: the other fields, with valid values
    ("new_link", "hours"): lambda room: {},
    ("timer_reset", "minutes"): lambda room: {},
    ("step", "value"): lambda room: {},
    ("move", "deelnemer"): lambda room: {"value": room["tafel"]},
    ("move", "value"): lambda room: {"deelnemer": room["deelnemer"]},
    ("remove_tafel", "value"): lambda room: {},
    ("revoke_deelnemer", "value"): lambda room: {},
    ("carry", "value"): lambda room: {"kind": "bijdrage"},
}
NOT_A_GOOD_NUMBER = ["999999999999", "9" * 30, "9" * 5000, "-1", "0", "abc", "1.5", "1e3"]


@pytest.mark.parametrize("bad", NOT_A_GOOD_NUMBER)
@pytest.mark.parametrize(("op", "field"), NUMERIC_CONTROLS)
def test_a_control_with_a_number_out_of_range_says_so_and_changes_nothing(
    client, sessie, facilitator, room, op, field, bad
):
    client.force_login(facilitator)
    before = room_state(sessie)
    data = {"op": op, field: bad, **NUMERIC_CONTROLS[op, field](room)}
    response = client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]),
        data,
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(sessie.get_absolute_url(), 302)]
    assert len(error_messages(response)) == 1
    assert room_state(sessie) == before


def test_a_new_link_for_too_many_hours_says_how_long_a_link_may_be_valid(
    client, sessie, facilitator
):
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]),
        {"op": "new_link", "hours": "999999999999"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert error_messages(response) == ["A new link is valid for 1 to 2160 hours."]


def test_a_timer_of_too_many_minutes_says_how_long_it_may_run(client, sessie, facilitator):
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:sessie_control", args=[sessie.pk]),
        {"op": "timer_reset", "minutes": "241"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert error_messages(response) == ["The timer runs between 1 and 240 minutes."]


def test_a_new_link_for_a_week_and_a_timer_of_20_minutes_are_set(client, sessie, facilitator):
    client.force_login(facilitator)
    token = sessie.join_token
    control(client, sessie, op="new_link", hours="168")
    control(client, sessie, op="timer_reset", minutes="20")
    sessie.refresh_from_db()
    assert sessie.join_token != token
    week = timezone.now() + datetime.timedelta(hours=168)
    assert abs(sessie.join_expires_at - week) < datetime.timedelta(minutes=1)
    assert sessie.timer_seconds == 20 * 60


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-05-01T10:00"])
def test_a_sessie_starting_in_an_impossible_year_is_a_form_error(
    client, opgave, sessie, facilitator, starts_at
):
    client.force_login(facilitator)
    data = {"title": "Tweede ronde", "starts_at": starts_at, "timer_minutes": "15", "tafels": "1"}
    for url in (
        reverse("sessions:sessie_add", args=[opgave.pk]),
        reverse("sessions:sessie_edit", args=[opgave.pk, sessie.pk]),
    ):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert "Choose a date from 2000 to 2100." in response.content.decode()
    assert not opgave.sessies.filter(title="Tweede ronde").exists()


def test_a_tafel_whose_kaart_has_content_goes_only_when_the_facilitator_confirms(
    client, sessie, facilitator, partij
):
    """One click does not lose a kaart: the control room asks, and without the confirmation
    the tafel and everything on its kaart stay."""
    client.force_login(facilitator)
    tafel = factories.TafelFactory(sessie=sessie, nummer=1)
    services.bijdrage_add(tafel=tafel, partij=partij, soort="haal", tekst="Malafide weren")
    page = BeautifulSoup(client.get(sessie.get_absolute_url()).content, "html.parser")
    box = page.select_one(f"#tafel-{tafel.pk} details.remove-tafel")
    assert box is not None and box.select_one("input[name=with_content][required]")

    response = control(client, sessie, op="remove_tafel", value=str(tafel.pk))
    assert "confirm that it may be removed" in " ".join(error_messages(client.get(response.url)))
    assert Bijdrage.objects.filter(tafel=tafel).exists()

    control(client, sessie, op="remove_tafel", value=str(tafel.pk), with_content="1")
    assert not sessie.tafels.filter(pk=tafel.pk).exists()
    assert not Bijdrage.objects.exists()


def test_an_empty_tafel_goes_in_one_click(client, sessie, facilitator):
    client.force_login(facilitator)
    tafel = factories.TafelFactory(sessie=sessie, nummer=1)
    page = BeautifulSoup(client.get(sessie.get_absolute_url()).content, "html.parser")
    assert page.select_one(f"#tafel-{tafel.pk} details.remove-tafel") is None
    control(client, sessie, op="remove_tafel", value=str(tafel.pk))
    assert not sessie.tafels.filter(pk=tafel.pk).exists()


def test_the_plenary_view_names_halen_and_brengen_and_shows_koppelingen(
    client, sessie, facilitator, partij
):
    """Haal and breng are told apart by a visible word, not by colour alone, and each tafel's
    koppelingen are on the plenary view."""
    client.force_login(facilitator)
    tafel = factories.TafelFactory(sessie=sessie, nummer=1)
    gemeente = factories.PartijFactory(opgave=sessie.opgave, name="Gemeente")
    haal = services.bijdrage_add(tafel=tafel, partij=partij, soort="haal", tekst="Zicht op panden")
    breng = services.bijdrage_add(tafel=tafel, partij=gemeente, soort="breng", tekst="Kadaster")
    services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=breng.pk)
    response = client.get(reverse("sessions:plenair", args=[sessie.pk]), HTTP_ACCEPT_LANGUAGE="en")
    page = BeautifulSoup(response.content, "html.parser")
    kaart = page.select_one(f"#compact-{tafel.pk}").find_parent("article")
    items = {li.get_text(" ", strip=True) for li in kaart.select("li.bijdrage")}
    assert any(text.startswith("haal Zicht op panden") for text in items)
    assert any(text.startswith("breng Kadaster") for text in items)
    assert not kaart.select("li.bijdrage .visually-hidden:-soup-contains('haal')")
    koppelingen = kaart.find("h3", string="Koppelingen").find_next("ul").get_text(" ", strip=True)
    assert "Politie wants “Zicht op panden”" in koppelingen
    assert "Gemeente brings “Kadaster”" in koppelingen


def test_the_facilitator_sets_the_sessie_language_and_a_copy_keeps_it(client, opgave, facilitator):
    client.force_login(facilitator)
    data = {"title": "Ronde met gasten", "timer_minutes": "15", "tafels": "1", "language": "en"}
    client.post(reverse("sessions:sessie_add", args=[opgave.pk]), data)
    sessie = opgave.sessies.get(title="Ronde met gasten")
    assert sessie.language == "en"
    copy = services.sessie_duplicate(sessie=sessie)
    assert copy.language == "en"
    data = {**data, "language": "fr"}
    response = client.post(reverse("sessions:sessie_edit", args=[opgave.pk, sessie.pk]), data)
    assert response.status_code == 200  # the form again, with its error
    sessie.refresh_from_db()
    assert sessie.language == "en"


def test_a_new_sessie_starts_from_a_kaart_of_an_earlier_one(
    client, opgave, sessie, facilitator, partij
):
    """The facilitator picks an earlier kaart on the new-sessie form; its items are on every
    new tafel's kaart, marked with the sessie they came from."""
    client.force_login(facilitator)
    tafel = factories.TafelFactory(sessie=sessie, nummer=1)
    services.bijdrage_add(tafel=tafel, partij=partij, soort="haal", tekst="Zicht op panden")
    url = reverse("sessions:sessie_add", args=[opgave.pk])
    form = BeautifulSoup(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content, "html.parser")
    options = {o.get_text(strip=True): o["value"] for o in form.select("select[name=bron] option")}
    assert options == {"Empty kaarten": "", f"{sessie.title}: Tafel 1": str(tafel.pk)}

    data = {"title": "Tweede ronde", "timer_minutes": "15", "tafels": "2", "language": "nl"}
    client.post(url, {**data, "bron": str(tafel.pk), "onto": "tafels"})
    new = opgave.sessies.get(title="Tweede ronde")
    for kaart in new.tafels.all():
        page = client.get(kaart.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
        item = BeautifulSoup(page.content, "html.parser").select_one("li.bijdrage")
        assert item.select_one(".tekst").get_text() == "Zicht op panden"
        marker = item.select_one(".herkomst")
        assert marker.get_text(" ", strip=True) == f"↩ from {sessie.title}"
        assert marker["title"] == f"Carried from the sessie “{sessie.title}”"
    assert tafel.bijdragen.count() == 1


def test_a_kaart_of_another_opgave_cannot_be_chosen(client, opgave, sessie, facilitator, partij):
    client.force_login(facilitator)
    tafel = factories.TafelFactory(sessie=sessie, nummer=1)
    services.bijdrage_add(tafel=tafel, partij=partij, soort="haal", tekst="Zicht op panden")
    elsewhere = factories.TafelFactory(nummer=1)
    other_partij = factories.PartijFactory(opgave=elsewhere.sessie.opgave)
    services.bijdrage_add(tafel=elsewhere, partij=other_partij, soort="haal", tekst="Geheim")
    data = {"title": "Tweede ronde", "timer_minutes": "15", "tafels": "1", "language": "nl"}
    response = client.post(
        reverse("sessions:sessie_add", args=[opgave.pk]),
        {**data, "bron": str(elsewhere.pk), "onto": "tafels"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Geheim" not in response.content.decode()
    assert not opgave.sessies.filter(title="Tweede ronde").exists()
