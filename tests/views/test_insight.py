"""The summary pages, downloads and the import: who may, what they get."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions import insight, services
from sessions.exports import jsondoc
from sessions.models import Bijdrage, Membership, Opgave
from tests import factories

pytestmark = pytest.mark.usefixtures("english")


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


@pytest.mark.parametrize("name", ["insight:opgave", "insight:sessie"])
def test_anonymous_visitors_are_sent_to_log_in_and_outsiders_get_404(client, story, outsider, name):
    pk = story.opgave.pk if name == "insight:opgave" else story.sessie_1.pk
    response = client.get(reverse(name, args=[pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(outsider)
    assert client.get(reverse(name, args=[pk])).status_code == 404
    fmt_name = name + "_export"
    assert client.get(reverse(fmt_name, args=[pk, "json"])).status_code == 404


def test_a_coordinator_reads_the_opgave_summary_without_confidential_items(
    client, story, coordinator
):
    client.force_login(coordinator)
    soup = page(client, reverse("insight:opgave", args=[story.opgave.pk]))
    assert soup.h1.get_text(strip=True) == "Summary of Veilige wijk"
    text = soup.get_text(" ", strip=True)
    assert "Cameratoezicht" not in text and "Nog niet gedeeld" not in text
    assert "Openbaar Ministerie" in text
    assert soup.select("svg[role=img]")  # the balance chart and the map
    links = {a["href"] for a in soup.select(".downloads a")}
    assert reverse("insight:opgave_export", args=[story.opgave.pk, "pdf"]) in links
    assert not any("volledig" in href for href in links)
    assert soup.find("link", href=lambda h: h and h.endswith("css/print.css"))["media"] == "print"


def test_a_facilitator_sees_confidential_items_marked_and_may_download_them(
    client, story, facilitator
):
    client.force_login(facilitator)
    soup = page(client, reverse("insight:sessie", args=[story.sessie_1.pk]))
    marked = [li for li in soup.select("li.bijdrage") if "Cameratoezicht" in li.get_text()]
    assert marked and "confidential" in marked[0].get_text()
    assert "not yet revealed" in soup.get_text()
    url = reverse("insight:sessie_export", args=[story.sessie_1.pk, "json"])
    shared = json.loads(client.get(url).content)
    complete = json.loads(client.get(url + "?volledig=1").content)
    assert shared["complete"] is False and complete["complete"] is True
    assert "Cameratoezicht" not in json.dumps(shared)
    assert "Cameratoezicht" in json.dumps(complete, ensure_ascii=False)


def test_a_coordinator_cannot_ask_for_the_complete_export(client, story, coordinator):
    client.force_login(coordinator)
    url = reverse("insight:opgave_export", args=[story.opgave.pk, "json"]) + "?volledig=1"
    response = client.get(url)
    assert response.status_code == 200
    assert json.loads(response.content)["complete"] is False


@pytest.mark.parametrize(
    "fmt, content_type, magic",
    [
        ("pdf", "application/pdf", b"%PDF"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("csv", "application/zip", b"PK"),
        ("json", "application/json", b"{"),
        ("md", "text/markdown; charset=utf-8", b"# Summary"),
    ],
)
def test_every_format_downloads_as_an_attachment(
    client, story, coordinator, fmt, content_type, magic
):
    client.force_login(coordinator)
    response = client.get(reverse("insight:sessie_export", args=[story.sessie_2.pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith('attachment; filename="veilige-wijk-')
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(magic)


def test_an_unknown_format_is_404(client, story, coordinator):
    client.force_login(coordinator)
    assert (
        client.get(reverse("insight:opgave_export", args=[story.opgave.pk, "exe"])).status_code
        == 404
    )


def test_the_summary_pages_take_a_constant_number_of_queries(client, story, facilitator):
    client.force_login(facilitator)
    url = reverse("insight:opgave", args=[story.opgave.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    sessie = services.sessie_create(opgave=story.opgave, title="Nog een", tafels=2)
    for tafel in sessie.tafels.all():
        services.bijdrage_add(
            tafel=tafel, partij=story.partijen["Politie"], soort="haal", tekst="Meer"
        )
    assert count() == before


def test_the_page_is_in_dutch_by_default(client, story, coordinator):
    from django.utils import translation

    client.force_login(coordinator)
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    with translation.override("nl"):
        response = client.get(reverse("insight:opgave", args=[story.opgave.pk]))
    assert response.status_code == 200
    assert BeautifulSoup(response.content, "html.parser").html["lang"] == "nl"


# Import ------------------------------------------------------------------------------------


def export_file(story, name="export.json") -> SimpleUploadedFile:
    document = jsondoc.build(insight.summary_for_opgave(story.opgave.pk, complete=True))
    return SimpleUploadedFile(name, json.dumps(document).encode(), "application/json")


def test_a_facilitator_imports_an_export_as_a_new_opgave_in_their_team(client, story, facilitator):
    client.force_login(facilitator)
    url = reverse("insight:import")
    soup = page(client, url)
    assert soup.find("input", {"type": "file", "name": "document"})
    response = client.post(
        url, {"team": story.opgave.team.pk, "document": export_file(story), "title": "Kopie"}
    )
    new = Opgave.objects.get(title="Kopie")
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    assert new.team == story.opgave.team
    assert new.partijen.count() == 5 and new.sessies.count() == 2


def test_an_invalid_file_is_shown_as_an_error_and_imports_nothing(client, story, facilitator):
    client.force_login(facilitator)
    before = Opgave.objects.count()
    bad = SimpleUploadedFile("x.json", b'{"format": "something else"}', "application/json")
    response = client.post(
        reverse("insight:import"), {"team": story.opgave.team.pk, "document": bad}
    )
    assert response.status_code == 200
    errors = BeautifulSoup(response.content, "html.parser").select_one(".form-errors")
    assert "not a Halen/Brengen export" in errors.get_text()
    assert Opgave.objects.count() == before


def test_only_facilitators_import_and_only_into_their_own_teams(
    client, story, coordinator, facilitator
):
    client.force_login(coordinator)
    assert client.get(reverse("insight:import")).status_code == 403
    other_team = factories.TeamFactory()
    client.force_login(facilitator)
    response = client.post(
        reverse("insight:import"), {"team": other_team.pk, "document": export_file(story)}
    )
    assert response.status_code == 200
    assert not Opgave.objects.filter(team=other_team).exists()


def test_a_facilitator_of_several_teams_chooses_the_team(client, story, facilitator):
    second = factories.MembershipFactory(user=facilitator, role=Membership.Role.FACILITATOR).team
    factories.MembershipFactory(user=facilitator, role=Membership.Role.COORDINATOR)
    client.force_login(facilitator)
    soup = page(client, reverse("insight:import"))
    options = {o.get_text() for o in soup.select("select[name=team] option")}
    assert options == {story.opgave.team.name, second.name}
    client.post(reverse("insight:import"), {"team": second.pk, "document": export_file(story)})
    assert Opgave.objects.filter(team=second, title="Veilige wijk").exists()


def test_the_import_form_limits_the_file_size(client, story, facilitator, monkeypatch):
    from sessions import insight_forms

    monkeypatch.setattr(insight_forms, "MAX_IMPORT_BYTES", 10)
    client.force_login(facilitator)
    response = client.post(
        reverse("insight:import"), {"team": story.opgave.team.pk, "document": export_file(story)}
    )
    assert response.status_code == 200
    assert "too large" in response.content.decode()


def import_errors(client, story, content: bytes) -> list[str]:
    """Posts `content` as the import file; the form's errors, after checking nothing was made."""
    before = (Opgave.objects.count(), Bijdrage.objects.count())
    response = client.post(
        reverse("insight:import"),
        {
            "team": story.opgave.team.pk,
            "document": SimpleUploadedFile("export.json", content, "application/json"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert (Opgave.objects.count(), Bijdrage.objects.count()) == before
    errors = BeautifulSoup(response.content, "html.parser").select(".form-errors li")
    return [e.get_text(strip=True) for e in errors]


def story_document(story) -> dict:
    return jsondoc.build(insight.summary_for_opgave(story.opgave.pk, complete=True))


def test_an_import_with_3000_bijdragen_on_one_kaart_is_refused_at_once(client, story, facilitator):
    client.force_login(facilitator)
    document = story_document(story)
    tafel = document["sessies"][0]["tafels"][0]
    partij = document["partijen"][0]["id"]
    tafel["bijdragen"] += [
        {"id": 10**6 + i, "partij": partij, "soort": "breng", "tekst": f"Inzet {i}"}
        for i in range(3000)
    ]
    items = sum(len(tafel[k]) for k in ("bijdragen", "koppelingen", "vervolgstappen"))
    with CaptureQueriesContext(connection) as queries:
        errors = import_errors(client, story, json.dumps(document).encode())
    assert errors == [f"A kaart in this file has {items} items; a kaart holds at most 500."]
    # Refused before the import's transaction began: not one row written and rolled back.
    assert not [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "SAVEPOINT"))]


@pytest.mark.parametrize("depth", [1000, 200_000])
def test_a_deeply_nested_import_is_a_form_error(client, story, facilitator, depth):
    client.force_login(facilitator)
    errors = import_errors(client, story, b'{"a":' + b"[" * depth + b"]" * depth + b"}")
    assert errors == ["This file is nested too deeply to be an export."]


@pytest.mark.parametrize("bad", ["\\ud800", "\\u0000"])
def test_an_import_with_text_that_cannot_be_stored_is_a_form_error(client, story, facilitator, bad):
    client.force_login(facilitator)
    document = story_document(story)
    document["sessies"][0]["tafels"][0]["bijdragen"][0]["tekst"] = "BAD"
    content = json.dumps(document).replace("BAD", bad).encode()
    assert import_errors(client, story, content) == [
        "This file contains characters that cannot be stored (a lone surrogate or a NUL)."
    ]


def test_a_facilitator_writes_the_key_message_and_a_coordinator_reads_it(
    client, story, facilitator, coordinator
):
    url = reverse("insight:sessie_kernboodschap", args=[story.sessie_1.pk])
    summary_url = reverse("insight:sessie", args=[story.sessie_1.pk])
    client.force_login(facilitator)
    form = page(client, summary_url).find("form", action=url)
    assert form is not None and form.find("textarea", attrs={"name": "tekst"})
    response = client.post(url, {"tekst": "Samen verder met de wijkschouw.", "version": "0"})
    assert response.status_code == 302 and response["Location"].startswith(summary_url)
    shown = page(client, summary_url).select_one(".samenvatting").get_text(" ", strip=True)
    assert "Samen verder met de wijkschouw." in shown and "version 1" in shown
    # An edit made against the version before is refused, and the writer's text is given back.
    client.post(url, {"tekst": "Nieuwer", "version": "1"})
    client.post(url, {"tekst": "Ouder", "version": "1"})
    messages = page(client, summary_url).select_one(".messages").get_text(" ", strip=True)
    assert "Ouder" in messages and "Someone else changed the key message" in messages

    client.force_login(coordinator)
    soup = page(client, summary_url)
    assert "Nieuwer" in soup.select_one(".kernboodschap").get_text()
    assert soup.find("form", action=url) is None
    assert client.post(url, {"tekst": "Van de coördinator", "version": "2"}).status_code == 403


def test_outsiders_cannot_write_a_key_message(client, story, outsider):
    client.force_login(outsider)
    url = reverse("insight:opgave_kernboodschap", args=[story.opgave.pk])
    assert client.post(url, {"tekst": "x", "version": "0"}).status_code == 404
    assert client.get(url).status_code in (404, 405)


def test_the_balance_table_says_against_what_a_share_is_compared(client, story, coordinator):
    client.force_login(coordinator)
    soup = page(client, reverse("insight:sessie", args=[story.sessie_1.pk]))
    table = soup.select_one(".balans-table").get_text(" ", strip=True)
    assert "the others' average" in table and "× the others " not in table + " "


def test_the_facilitators_page_says_why_its_findings_can_differ_from_the_shared_export(
    client, story, facilitator
):
    client.force_login(facilitator)
    soup = page(client, reverse("insight:sessie", args=[story.sessie_1.pk]))
    note = soup.select_one(".confidential-note").get_text(" ", strip=True)
    assert "can differ from what the shareable downloads say" in note
