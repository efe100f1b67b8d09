"""The action list of an opgave (sessions/views/acties.py): its vervolgstappen across the
sessies, followed up by the facilitators, filtered, overdue flagged, and in a calendar."""

from __future__ import annotations

import datetime

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse
from icalendar import Calendar

from sessions import services
from sessions.models import Vervolgstap, VervolgstapUpdate
from tests import factories

pytestmark = pytest.mark.usefixtures("english")


def stap(title):
    return Vervolgstap.objects.get(title=title)


def cards(client, url):
    response = client.get(url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return {li.h2.contents[0].strip(): li for li in soup.select("li.actie")}


def test_a_follow_up_is_logged_with_its_status_and_an_empty_one_is_refused(story):
    wijkschouw = stap("Wijkschouw")
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk,
        vervolgstap_id=wijkschouw.pk,
        status="bezig",
        tekst="Datum geprikt met de politie.",
    )
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk, vervolgstap_id=wijkschouw.pk, status="klaar"
    )
    wijkschouw.refresh_from_db()
    assert wijkschouw.status == "klaar"
    assert list(wijkschouw.updates.values_list("status", "tekst")) == [
        ("bezig", "Datum geprikt met de politie."),
        ("klaar", ""),
    ]
    with pytest.raises(ValidationError):  # nothing new to say
        services.vervolgstap_follow_up(
            opgave_id=story.opgave.pk, vervolgstap_id=wijkschouw.pk, status="klaar"
        )
    with pytest.raises(ValidationError):
        services.vervolgstap_follow_up(
            opgave_id=story.opgave.pk, vervolgstap_id=wijkschouw.pk, status="half"
        )
    other = factories.OpgaveFactory()
    with pytest.raises(ValidationError):  # a vervolgstap of another opgave does not exist here
        services.vervolgstap_follow_up(
            opgave_id=other.pk, vervolgstap_id=wijkschouw.pk, status="gestopt"
        )
    assert VervolgstapUpdate.objects.count() == 2


def test_the_facilitator_follows_up_and_filters_and_sees_what_is_overdue(
    client, story, facilitator
):
    client.force_login(facilitator)
    url = reverse("sessions:acties", args=[story.opgave.pk])
    shown = cards(client, url)
    assert set(shown) == {"Wijkschouw", "Plan van aanpak"}
    # Dated 1 March 2025 and still open: overdue.
    assert "overdue" in shown["Wijkschouw"]["class"]
    assert "overdue" not in shown["Plan van aanpak"]["class"]

    wijkschouw = stap("Wijkschouw")
    response = client.post(
        reverse("sessions:actie_follow_up", args=[story.opgave.pk, wijkschouw.pk]),
        {"status": "bezig", "tekst": "Gepland voor volgende week.", "query": "status=bezig"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?status=bezig#actie-{wijkschouw.pk}")
    card = cards(client, url)["Wijkschouw"]
    assert "in progress" in card.h2.get_text() and "Gepland voor volgende week." in card.get_text()

    only_bezig = cards(client, url + "?status=bezig")
    assert set(only_bezig) == {"Wijkschouw"}
    woningcorporatie = story.partijen["Woningcorporatie"]
    assert set(cards(client, url + f"?partij={woningcorporatie.pk}")) == {"Plan van aanpak"}
    gemeente = story.partijen["Gemeente"]  # owner of one, taking part in the other
    assert set(cards(client, url + f"?partij={gemeente.pk}")) == {"Wijkschouw", "Plan van aanpak"}


def test_a_coordinator_reads_the_list_but_logs_nothing_and_outsiders_find_nothing(
    client, story, coordinator, outsider
):
    client.force_login(coordinator)
    url = reverse("sessions:acties", args=[story.opgave.pk])
    shown = cards(client, url)
    assert shown and not any(card.find("form") for card in shown.values())
    post = reverse("sessions:actie_follow_up", args=[story.opgave.pk, stap("Wijkschouw").pk])
    assert client.post(post, {"status": "klaar"}).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("sessions:acties_ics", args=[story.opgave.pk])).status_code == 404
    assert client.post(post, {"status": "klaar"}).status_code == 404
    assert not VervolgstapUpdate.objects.exists()


def test_the_dated_vervolgstappen_download_as_a_calendar(client, story, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("sessions:acties_ics", args=[story.opgave.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].endswith('.ics"')
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1  # "Plan van aanpak" has no date
    (event,) = events
    assert str(event["summary"]) == "Wijkschouw"
    assert event.decoded("dtstart") == datetime.date(2025, 3, 1)
    assert "Owner: Gemeente" in str(event["description"])


def test_the_status_is_in_the_exports_the_import_and_the_samenvatting(story):
    import io

    from openpyxl import load_workbook

    from sessions import exports, insight
    from sessions.exports import importer, jsondoc
    from sessions.insight.samenvatting import samenvatting_of

    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk, vervolgstap_id=stap("Plan van aanpak").pk, status="klaar"
    )
    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    workbook = load_workbook(io.BytesIO(exports.render(summary, "xlsx").content))
    header, *rows = workbook["vervolgstappen"].iter_rows(values_only=True)
    status = {row[2]: row[header.index("Status")] for row in rows}
    assert status == {"Wijkschouw": "open", "Plan van aanpak": "done"}
    # The samenvatting names the open ones only.
    assert [v.title for v in samenvatting_of(summary).vervolgstappen] == ["Wijkschouw"]
    copy = importer.opgave_import(team=story.opgave.team, document=jsondoc.build(summary))
    copied = dict(
        Vervolgstap.objects.filter(tafel__sessie__opgave=copy).values_list("title", "status")
    )
    assert copied == {"Wijkschouw": "open", "Plan van aanpak": "klaar"}


def test_the_follow_up_log_is_in_every_export_and_comes_back_with_an_import(story):
    import io
    import zipfile

    from openpyxl import load_workbook

    from sessions import exports, insight
    from sessions.exports import importer, jsondoc
    from tests.exports.test_pdf import pdf_text

    wijkschouw = stap("Wijkschouw").pk
    for status, tekst in (("bezig", "Route gelopen."), ("klaar", "Verslag gedeeld.")):
        services.vervolgstap_follow_up(
            opgave_id=story.opgave.pk, vervolgstap_id=wijkschouw, status=status, tekst=tekst
        )
    summary = insight.summary_for_opgave(story.opgave.pk, complete=False)
    workbook = load_workbook(io.BytesIO(exports.render(summary, "xlsx").content))
    header, *rows = workbook["vervolgstap_updates"].iter_rows(values_only=True)
    assert [(r[2], r[4], r[5]) for r in rows] == [
        ("Wijkschouw", "in progress", "Route gelopen."),
        ("Wijkschouw", "done", "Verslag gedeeld."),
    ]
    assert isinstance(rows[0][header.index("When")], datetime.datetime)
    with zipfile.ZipFile(io.BytesIO(exports.render(summary, "csv").content)) as archive:
        assert "Verslag gedeeld." in archive.read("vervolgstap_updates.csv").decode("utf-8-sig")
    markdown = exports.render(summary, "md").content.decode()
    assert "Latest update: Verslag gedeeld." in markdown and "; done)" in markdown
    sessie = insight.summary_for_sessie(story.sessie_1.pk, complete=False)
    assert "Latest update: “Verslag gedeeld.”" in " ".join(
        pdf_text(exports.render(sessie, "pdf").content).split()
    )
    copy = importer.opgave_import(team=story.opgave.team, document=jsondoc.build(summary))
    copied = Vervolgstap.objects.get(tafel__sessie__opgave=copy, title="Wijkschouw")
    assert copied.status == "klaar"
    assert list(copied.updates.values_list("status", "tekst")) == [
        ("bezig", "Route gelopen."),
        ("klaar", "Verslag gedeeld."),
    ]


def test_the_opgave_summary_shows_each_vervolgstaps_status_and_latest_update(
    client, story, coordinator
):
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk,
        vervolgstap_id=stap("Wijkschouw").pk,
        status="bezig",
        tekst="Route gelopen.",
    )
    client.force_login(coordinator)
    response = client.get(reverse("insight:opgave", args=[story.opgave.pk]))
    soup = BeautifulSoup(response.content, "html.parser")
    section = soup.find(id="stappen-heading").find_parent("section").get_text(" ", strip=True)
    assert "in progress" in section and "Latest update: “Route gelopen.”" in section


def test_the_next_sessies_control_room_reviews_the_open_vervolgstappen_of_earlier_ones(
    client, story, facilitator
):
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk,
        vervolgstap_id=stap("Plan van aanpak").pk,
        status="klaar",
        tekst="Plan vastgesteld.",
    )
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk,
        vervolgstap_id=stap("Wijkschouw").pk,
        status="bezig",
        tekst="Route gelopen.",
    )
    derde = services.sessie_create(opgave=story.opgave, title="Derde sessie", tafels=1)
    client.force_login(facilitator)
    soup = BeautifulSoup(
        client.get(reverse("sessions:sessie", args=[derde.pk])).content, "html.parser"
    )
    review = soup.select_one("section.review")
    assert review.find("details").has_attr("open")  # step 1: open, to review first
    text = review.get_text(" ", strip=True)
    assert "Wijkschouw" in text and "Route gelopen." in text and "overdue" in text
    assert "Plan van aanpak" not in text  # done: not to review
    # The sessie where it was made does not review its own.
    first = BeautifulSoup(
        client.get(reverse("sessions:sessie", args=[story.sessie_1.pk])).content, "html.parser"
    )
    assert first.select_one("section.review") is None


def test_a_vervolgstap_carried_into_the_next_sessie_is_one_action_with_its_whole_log(
    client, story, facilitator
):
    """Carried into a third sessie (services.carry), the Wijkschouw goes on there: the list
    shows it once, as the carried one, with the follow-up logged before and after."""
    client.force_login(facilitator)
    earlier = stap("Wijkschouw")
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk, vervolgstap_id=earlier.pk, status="bezig", tekst="Gepland."
    )
    derde = services.sessie_create(opgave=story.opgave, title="Derde sessie", tafels=1)
    services.kaart_carry(sessie=derde, bron=earlier.tafel)
    carried = Vervolgstap.objects.get(title="Wijkschouw", tafel__sessie=derde)
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk, vervolgstap_id=carried.pk, status="klaar", tekst="Gelopen."
    )
    url = reverse("sessions:acties", args=[story.opgave.pk])
    response = client.get(url)
    page = BeautifulSoup(response.content, "html.parser")
    assert len(page.select("li.actie h2:-soup-contains('Wijkschouw')")) == 1
    card = cards(client, url)["Wijkschouw"]
    assert card["id"] == f"actie-{carried.pk}"
    assert "Derde sessie" in card.select_one("p.meta").get_text()
    log = [li.get_text(" ", strip=True) for li in card.select(".actie-log li")]
    assert log[0].startswith("in progress: “Gepland.”"), log
    assert log[1].startswith("done: “Gelopen.”"), log


def test_an_open_action_list_hears_of_a_follow_up_made_on_a_kaart(client, story, facilitator):
    """The list asks every few seconds with the stamp it has: nothing (204) while no
    vervolgstap changed, the list anew once one did (here: followed up on its kaart)."""
    client.force_login(facilitator)
    url = reverse("sessions:acties", args=[story.opgave.pk])
    page = BeautifulSoup(client.get(url + "?status=bezig").content, "html.parser")
    live = page.select_one("#acties-live")
    assert live["hx-trigger"] == "every 5s"
    poll = live["hx-get"]
    assert "status=bezig" in poll and "live=" in poll
    assert client.get(url + poll).status_code == 204
    assert not live.select("li.actie")

    wijkschouw = stap("Wijkschouw")
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk,
        vervolgstap_id=wijkschouw.pk,
        status="bezig",
        tekst="Gestart",
        tafel=wijkschouw.tafel,
    )
    response = client.get(url + poll)
    assert response.status_code == 200
    fresh = BeautifulSoup(response.content, "html.parser")
    assert fresh.select_one("#acties-live") and not fresh.select_one("h1"), "the list alone"
    (card,) = fresh.select("li.actie")
    assert "Wijkschouw" in card.h2.get_text() and "Gestart" in card.get_text()
    assert client.get(url + fresh.select_one("#acties-live")["hx-get"]).status_code == 204


def test_a_vervolgstap_carried_onto_every_tafel_is_one_action(client, story, facilitator):
    """Carried onto both tafels of the next sessie, the Wijkschouw is one card that says it
    goes on on another kaart too, shown as the copy followed up last."""
    client.force_login(facilitator)
    earlier = stap("Wijkschouw")
    derde = services.sessie_create(opgave=story.opgave, title="Derde sessie", tafels=2)
    services.kaart_carry(sessie=derde, bron=earlier.tafel)
    first, second = Vervolgstap.objects.filter(title="Wijkschouw", tafel__sessie=derde).order_by(
        "tafel__nummer"
    )
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk, vervolgstap_id=second.pk, status="bezig", tekst="Op tafel 2."
    )
    url = reverse("sessions:acties", args=[story.opgave.pk])
    page = BeautifulSoup(client.get(url).content, "html.parser")
    assert len(page.select("li.actie h2:-soup-contains('Wijkschouw')")) == 1
    card = cards(client, url)["Wijkschouw"]
    assert card["id"] == f"actie-{second.pk}"
    assert "also carried onto 1 other kaart" in card.select_one("p.meta").get_text()
    assert "Op tafel 2." in card.get_text()
    assert "2 vervolgstappen of all sessies" in page.select_one("h1 + p.meta").get_text()


def test_a_vervolgstap_gathered_on_the_plenary_kaart_and_worked_out_in_a_werkgroep_is_one_action(
    client, story, facilitator
):
    """The Wijkschouw of tafel A, carried to the plenary kaart (as it stands: in progress),
    then worked out in a werkgroep: one card, shown as the copy followed up last."""
    client.force_login(facilitator)
    original = stap("Wijkschouw")
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk, vervolgstap_id=original.pk, status="bezig", tekst="Aan tafel."
    )
    gathered = services.plenair_carry(
        sessie=story.sessie_1, kind="vervolgstap", item_id=original.pk
    )
    assert (gathered.voorganger, gathered.status) == (original, "bezig")
    (werkgroep,) = services.werkgroepen_form(sessie=story.sessie_1, stap_ids=[gathered.pk])
    url = reverse("sessions:acties", args=[story.opgave.pk])
    assert cards(client, url)["Wijkschouw"]["id"] == f"actie-{original.pk}"

    uitwerking = werkgroep.vervolgstappen.get(title="Wijkschouw")
    services.vervolgstap_follow_up(
        opgave_id=story.opgave.pk, vervolgstap_id=uitwerking.pk, status="klaar", tekst="Gelopen."
    )
    page = BeautifulSoup(client.get(url).content, "html.parser")
    assert len(page.select("li.actie h2:-soup-contains('Wijkschouw')")) == 1
    card = cards(client, url)["Wijkschouw"]
    assert card["id"] == f"actie-{uitwerking.pk}" and "done" in card.h2.get_text()
    log = [li.get_text(" ", strip=True) for li in card.select(".actie-log li")]
    assert log[0].startswith("in progress: “Aan tafel.”") and log[1].startswith("done:")
