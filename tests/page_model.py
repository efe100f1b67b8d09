"""A kaart page as kaart.js keeps it, in Python: for protocol tests that must end where a real
page ends.

It applies what the server pushes the way htmx does (an element replaces the one with its id,
or with `outerHTML:#id` that one; `beforeend:#id` appends; `innerHTML` fills; `delete` takes
out; the swap instruction is dropped), and it does what kaart.js adds (docs/protocol.md):
a push whose data-prev is not the page's number is not applied and the whole card is asked
for; a pong with a higher number than the page's does the same; every change carries a nonce
and stays in flight until its answer names it, and what is in flight is sent again on a new
socket or at a heartbeat.
"""

from __future__ import annotations

import itertools
import json
import re

from bs4 import BeautifulSoup

_nonces = itertools.count(1)

# The regions that are the kaart's content (presence depends on who is connected when).
CONTENT_REGIONS = [
    "kaart-stap",
    "kaart-opgave",
    "kaart-partijen",
    "kaart-ontbrekend",
    "kaart-koppelingen",
    "kaart-vervolgstappen",
    "kaart-inzicht",
    "kaart-seq",
]


def canonical(html: str) -> str:
    """HTML with whitespace between tags removed and runs of whitespace as one space, and
    without the push's data-prev, the whole card's count of its sessie's changes (for a page
    that polls; a push of one change leaves it out) and the swap instructions (htmx drops them
    when it swaps): two renders of the same content compare equal."""
    text = re.sub(
        r' (data-prev="\d+"|data-sessie="\d+"|hx-swap-oob="[^"]*")', "", " ".join(html.split())
    )
    return re.sub(r">\s+<", "><", text)


class PageModel:
    def __init__(self, page_html: str, tafel_id: int):
        self.tafel_id = tafel_id
        kaart = BeautifulSoup(page_html, "html.parser").find(id="kaart")
        assert kaart is not None, "not a kaart page"
        self.doc = BeautifulSoup(str(kaart), "html.parser")
        self.inflight: dict[str, str] = {}  # nonce -> the message as sent
        self.sent: dict[str, dict] = {}  # nonce -> the change's fields, answered or not
        self.acked: set[str] = set()
        self.refused: set[str] = set()

    # What the page has -----------------------------------------------------------------

    @property
    def seq(self) -> int:
        return int(self.doc.find(id="kaart-seq")["data-seq"])

    def region(self, element_id: str) -> str:
        element = self.doc.find(id=element_id)
        return canonical(str(element)) if element is not None else ""

    # What the page sends ---------------------------------------------------------------

    def change(self, **fields) -> str:
        """A change as ws-send sends it from a form, with its nonce; kept in flight."""
        nonce = f"model-{next(_nonces)}-{id(self):x}"
        body = json.dumps(
            {
                **{k: str(v) for k, v in fields.items()},
                "tafel": str(self.tafel_id),
                "nonce": nonce,
                "HEADERS": {"HX-Request": "true", "HX-Trigger": f"form-{nonce}"},
            }
        )
        self.inflight[nonce] = body
        self.sent[nonce] = fields
        return body

    def ping(self) -> str:
        return json.dumps({"action": "ping", "seq": self.seq})

    # What the page takes in ------------------------------------------------------------

    def apply(self, frame: str) -> list[str]:
        """Apply one frame; return what the page sends in answer (a request for the card)."""
        answers: list[str] = []
        for element in BeautifulSoup(frame, "html.parser").find_all(recursive=False):
            oob = element.get("hx-swap-oob", "true")
            if oob.startswith("beforeend:"):
                target = self.doc.find(id=oob.split("#", 1)[1])
                if target is not None:
                    for child in list(element.children):
                        target.append(child.extract())
                continue
            if oob.startswith("outerHTML:"):
                target = self.doc.find(id=oob.split("#", 1)[1])
                if target is not None:
                    target.replace_with(element)
                continue
            element_id = element.get("id")
            target = self.doc.find(id=element_id) if element_id else None
            if element_id == "kaart-seq":
                prev = element.get("data-prev")
                if prev is not None and int(prev) != self.seq:
                    answers.append(json.dumps({"action": "card"}))
                    continue
            if element_id == "kaart-ack":
                self._answered(element.get("data-nonce", ""), self.acked)
            if element_id == "kaart-alert" and element.get("data-nonce"):
                self._answered(element["data-nonce"], self.refused)
            if element_id == "kaart-pong" and int(element.get("data-seq", 0)) > self.seq:
                answers.append(json.dumps({"action": "card"}))
            if target is None:
                continue
            if oob == "delete":
                target.decompose()
                continue
            if oob == "innerHTML":
                target.clear()
                for child in list(element.children):
                    target.append(child.extract())
            else:
                target.replace_with(element)
        return answers

    def _answered(self, nonce: str, into: set[str]) -> None:
        if nonce in self.inflight:
            del self.inflight[nonce]
            into.add(nonce)
