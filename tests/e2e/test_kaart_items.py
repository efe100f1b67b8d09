"""An item's forms in a real browser: they are made when someone opens the item (the page
carries one template per kind, not a form per item), and they work as the server's own did.
And a kaart of hundreds of items, which the server sends in several frames, is whole on the
page, also when someone is typing while it arrives.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_kaart import (
    LIVE,
    RECONNECT,
    add_haal_seen_by_both,
    assert_same_document,
    bijdrage_text,
    expect_connected,
    join,
    mark_document,
    open_edit,
    partij_block,
)

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = None


def test_an_item_is_moved_linked_edited_and_deleted_through_the_forms_it_opens(
    two_at_one_tafel,
):
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    first = add_haal_seen_by_both(page_a, page_b, "Weten wie de panden huurt")
    second = add_haal_seen_by_both(page_a, page_b, "Een vast aanspreekpunt bij de gemeente")

    # Move the second up: both see the new order.
    form = open_edit(page_a, second)
    form.locator("xpath=..").get_by_role("button", name="Move up").click()
    for page in (page_a, page_b):
        expect(page.locator(f"#bijdrage-{second} + #bijdrage-{first}")).to_have_count(
            1, timeout=LIVE
        )

    # Link the first to a breng of Gemeente, chosen from what is on the kaart now.
    koppelingen = page_a.locator("#kaart-koppelingen")
    koppelingen.locator("details.add > summary").click()
    haal_select = page_a.locator("#form-koppeling-add-haal")
    haal_select.select_option(label="Politie: Weten wie de panden huurt")
    breng_select = page_a.locator("#form-koppeling-add-breng")
    gemeente = [
        label
        for label in breng_select.locator("option").all_inner_texts()
        if label.startswith("Gemeente: ")
    ]
    assert gemeente, "the brengen of Gemeente are offered"
    breng_select.select_option(label=gemeente[0])
    koppelingen.get_by_role("button", name="Link").click()
    link = "#kaart-koppelingen li:has-text('Weten wie de panden huurt')"
    for page in (page_a, page_b):
        expect(page.locator(link)).to_have_count(1, timeout=LIVE)

    # Edit a vervolgstap of the demo from its own form (step 3's list, condensed in step 2).
    page_a.locator("#kaart-vervolgstappen .region-toggle").click()
    stap = page_a.locator("#kaart-vervolgstappen li[id^='vervolgstap-']").first
    stap_id = stap.get_attribute("id")
    stap.locator("details.item-edit > summary").click()
    title = stap.get_by_label("Next step")
    expect(title).to_have_value(stap.locator(".title").inner_text())
    title.fill("Integrale controles, elk kwartaal")
    stap.get_by_role("button", name="Save").click()
    for page in (page_a, page_b):
        expect(page.locator(f"#{stap_id} .title")).to_have_text(
            "Integrale controles, elk kwartaal", timeout=LIVE
        )

    # Delete the first haal: it goes, and its koppeling with it, at both.
    form = open_edit(page_b, first)
    form.locator("xpath=..").get_by_role("button", name="Delete").click()
    for page in (page_a, page_b):
        expect(page.locator(f"#bijdrage-{first}")).to_have_count(0, timeout=LIVE)
        expect(page.locator(link)).to_have_count(0, timeout=LIVE)
    assert_same_document(page_a)
    assert_same_document(page_b)


def test_an_edit_form_shows_the_item_as_it_is_now(two_at_one_tafel):
    """The form is made from the item when it is opened: a change someone else made since
    the page loaded is in it, weight and all."""
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    pk = add_haal_seen_by_both(page_a, page_b, "Camera's bij de ingang")
    form = open_edit(page_a, pk)
    form.get_by_label("Text", exact=True).fill("Camera's bij beide ingangen")
    form.get_by_label("Weight").select_option("3")
    form.get_by_role("button", name="Save").click()
    expect(bijdrage_text(page_b, pk)).to_have_text("Camera's bij beide ingangen", timeout=LIVE)
    form_b = open_edit(page_b, pk)
    expect(form_b.get_by_label("Text", exact=True)).to_have_value("Camera's bij beide ingangen")
    expect(form_b.get_by_label("Weight")).to_have_value("3")
    # A haal has no kind or commitment; those are a breng's.
    expect(form_b.get_by_label("Kind")).to_have_count(0)


@pytest.fixture
def long_kaart(transactional_db, live_url, new_context, django_sync):
    """The demo tafel with 320 more halen and brengen of Politie: its list alone is more than
    one websocket frame (sessions/fragments.py FRAME_BYTES)."""
    from tests.e2e.test_platform import seed_demo

    _username, _password, link = seed_demo(live_url)
    from sessions import services
    from sessions.models import Partij, Tafel

    tafel = Tafel.objects.get(plenair=False)
    politie = Partij.objects.get(name="Politie")
    for n in range(320):
        services.bijdrage_add(
            tafel=tafel,
            partij=politie,
            soort="haal" if n % 2 else "breng",
            tekst=f"Lange lijst {n}: toezicht en handhaving samen op het bedrijventerrein",
        )
    total = tafel.bijdragen.filter(partij=politie).count()
    context_a, context_b = new_context(), new_context()
    page_a = join(context_a, link, "Anna de Vries", "Politie")
    page_b = join(context_b, link, "Bram Jansen", "Gemeente")
    expect_connected(page_a)
    expect_connected(page_b)
    mark_document(page_a)
    mark_document(page_b)
    return page_a, page_b, context_b, total


# A long list's push is rendered and sent in pieces: on a busy machine that takes longer than
# LIVE. What these tests check is that it arrives whole, not how fast.
LONG = 10_000


def politie_items(page):
    return partij_block(page, "Politie").locator("li.bijdrage")


def expect_whole(page, count: int) -> list[str]:
    """Politie's item ids once the list holds `count` items, each once, read in one instant
    (a list refilled in pieces, as after a whole card, is short between two pieces)."""
    block_id = partij_block(page, "Politie").get_attribute("id")
    whole = page.wait_for_function(
        """([id, n]) => {
            const ids = [...document.querySelectorAll(`#${id} li.bijdrage`)].map((li) => li.id);
            return ids.length === n && new Set(ids).size === n && ids;
        }""",
        arg=[block_id, count],
        timeout=LONG,
    )
    return whole.json_value()


def test_a_long_list_pushed_in_pieces_is_whole_on_the_page(long_kaart):
    page_a, page_b, _context_b, total = long_kaart
    last = expect_whole(page_b, total)[-1].removeprefix("bijdrage-")

    form = open_edit(page_a, last)
    form.get_by_label("Text", exact=True).fill("Het laatste item, aangepast")
    form.get_by_role("button", name="Save").click()

    # Both pages get the list again in pieces (Anna's own page too): each ends whole, in the
    # same order. (Under load Anna's pieces may come after Bram's; wait for them, not a moment.)
    lists = []
    for page in (page_b, page_a):
        expect(bijdrage_text(page, last)).to_have_text("Het laatste item, aangepast", timeout=LONG)
        lists.append(expect_whole(page, total))
    assert lists[0] == lists[1]
    assert_same_document(page_b)


def test_a_long_list_arriving_while_someone_types_is_whole_once_they_are_done(long_kaart):
    page_a, page_b, _context_b, total = long_kaart
    ids = [pk.removeprefix("bijdrage-") for pk in expect_whole(page_b, total)]
    # Bram is typing in one of Politie's items...
    typing = open_edit(page_b, ids[0])
    typing.get_by_label("Text", exact=True).fill("Bram is nog aan het typen")
    # ...while Anna changes another: the list comes in pieces, and is held back for Bram.
    form = open_edit(page_a, ids[-1])
    form.get_by_label("Text", exact=True).fill("Anna's wijziging")
    form.get_by_role("button", name="Save").click()
    expect(bijdrage_text(page_a, ids[-1])).to_have_text("Anna's wijziging", timeout=LONG)
    expect(typing.get_by_label("Text", exact=True)).to_have_value("Bram is nog aan het typen")

    typing.get_by_role("button", name="Cancel").click()
    expect(bijdrage_text(page_b, ids[-1])).to_have_text("Anna's wijziging", timeout=LONG)
    expect_whole(page_b, total)


def test_a_long_kaart_comes_back_whole_after_a_reconnect(long_kaart):
    page_a, page_b, context_b, total = long_kaart
    context_b.set_offline(True)
    pk = add_haal_seen_by_both_sides_later(page_a)
    context_b.set_offline(False)
    expect(page_b.locator(f"#bijdrage-{pk}")).to_have_count(1, timeout=RECONNECT)
    expect_whole(page_b, total + 1)
    assert_same_document(page_b)


def add_haal_seen_by_both_sides_later(page_a) -> str:
    """Anna adds a haal for Politie while Bram is offline; its id, from Anna's page."""
    block = partij_block(page_a, "Politie")
    block.locator("details.add > summary", has_text="Add a haal (Politie)").click()
    block.get_by_label("What does Politie want to get out of it?").fill("Terwijl Bram weg was")
    block.locator("form[id^='form-haal-add-']").get_by_role("button", name="Add").click()
    item = block.locator("li.bijdrage.haal", has_text="Terwijl Bram weg was")
    expect(item).to_have_count(1, timeout=LONG)
    return item.get_attribute("id").removeprefix("bijdrage-")


def test_an_opened_form_stays_open_when_its_long_list_arrives_in_pieces(long_kaart):
    page_a, page_b, _context_b, total = long_kaart
    ids = [pk.removeprefix("bijdrage-") for pk in expect_whole(page_b, total)]
    open_edit(page_b, ids[-1])  # near the end: it comes in one of the last pieces
    page_b.locator("h1").click()  # the focus leaves the form; the form stays open
    form = open_edit(page_a, ids[0])
    form.get_by_label("Text", exact=True).fill("Anna's wijziging bovenaan")
    form.get_by_role("button", name="Save").click()
    expect(bijdrage_text(page_b, ids[0])).to_have_text("Anna's wijziging bovenaan", timeout=LONG)
    expect(page_b.locator(f"#edit-bijdrage-{ids[-1]}")).to_have_attribute("open", "")
    expect(page_b.locator(f"#form-bijdrage-{ids[-1]}")).to_be_visible()


def test_a_move_of_an_item_another_is_editing_keeps_their_text_and_ends_in_order(
    two_at_one_tafel,
):
    """A move pushes the two items that exchange places; at Bram, who is typing in one of
    them, neither moves from under him, and once he cancels his page has the new order."""
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    first = add_haal_seen_by_both(page_a, page_b, "Weten wie de panden huurt")
    second = add_haal_seen_by_both(page_a, page_b, "Een vast aanspreekpunt bij de gemeente")
    typing = open_edit(page_b, second)
    typing.get_by_label("Text", exact=True).fill("Bram is nog aan het typen")

    form = open_edit(page_a, second)
    form.locator("xpath=..").get_by_role("button", name="Move up").click()
    moved = f"#bijdrage-{second} + #bijdrage-{first}"
    expect(page_a.locator(moved)).to_have_count(1, timeout=LIVE)
    expect(typing.get_by_label("Text", exact=True)).to_have_value("Bram is nog aan het typen")

    typing.get_by_role("button", name="Cancel").click()
    expect(page_b.locator(moved)).to_have_count(1, timeout=RECONNECT)
    expect(page_b.locator(f"#bijdrage-{first}")).to_have_count(1)
    assert_same_document(page_b)


def test_a_koppeling_added_and_removed_shows_at_the_other_with_its_count(two_at_one_tafel):
    """The koppeling comes alone, appended to the list; the count in the heading and the line
    that there are none follow it, there and back."""
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    text = "Weten wie de panden huurt"
    add_haal_seen_by_both(page_a, page_b, text)
    count = page_b.locator("#kaart-koppelingen-count")
    before = int(count.inner_text().strip("()"))
    empty = page_b.locator("#kaart-koppelingen-list .empty-note")

    koppelingen = page_a.locator("#kaart-koppelingen")
    koppelingen.locator("details.add > summary").click()
    page_a.locator("#form-koppeling-add-haal").select_option(label=f"Politie: {text}")
    breng = page_a.locator("#form-koppeling-add-breng")
    gemeente = [o for o in breng.locator("option").all_inner_texts() if o.startswith("Gemeente: ")]
    breng.select_option(label=gemeente[0])
    koppelingen.get_by_role("button", name="Link").click()
    link = page_b.locator("#kaart-koppelingen li.koppeling", has_text=text)
    expect(link).to_have_count(1, timeout=LIVE)
    expect(count).to_have_text(f"({before + 1})")
    expect(empty).to_be_hidden()

    link.locator("details.item-edit > summary").click()
    link.get_by_role("button", name="Remove koppeling").click()
    for page in (page_a, page_b):
        expect(page.locator("#kaart-koppelingen li.koppeling", has_text=text)).to_have_count(
            0, timeout=LIVE
        )
        expect(page.locator("#kaart-koppelingen-count")).to_have_text(f"({before})")
    if before == 0:
        expect(empty).to_be_visible()
    assert_same_document(page_a)
    assert_same_document(page_b)
