"""The live kaart in a real browser: two participants at one tafel see each other's changes
without reloading, over websockets, across a network outage, over plain HTTP when websockets
are blocked, and a stale edit is refused with the other's text shown instead of overwriting it.

Both participants join the demo sessie (one tafel) by its link, as in test_platform.py.
"""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests then, or fails them when CI=true
    expect = PlaywrightTimeoutError = None

LIVE = 2_000  # ms: a change by one participant shows at the other's over the websocket
POLL = 5_000  # ms: ... over HTTP polling (every 2 s)
RECONNECT = 10_000  # ms: back online, the socket reconnects (or pings) and catches up
HTTP_FALLBACK = 8_000  # ms: a browser without websockets switches to HTTP

# Before any page script runs: a WebSocket that fails like one blocked by a proxy or firewall.
# The handshake never completes; the browser reports an error, then an abnormal close (1006).
BLOCK_WEBSOCKETS = """
(() => {
  class BlockedWebSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.url = String(url);
      this.protocol = "";
      this.extensions = "";
      this.bufferedAmount = 0;
      this.binaryType = "blob";
      this.readyState = BlockedWebSocket.CONNECTING;
      this.onopen = this.onmessage = this.onerror = this.onclose = null;
      window.__blockedSockets = (window.__blockedSockets || 0) + 1;
      setTimeout(() => {
        this.readyState = BlockedWebSocket.CLOSED;
        const error = new Event("error");
        if (this.onerror) this.onerror(error);
        this.dispatchEvent(error);
        const close = new CloseEvent("close", { code: 1006, reason: "", wasClean: false });
        if (this.onclose) this.onclose(close);
        this.dispatchEvent(close);
      }, 20);
    }
    send() {
      throw new DOMException("WebSocket is not open", "InvalidStateError");
    }
    close() {}
  }
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach((name, value) => {
    Object.defineProperty(BlockedWebSocket, name, { value });
    Object.defineProperty(BlockedWebSocket.prototype, name, { value });
  });
  window.WebSocket = BlockedWebSocket;
})();
"""

MARKER = "window.__sameDocument"
SETTLED = 4_000  # ms: a reconnect loop would replace the socket at least twice in this window


def join(context, join_link: str, name: str, partij: str):
    """Join the sessie by link in this context (one person); return the page on the kaart."""
    page = context.new_page()
    page.goto(join_link)
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("The partij you represent").select_option(label=partij)
    page.get_by_role("button", name="Join the sessie").click()
    expect(page).to_have_url(re.compile(r"/tafels/\d+/$"))
    return page


def status(page):
    return page.locator("#kaart-status")


def expect_connected(page, timeout: float = 5_000) -> None:
    expect(status(page)).to_have_attribute("data-state", "connected", timeout=timeout)


def mark_document(page) -> None:
    """Mark this document, to tell later that no reload or navigation replaced it."""
    page.evaluate(f"{MARKER} = true")


def assert_same_document(page) -> None:
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded or navigated away"


def count_socket_opens(page) -> None:
    """From now on, count the websockets this page opens (htmx:wsOpen)."""
    page.evaluate(
        """() => {
          window.__socketsOpened = 0;
          document.addEventListener("htmx:wsOpen", () => { window.__socketsOpened += 1; });
        }"""
    )


def assert_stays_connected(page, most: int) -> None:
    """The connection has settled: within SETTLED ms the page opens no socket beyond `most`
    (counted since count_socket_opens) and ends connected. This one check watches for a while
    on purpose: a reconnect loop shows only over time."""
    try:
        page.wait_for_function("(most) => window.__socketsOpened > most", arg=most, timeout=SETTLED)
    except PlaywrightTimeoutError:
        pass
    else:
        opened = page.evaluate("window.__socketsOpened")
        pytest.fail(f"the page keeps reconnecting: {opened} websockets opened since back online")
    expect(status(page)).to_have_attribute("data-state", "connected")


def partij_block(page, partij: str):
    return page.get_by_role("article", name=partij, exact=True)


def add_haal(page, partij: str, text: str) -> None:
    block = partij_block(page, partij)
    block.locator("details.add > summary", has_text=f"Add a haal ({partij})").click()
    block.get_by_label(f"What does {partij} want to get out of it?").fill(text)
    block.locator("form[id^='form-haal-add-']").get_by_role("button", name="Add").click()


def haal(page, partij: str, text: str):
    return partij_block(page, partij).locator("li.bijdrage.haal", has_text=text)


def bijdrage_text(page, pk: str):
    return page.locator(f"#bijdrage-{pk} .bijdrage-text")


def open_edit(page, pk: str):
    """Open the edit form of bijdrage `pk`; return the form."""
    item = page.locator(f"#bijdrage-{pk}")
    item.locator("details.item-edit > summary").click()
    form = page.locator(f"#form-bijdrage-{pk}")
    expect(form).to_be_visible()
    return form


def edit_bijdrage(page, pk: str, text: str) -> None:
    form = open_edit(page, pk)
    form.get_by_label("Text", exact=True).fill(text)
    form.get_by_role("button", name="Save").click()


def add_haal_seen_by_both(page_a, page_b, text: str) -> str:
    """A adds a haal for Politie; both see it. Return the bijdrage's pk."""
    add_haal(page_a, "Politie", text)
    expect(haal(page_b, "Politie", text)).to_be_visible(timeout=LIVE)
    expect(haal(page_a, "Politie", text)).to_be_visible(timeout=LIVE)
    item_id = haal(page_b, "Politie", text).get_attribute("id")
    return item_id.removeprefix("bijdrage-")


def test_a_haal_added_by_one_appears_at_the_other_live(two_at_one_tafel):
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    text = "Snel weten welke panden leegstaan"

    add_haal(page_a, "Politie", text)

    expect(haal(page_b, "Politie", text)).to_be_visible(timeout=LIVE)
    # Anna's own form was sent and closed; her page shows the haal as well.
    expect(haal(page_a, "Politie", text)).to_be_visible(timeout=LIVE)
    expect(partij_block(page_a, "Politie").locator("details.add").first).not_to_have_attribute(
        "open", ""
    )
    assert_same_document(page_a)
    assert_same_document(page_b)


def test_an_edit_by_one_appears_at_the_other_live(two_at_one_tafel):
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    pk = add_haal_seen_by_both(page_a, page_b, "Snel weten welke panden leegstaan")

    edit_bijdrage(page_b, pk, "Binnen een week weten welke panden leegstaan")

    expect(bijdrage_text(page_a, pk)).to_have_text(
        "Binnen een week weten welke panden leegstaan", timeout=LIVE
    )
    expect(bijdrage_text(page_b, pk)).to_have_text(
        "Binnen een week weten welke panden leegstaan", timeout=LIVE
    )
    assert_same_document(page_a)
    assert_same_document(page_b)


def test_a_form_someone_has_opened_stays_open_when_another_changes_that_partij(
    two_at_one_tafel,
):
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    block_b = partij_block(page_b, "Politie")
    block_b.locator("details.add > summary", has_text="Add a haal (Politie)").click()
    field = block_b.get_by_label("What does Politie want to get out of it?")
    expect(field).to_be_visible()

    add_haal(page_a, "Politie", "Snel weten welke panden leegstaan")

    expect(haal(page_b, "Politie", "Snel weten welke panden leegstaan")).to_be_visible(timeout=LIVE)
    # Bram's form did not close under him: he types on and adds his own haal.
    expect(field).to_be_visible()
    field.fill("Wie huurt wat")
    block_b.locator("form[id^='form-haal-add-']").get_by_role("button", name="Add").click()
    expect(haal(page_a, "Politie", "Wie huurt wat")).to_be_visible(timeout=LIVE)
    assert_same_document(page_b)


def test_an_item_another_deletes_does_not_vanish_from_under_someone_editing_it(
    two_at_one_tafel,
):
    """Each item is pushed on its own; taken out by one, it stays at the other while their
    edit form is in use, and goes once they cancel."""
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    pk = add_haal_seen_by_both(page_a, page_b, "Snel weten welke panden leegstaan")
    form_b = open_edit(page_b, pk)
    form_b.get_by_label("Text", exact=True).fill("Binnen een week weten")

    form_a = open_edit(page_a, pk)
    form_a.locator("xpath=..").get_by_role("button", name="Delete").click()
    expect(page_a.locator(f"#bijdrage-{pk}")).to_have_count(0, timeout=LIVE)
    # Bram's typing is not swept away: the item waits, marked as changed meanwhile.
    expect(page_b.locator(f"#bijdrage-{pk}")).to_have_class(re.compile("has-remote-change"))
    expect(form_b.get_by_label("Text", exact=True)).to_have_value("Binnen een week weten")
    form_b.get_by_role("button", name="Cancel").click()
    expect(page_b.locator(f"#bijdrage-{pk}")).to_have_count(0, timeout=LIVE)
    assert_same_document(page_b)


def test_back_online_a_participant_catches_up_without_reloading(two_at_one_tafel):
    context_a, page_a, _context_b, page_b = two_at_one_tafel
    pk = add_haal_seen_by_both(page_a, page_b, "Snel weten welke panden leegstaan")

    context_a.set_offline(True)
    expect(status(page_a)).to_have_attribute(
        "data-state", re.compile(r"^(offline|reconnecting)$"), timeout=LIVE
    )
    edit_bijdrage(page_b, pk, "Tijdens de storing bijgewerkt")
    expect(bijdrage_text(page_b, pk)).to_have_text("Tijdens de storing bijgewerkt", timeout=LIVE)

    count_socket_opens(page_a)
    context_a.set_offline(False)

    expect_connected(page_a, timeout=RECONNECT)
    expect(bijdrage_text(page_a, pk)).to_have_text(
        "Tijdens de storing bijgewerkt", timeout=RECONNECT
    )
    assert_same_document(page_a)
    # Live again: the next change arrives as fast as before the outage.
    edit_bijdrage(page_b, pk, "Na de storing bijgewerkt")
    expect(bijdrage_text(page_a, pk)).to_have_text("Na de storing bijgewerkt", timeout=LIVE)
    # And it stays on the new socket: one reconnect (two if htmx's own retry was still due).
    assert_stays_connected(page_a, most=2)
    assert_same_document(page_a)


def test_back_online_after_edits_on_both_sides_a_participant_sees_the_others(
    two_at_one_tafel,
):
    """The scenario of issue 13: Anna goes offline, Bram adds a haal, Anna adds one while
    offline (and sees that one change waits to be sent), Anna comes back: she sees Bram's
    haal within 5 s, without a reload, and nothing waits any more."""
    context_a, page_a, _context_b, page_b = two_at_one_tafel
    context_a.set_offline(True)
    expect(status(page_a)).to_have_attribute(
        "data-state", re.compile(r"^(offline|reconnecting)$"), timeout=LIVE
    )
    add_haal(page_b, "Gemeente", "Bram tijdens de storing")
    expect(haal(page_b, "Gemeente", "Bram tijdens de storing")).to_be_visible(timeout=LIVE)
    add_haal(page_a, "Politie", "Anna tijdens de storing")
    waiting = page_a.locator("#kaart-unsent")
    expect(waiting).to_be_visible()
    expect(waiting.locator(".count")).to_have_text("1")

    context_a.set_offline(False)
    expect(haal(page_a, "Gemeente", "Bram tijdens de storing")).to_be_visible(timeout=5_000)
    expect(haal(page_a, "Politie", "Anna tijdens de storing")).to_be_visible(timeout=5_000)
    expect(haal(page_b, "Politie", "Anna tijdens de storing")).to_be_visible(timeout=5_000)
    expect(waiting).to_be_hidden(timeout=5_000)
    assert_same_document(page_a)


def test_a_connection_that_went_dead_is_replaced_and_the_page_catches_up(
    join_link, new_context, live_url
):
    """Anna's connection goes dead without closing (her laptop slept, her phone moved to
    another network): within 30 s her page notices, opens a new socket and shows what Bram
    did meanwhile, without a reload."""
    from urllib.parse import urlsplit

    from tests.faults.helpers import TcpProxy

    server = urlsplit(live_url)
    proxy = TcpProxy(server.hostname, server.port).up()
    try:
        context_a, context_b = new_context(), new_context()
        via_proxy = join_link.replace(f":{server.port}/", f":{proxy.port}/")
        page_a = join(context_a, via_proxy, "Anna de Vries", "Politie")
        page_b = join(context_b, join_link, "Bram Jansen", "Gemeente")
        expect_connected(page_a)
        expect_connected(page_b)
        mark_document(page_a)
        proxy.kill_paths()
        add_haal(page_b, "Gemeente", "Terwijl Anna's verbinding dood was")
        expect(haal(page_a, "Gemeente", "Terwijl Anna's verbinding dood was")).to_be_visible(
            timeout=30_000
        )
        expect_connected(page_a)
        assert_same_document(page_a)
    finally:
        proxy.down()


def test_without_websockets_the_kaart_works_over_http(join_link, new_context, django_sync):
    context_a, context_b = new_context(), new_context()
    context_a.add_init_script(BLOCK_WEBSOCKETS)
    page_a = join(context_a, join_link, "Anna de Vries", "Politie")
    page_b = join(context_b, join_link, "Bram Jansen", "Gemeente")
    mark_document(page_a)
    mark_document(page_b)
    expect_connected(page_b)
    expect(status(page_a)).to_have_attribute("data-state", "http", timeout=HTTP_FALLBACK)
    assert page_a.evaluate("window.__blockedSockets") >= 1  # the blocked socket was tried
    # Bram sees that Anna is at the tafel, though she polls over HTTP.
    expect(page_b.locator("#kaart-presence")).to_contain_text("Anna de Vries", timeout=POLL)

    add_haal(page_a, "Politie", "Zicht op wie de panden huurt")
    expect(haal(page_b, "Politie", "Zicht op wie de panden huurt")).to_be_visible(timeout=LIVE)
    expect(haal(page_a, "Politie", "Zicht op wie de panden huurt")).to_be_visible(timeout=LIVE)

    add_haal(page_b, "Gemeente", "Ondernemers die melden wat ze zien")
    expect(haal(page_a, "Gemeente", "Ondernemers die melden wat ze zien")).to_be_visible(
        timeout=POLL
    )

    # The facilitator locks the sessie (in this process: its bell reaches no socket on the
    # embedded default; the journey locks through the control room). That is no change of the
    # kaart itself, yet the page that polls shows it read-only, and editable again after.
    from sessions import services
    from sessions.models import Sessie

    read_only = page_a.get_by_text("The kaart is read-only for you at the moment.")
    add_summary = partij_block(page_a, "Politie").locator("details.add > summary").first
    with django_sync():
        sessie = Sessie.objects.get(state="open")
        services.sessie_set_locked(sessie=sessie, locked=True)
    expect(read_only).to_be_visible(timeout=POLL)
    expect(add_summary).to_be_hidden()
    with django_sync():
        services.sessie_set_locked(sessie=sessie, locked=False)
    expect(read_only).to_be_hidden(timeout=POLL)
    expect(add_summary).to_be_visible()

    expect(status(page_a)).to_have_attribute("data-state", "http")
    assert_same_document(page_a)
    assert_same_document(page_b)


def test_without_websockets_an_edit_is_sent_over_http(join_link, new_context):
    context_a, context_b = new_context(), new_context()
    context_a.add_init_script(BLOCK_WEBSOCKETS)
    page_a = join(context_a, join_link, "Anna de Vries", "Politie")
    page_b = join(context_b, join_link, "Bram Jansen", "Gemeente")
    mark_document(page_a)
    expect_connected(page_b)
    expect(status(page_a)).to_have_attribute("data-state", "http", timeout=HTTP_FALLBACK)
    pk = add_haal_seen_by_both(page_a, page_b, "Zicht op wie de panden huurt")

    # An edit form carries a field named "id": the form's own id must still reach the server,
    # so that the answer clears and closes this form.
    edit_bijdrage(page_a, pk, "Zicht op wie de panden huurt en van wie")

    expect(bijdrage_text(page_b, pk)).to_have_text(
        "Zicht op wie de panden huurt en van wie", timeout=LIVE
    )
    expect(page_a.locator(f"#bijdrage-{pk} details.edit")).not_to_have_attribute("open", "")
    expect(bijdrage_text(page_a, pk)).to_have_text(
        "Zicht op wie de panden huurt en van wie", timeout=LIVE
    )
    assert_same_document(page_a)


def test_a_stale_edit_is_refused_and_shows_the_other_text(two_at_one_tafel):
    _context_a, page_a, _context_b, page_b = two_at_one_tafel
    original = "Snel weten welke panden leegstaan"
    pk = add_haal_seen_by_both(page_a, page_b, original)
    conflict = page_b.locator(f"#form-bijdrage-{pk}-conflict")
    version_b = page_b.locator(f"#form-bijdrage-{pk}-version")

    form_a = open_edit(page_a, pk)
    form_b = open_edit(page_b, pk)
    textarea_b = form_b.get_by_label("Text", exact=True)
    expect(textarea_b).to_have_value(original)
    # Bram starts typing his version before Anna saves hers.
    textarea_b.fill("B's text")
    stale_version = version_b.input_value()

    form_a.get_by_label("Text", exact=True).fill("A's text")
    form_a.get_by_role("button", name="Save").click()
    expect(bijdrage_text(page_a, pk)).to_have_text("A's text", timeout=LIVE)

    # Bram's form is not swapped away under him: his text and the old version stay.
    expect(textarea_b).to_have_value("B's text")
    expect(version_b).to_have_value(stale_version)
    form_b.get_by_role("button", name="Save").click()

    expect(conflict).to_contain_text("A's text", timeout=LIVE)
    expect(conflict.locator("blockquote")).to_have_text("A's text")
    # The item above his form shows what it holds now, as the box says.
    expect(bijdrage_text(page_b, pk)).to_have_text("A's text")
    expect(textarea_b).to_be_visible()
    expect(textarea_b).to_have_value("B's text")
    # His form now carries the version he has seen, so saving again is a deliberate overwrite.
    expect(version_b).not_to_have_value(stale_version)
    # Nothing was overwritten.
    expect(bijdrage_text(page_a, pk)).to_have_text("A's text")

    # Having seen Anna's text, Bram saves his own on purpose.
    form_b.get_by_role("button", name="Save").click()

    expect(bijdrage_text(page_a, pk)).to_have_text("B's text", timeout=LIVE)
    expect(bijdrage_text(page_b, pk)).to_have_text("B's text", timeout=LIVE)
    # The conflict is over: no conflict box anywhere, and the edit form opens fresh again.
    expect(page_b.locator(".conflict")).to_have_count(0)
    expect(open_edit(page_b, pk).get_by_label("Text", exact=True)).to_have_value("B's text")
    expect(page_b.locator(".conflict")).to_have_count(0)
    assert_same_document(page_a)
    assert_same_document(page_b)
