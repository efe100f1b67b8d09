"""Werkgroepen in the control room, on the waiting page and on the werkgroep's kaart."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import translation

from sessions import access, fragments, selectors, services
from sessions.models import Deelnemer, Sessie
from tests import factories
from tests.views.test_sessies import control, error_messages


@pytest.fixture
def partij(opgave):
    return factories.PartijFactory(opgave=opgave, name="Politie")


@pytest.fixture
def step3(sessie, partij):
    """Step 3: the plenary kaart with two vervolgstappen; Anna (Politie) and Eva (Belastingdienst,
    named by none) have joined."""
    services.sessie_set_state(sessie=sessie, state=Sessie.State.OPEN)
    services.sessie_set_step(sessie=sessie, stap=3)
    gemeente = factories.PartijFactory(opgave=sessie.opgave, name="Gemeente")
    belastingdienst = factories.PartijFactory(opgave=sessie.opgave, name="Belastingdienst")
    plenair = services.plenair_tafel(sessie=sessie)
    data = services.vervolgstap_add(
        tafel=plenair, title="Datadeling", eigenaar=gemeente, partijen=[partij]
    )
    schouw = services.vervolgstap_add(tafel=plenair, title="Wijkschouw", eigenaar=partij)
    anna = services.deelnemer_join(sessie=sessie, name="Anna", partij=partij)
    eva = services.deelnemer_join(sessie=sessie, name="Eva", partij=belastingdienst)
    return {"data": data, "schouw": schouw, "anna": anna, "eva": eva, "gemeente": gemeente}


def as_participant(client, deelnemer):
    session = client.session
    access.remember_deelnemer(session, deelnemer)
    session.save()


def test_the_facilitator_forms_werkgroepen_in_the_control_room(client, sessie, facilitator, step3):
    client.force_login(facilitator)
    page = BeautifulSoup(
        client.get(sessie.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content, "html.parser"
    )
    box = page.select_one("details.werkgroepen")
    assert box.has_attr("open"), "open in step 3"
    offered = {i["value"] for i in box.select("input[name=value]")}
    assert offered == {str(step3["data"].pk), str(step3["schouw"].pk)}

    response = control(
        client, sessie, op="werkgroepen", value=[step3["data"].pk, step3["schouw"].pk]
    )
    assert response.status_code == 302
    step3["anna"].refresh_from_db()
    assert step3["anna"].tafel.werkgroep == step3["schouw"]  # Politie owns the schouw
    step3["eva"].refresh_from_db()
    assert step3["eva"].tafel is None

    response = control(client, sessie, op="werkgroepen", value=["999999"])
    assert "Choose one or more vervolgstappen" in " ".join(error_messages(client.get(response.url)))


def test_someone_nobody_seated_chooses_a_werkgroep_on_the_waiting_page(client, sessie, step3):
    services.werkgroepen_form(sessie=sessie, stap_ids=[step3["data"].pk, step3["schouw"].pk])
    as_participant(client, step3["eva"])
    url = reverse("sessions:sessie_join", args=[sessie.pk])
    page = BeautifulSoup(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content, "html.parser")
    buttons = [b.get_text(strip=True) for b in page.select(".werkgroep-choices button")]
    assert buttons == ["Datadeling", "Wijkschouw"]
    choice = page.select(".werkgroep-choices form")[1]
    response = client.post(
        choice["action"], {"tafel": choice.select_one("input[name=tafel]")["value"]}
    )
    assert response.status_code == 302
    eva = Deelnemer.objects.get(pk=step3["eva"].pk)
    assert eva.tafel.werkgroep == step3["schouw"]
    assert client.get(url).url == eva.tafel.get_absolute_url()


def test_a_werkgroep_is_chosen_only_by_someone_of_its_sessie_who_is_not_seated(
    client, sessie, step3
):
    (data, schouw) = services.werkgroepen_form(
        sessie=sessie, stap_ids=[step3["data"].pk, step3["schouw"].pk]
    )
    url = reverse("sessions:werkgroep_choose", args=[sessie.pk])
    assert client.post(url, {"tafel": data.pk}).status_code == 404  # no participant
    as_participant(client, step3["eva"])  # unseated: may choose, but only a werkgroep
    for bad in ("9" * 30, "-1", "x", str(sessie.tafels.get(plenair=True).pk)):
        response = client.post(url, {"tafel": bad}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 302
        assert "Choose a werkgroep of this sessie." in " ".join(
            error_messages(client.get(response.url, follow=True))
        )
    assert Deelnemer.objects.get(pk=step3["eva"].pk).tafel is None
    as_participant(client, step3["anna"])  # seated at the schouw already
    client.post(url, {"tafel": data.pk})
    assert Deelnemer.objects.get(pk=step3["anna"].pk).tafel == schouw


def test_a_werkgroeps_kaart_leads_with_its_vervolgstap_and_who_is_still_needed(
    client, sessie, facilitator, step3
):
    data, _schouw = services.werkgroepen_form(
        sessie=sessie, stap_ids=[step3["data"].pk, step3["schouw"].pk]
    )
    client.force_login(facilitator)
    page = BeautifulSoup(
        client.get(data.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content, "html.parser"
    )
    lead = page.select_one("#kaart-stap .werkgroep-lead")
    assert "Werkgroep: Datadeling" in lead.get_text()
    assert "owner: Gemeente · with Politie" in lead.get_text(" ", strip=True)
    # Nobody of Gemeente or Politie sits here (Anna went to the schouw, which Politie owns).
    assert lead.select_one(".flag").get_text(strip=True) == "Still needed: Gemeente, Politie"
    bram = services.deelnemer_join(sessie=sessie, name="Bram", partij=step3["gemeente"])
    services.deelnemer_move(deelnemer=bram, tafel=data)
    page = BeautifulSoup(
        client.get(data.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content, "html.parser"
    )
    flag = page.select_one("#kaart-stap .werkgroep-lead .flag")
    assert flag.get_text(strip=True) == "Still needed: Politie"


def test_a_step_push_to_a_werkgroep_is_its_pages_step_region(sessie, facilitator, step3):
    """The step region is pushed from the sessie's row (fragments.render_stap): on a
    werkgroep's kaart it leads with the same vervolgstap as the page does."""
    data, _schouw = services.werkgroepen_form(
        sessie=sessie, stap_ids=[step3["data"].pk, step3["schouw"].pk]
    )
    viewer = access.Access(can_view=True, can_edit=True, role="facilitator")
    with translation.override("en"):
        pushed = fragments.render_stap(data.pk, viewer)
        whole = fragments.render_pieces(selectors.kaart_for(data.pk, viewer), viewer, ["stap"])
    assert "Werkgroep: Datadeling" in pushed
    assert pushed == "".join(whole["stap"])
