"""A lopend proces in a real browser: a vervolgstap followed up on the kaart reaches the
facilitator's action list by itself; the next sessie, started from the plenary kaart, shows
the carried items marked with the sessie they came from; werkgroepen formed from the plenary
kaart's vervolgstappen seat the participants at theirs.

On the demo (seed_demo), in step 3, joined as Anna de Vries of Politie."""

from __future__ import annotations

import re

import pytest

from sessions import services
from sessions.models import Sessie, Vervolgstap
from tests.e2e.test_accessibility import demo, join
from tests.e2e.test_kaart import join as join_as
from tests.e2e.test_keyboard import log_in_facilitator

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None

__all__ = ["demo"]

pytestmark = pytest.mark.browser

LIVE_LIST = 15_000  # ms: the action list asks every 5 s


def test_a_follow_up_reaches_the_action_list_and_the_next_sessie_carries_the_kaart(
    demo, new_context, django_sync
):
    sessie = Sessie.objects.get(pk=demo["sessie"])
    services.sessie_set_step(sessie=sessie, stap=3)
    tafel = sessie.tafels.get(nummer=1)
    stap = tafel.vervolgstappen.order_by("position").first()
    bijdrage = tafel.bijdragen.order_by("id").first()
    services.plenair_carry(sessie=sessie, kind="bijdrage", item_id=bijdrage.pk)
    services.plenair_carry(sessie=sessie, kind="vervolgstap", item_id=stap.pk)

    participant = new_context().new_page()
    join(participant, demo)
    facilitator = new_context().new_page()
    log_in_facilitator(facilitator, demo["username"], demo["password"])
    facilitator.goto(f"/opgaven/{demo['opgave']}/acties/")
    # One card for the vervolgstap and its copy on the plenary kaart.
    card = facilitator.locator("li.actie", has=facilitator.locator("h2", has_text=stap.title))
    expect(card.locator(".badge")).to_have_text("open")

    item = participant.locator(f"#vervolgstap-{stap.pk}")
    item.get_by_text("Update the status").click()
    item.get_by_label("Status").select_option(label="in progress")
    item.get_by_label("What happened (optional)").fill("De eerste afspraak staat.")
    item.get_by_role("button", name="Save").click()
    expect(item.locator(".badge")).to_have_text("in progress")
    expect(item.locator(".stap-update")).to_contain_text("De eerste afspraak staat.")

    # The facilitator's list shows it without a reload.
    facilitator.evaluate("window.__sameDocument = true")
    expect(card.locator(".badge")).to_have_text("in progress", timeout=LIVE_LIST)
    expect(card).to_contain_text("De eerste afspraak staat.")
    assert facilitator.evaluate("window.__sameDocument === true")

    # The next sessie, started from the plenary kaart onto every tafel.
    facilitator.goto(f"/opgaven/{demo['opgave']}/sessies/nieuw/")
    facilitator.get_by_label("Title").fill("Tweede bijeenkomst")
    facilitator.get_by_label("Number of tafels to start with").fill("2")
    facilitator.get_by_label("Start from").select_option(label=f"{sessie.title}: Plenary kaart")
    facilitator.get_by_label("every tafel's kaart").check()
    facilitator.get_by_role("button", name="Save").click()
    expect(facilitator.get_by_role("heading", name="Tweede bijeenkomst")).to_be_visible()
    with django_sync():
        new = Sessie.objects.get(title="Tweede bijeenkomst")
        kaarten = list(new.tafels.order_by("nummer"))
        carried = Vervolgstap.objects.get(tafel=kaarten[0])
    assert len(kaarten) == 2
    facilitator.goto(f"/tafels/{kaarten[0].pk}/")
    marked = facilitator.locator(f"li.bijdrage:has-text('{bijdrage.tekst}')")
    carried_from = f"Carried from the sessie “{sessie.title}”"
    expect(marked.locator(".herkomst")).to_have_attribute("title", carried_from)
    expect(marked.locator(".herkomst")).to_contain_text("from Sessie 1")
    marker = facilitator.locator(f"#vervolgstap-{carried.pk} .herkomst")
    expect(marker).to_have_attribute("title", carried_from)


def test_the_facilitator_forms_werkgroepen_and_the_participants_land_at_theirs(
    demo, new_context, django_sync
):
    sessie = Sessie.objects.get(pk=demo["sessie"])
    services.sessie_set_step(sessie=sessie, stap=3)
    tafel = sessie.tafels.get(nummer=1)
    stappen = list(tafel.vervolgstappen.order_by("position"))
    assert len(stappen) == 3
    for stap in stappen:
        services.plenair_carry(sessie=sessie, kind="vervolgstap", item_id=stap.pk)
    titles = [stap.title for stap in stappen]

    anna = new_context().new_page()
    join(anna, demo)  # Politie: owner of the step with the gebiedsofficier
    bram = join_as(new_context(), demo["join_link"], "Bram Jansen", "Gemeente")
    facilitator = new_context().new_page()
    log_in_facilitator(facilitator, demo["username"], demo["password"])
    facilitator.goto(f"/sessies/{sessie.pk}/")
    box = facilitator.locator("details.werkgroepen")
    for title in titles:
        box.get_by_label(re.compile(re.escape(title))).check()
    box.get_by_role("button", name="Form the werkgroepen").click()
    expect(facilitator.locator(".messages")).to_contain_text("3 werkgroepen formed")

    with django_sync():
        werkgroepen = {t.werkgroep.title: t for t in sessie.tafels.filter(werkgroep__isnull=False)}
        politie_owns = next(s for s in stappen if s.eigenaar.name == "Politie").title
        gemeente_owns = next(s for s in stappen if s.eigenaar.name == "Gemeente").title
    assert set(werkgroepen) == set(titles)
    for page, title in ((anna, politie_owns), (bram, gemeente_owns)):
        expect(page).to_have_url(
            re.compile(rf"/tafels/{werkgroepen[title].pk}/$"), timeout=LIVE_LIST
        )
        expect(page.locator("#kaart-stap .werkgroep-lead")).to_contain_text(f"Werkgroep: {title}")
        expect(page.locator(f"#kaart-vervolgstappen li:has-text('{title}')")).to_be_visible()
