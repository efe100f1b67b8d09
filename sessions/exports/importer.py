"""Start a new opgave from a JSON export (docs/export-schema.md), through the services only.

Everything happens in one transaction: a document that fails anywhere leaves nothing behind.
What the services cannot write is not carried over: authors and times (the importer is the
author now), perspectieven marked vertrouwelijk (imported as ordinary, unrevealed ones: only
a facilitator sees them), and tafel numbers (renumbered from 1).
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sessions import services
from sessions.models import Opgave, Team, Vervolgstap

SCHEMA_PATH = Path(__file__).with_name("export.schema.json")

# What one import takes; kaarten also hold at most settings.HB_MAX_ITEMS_PER_KAART items, as
# in the live tool. Checked right after parsing, before the schema and before any write.
MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 32  # an export nests about 9 deep
MAX_PARTIJEN = 200
MAX_SESSIES = 50
MAX_TAFELS_PER_SESSIE = 100
MAX_VERSIES = 1000
MAX_ITEMS = 5000  # bijdragen, koppelingen, vervolgstappen and perspectieven of all kaarten

# A JSON string, as json.loads reads it: quotes, and anything escaped.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(rb"[^\[\]{}]+")


# Text PostgreSQL cannot store: NUL, and surrogates without their pair (json.loads pairs the
# others, so any surrogate left in a parsed string is a lone one).
@functools.cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def parse(raw: bytes | str | dict) -> dict[str, Any]:
    """The document, checked for size, against the schema and for references that point
    nowhere."""
    if isinstance(raw, dict):
        document = raw
    else:
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        if len(raw) > MAX_BYTES:
            raise ValidationError(
                _("The file is too large (at most %(mb)d MB).")
                % {"mb": MAX_BYTES // (1024 * 1024)},
                code="too_large",
            )
        if _nesting(raw) > MAX_DEPTH:
            raise ValidationError(_("This file is nested too deeply to be an export."), code="deep")
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            raise ValidationError(_("This is not a JSON file."), code="invalid") from error
    _check_storable(document)
    _check_size(document)
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        messages = [
            _("%(where)s: %(problem)s")
            % {"where": "/".join(str(p) for p in e.absolute_path) or "/", "problem": e.message}
            for e in errors[:5]
        ]
        raise ValidationError(
            [_("This file is not a Halen/Brengen export (version 1 or 2).")] + messages,
            code="schema",
        )
    _check_references(document)
    return document


def _nesting(raw: bytes) -> int:
    """How deep the brackets of a JSON text nest, outside its strings: counted on the bytes,
    before json.loads (which recurses once per level)."""
    brackets = _NOT_A_BRACKET.sub(b"", _JSON_STRING.sub(b"", raw))
    depth = deepest = 0
    for bracket in brackets:
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _check_storable(document: Any) -> None:
    """Refuse text the database cannot store, anywhere in the document (keys too)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not services.is_valid_text(value):
                raise ValidationError(
                    _(
                        "This file contains characters that cannot be stored "
                        "(a lone surrogate or a NUL)."
                    ),
                    code="unstorable",
                )
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _list(value: Any, key: str) -> list:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, list) else []


def _check_size(document: Any) -> None:
    """Refuse a document larger than the product takes, counted before any other work (what
    is not there, or of the wrong kind, counts as nothing: the schema finds it next)."""
    problems = []
    partijen = _list(document, "partijen")
    sessies = _list(document, "sessies")
    opgave = document.get("opgave") if isinstance(document, dict) else None
    versies = _list(opgave, "versies") + _list(opgave, "kernboodschappen")
    if len(partijen) > MAX_PARTIJEN:
        problems.append(
            _("This file has %(count)d partijen; an import takes at most %(limit)d.")
            % {"count": len(partijen), "limit": MAX_PARTIJEN}
        )
    if len(sessies) > MAX_SESSIES:
        problems.append(
            _("This file has %(count)d sessies; an import takes at most %(limit)d.")
            % {"count": len(sessies), "limit": MAX_SESSIES}
        )
    if len(versies) > MAX_VERSIES:
        problems.append(
            _("This file has %(count)d text versions; an import takes at most %(limit)d.")
            % {"count": len(versies), "limit": MAX_VERSIES}
        )
    per_kaart = settings.HB_MAX_ITEMS_PER_KAART
    total = 0
    for sessie in sessies:
        tafels = _list(sessie, "tafels")
        if len(tafels) > MAX_TAFELS_PER_SESSIE:
            problems.append(
                _("A sessie in this file has %(count)d tafels; an import takes at most %(limit)d.")
                % {"count": len(tafels), "limit": MAX_TAFELS_PER_SESSIE}
            )
        for tafel in tafels:
            items = sum(
                len(_list(tafel, k)) for k in ("bijdragen", "koppelingen", "vervolgstappen")
            )
            if items > per_kaart:
                problems.append(
                    _("A kaart in this file has %(count)d items; a kaart holds at most %(limit)d.")
                    % {"count": items, "limit": per_kaart}
                )
            total += items + len(_list(tafel, "perspectieven"))
    if total > MAX_ITEMS:
        problems.append(
            _("This file has %(count)d items on its kaarten; an import takes at most %(limit)d.")
            % {"count": total, "limit": MAX_ITEMS}
        )
    if problems:
        raise ValidationError(problems, code="too_large")


def _check_references(document: dict[str, Any]) -> None:
    partijen = {p["id"] for p in document["partijen"]}
    sessies = {s["id"] for s in document["sessies"]}
    problems = []
    if len(partijen) != len(document["partijen"]):
        problems.append(_("Two partijen have the same id."))
    for versie in document["opgave"]["versies"] + document["opgave"].get("kernboodschappen", []):
        if versie.get("sessie") is not None and versie["sessie"] not in sessies:
            problems.append(_("A version refers to a sessie that is not in the file."))
    stappen = {
        stap.get("id")
        for sessie in document["sessies"]
        for tafel in sessie["tafels"]
        for stap in tafel["vervolgstappen"]
    }
    for sessie in document["sessies"]:
        for tafel in sessie["tafels"]:
            items = [tafel[key] for key in ("perspectieven", "bijdragen", "koppelingen")]
            items.append(tafel["vervolgstappen"])
            for item in (item for group in items for item in group):
                if item.get("herkomst") is not None and item["herkomst"] not in sessies:
                    problems.append(_("An item was carried from a sessie that is not in the file."))
            if tafel.get("werkgroep") is not None and tafel["werkgroep"] not in stappen:
                problems.append(_("A werkgroep works out a vervolgstap that is not in the file."))
            for stap in tafel["vervolgstappen"]:
                if stap.get("voorganger") is not None and stap["voorganger"] not in stappen:
                    problems.append(
                        _("A vervolgstap continues a vervolgstap that is not in the file.")
                    )
            soort = {b["id"]: b["soort"] for b in tafel["bijdragen"]}
            referred = [p["partij"] for p in tafel["perspectieven"]]
            referred += [b["partij"] for b in tafel["bijdragen"]]
            for stap in tafel["vervolgstappen"]:
                referred += [stap["eigenaar"], *stap.get("partijen", [])]
            if not set(referred) <= partijen:
                problems.append(_("An item refers to a partij that is not in the file."))
            for k in tafel["koppelingen"]:
                if soort.get(k["haal"]) != "haal" or soort.get(k["breng"]) != "breng":
                    problems.append(
                        _("A koppeling must link a haal and a breng of the same tafel.")
                    )
    if problems:
        raise ValidationError(sorted(set(problems)), code="references")


def opgave_import(
    *,
    team: Team,
    document: bytes | str | dict,
    title: str = "",
    actor: services.Actor = services.SYSTEM,
) -> Opgave:
    """A new opgave in `team` with the partijen, sessies, kaarten, text versions and
    kernboodschappen of the document."""
    data = parse(document)
    with transaction.atomic():
        opgave = services.opgave_create(
            team=team, title=title.strip() or data["opgave"]["title"], actor=actor
        )
        partijen = {
            p["id"]: services.partij_add(
                opgave=opgave,
                name=p["name"],
                wereld=p["wereld"],
                status=p["status"],
                toelichting=p.get("toelichting", ""),
            )
            for p in data["partijen"]
        }
        sessies = {}
        written = []  # (the item made, its data): for where it was carried from
        werkgroepen = []  # (a werkgroep's tafel, the id of its vervolgstap in the document)
        for s in data["sessies"]:
            sessie = services.sessie_create(
                opgave=opgave, title=s["title"], state=s["state"], tafels=0, actor=actor
            )
            if s["stap"] != sessie.stap:
                services.sessie_set_step(sessie=sessie, stap=s["stap"])
            sessies[s["id"]] = sessie
            for t in sorted(s["tafels"], key=lambda t: t["nummer"]):  # numbered as they were
                if t["plenair"]:
                    tafel = services.plenair_tafel(sessie=sessie)
                else:
                    tafel = services.tafel_add(sessie=sessie, name=t.get("name", ""))
                written += _fill_kaart(tafel, t, partijen, actor)
                if t.get("werkgroep") is not None:
                    werkgroepen.append((tafel, t["werkgroep"]))
        for v in sorted(data["opgave"]["versies"], key=lambda v: (v["veld"], v["nummer"])):
            services.opgave_text_set(
                opgave=opgave,
                veld=v["veld"],
                tekst=v["tekst"],
                sessie=sessies.get(v.get("sessie")),
                actor=actor,
            )
        _provenance(written, sessies, werkgroepen)
        kernboodschappen = data["opgave"].get("kernboodschappen", [])  # since 2026-12
        for k in sorted(kernboodschappen, key=lambda k: (k.get("sessie") or 0, k["nummer"])):
            services.kernboodschap_set(
                opgave=opgave,
                sessie=sessies.get(k.get("sessie")),
                tekst=k["tekst"],
                actor=actor,
            )
    return opgave


def _provenance(written: list[tuple[Any, dict]], sessies: dict, werkgroepen: list) -> None:
    """Where the items came from (version 2): the sessie each was carried from, the
    vervolgstap each continues, and the one each werkgroep works out, among what was
    imported."""
    stappen = {
        data["id"]: item
        for item, data in written
        if isinstance(item, Vervolgstap) and data.get("id") is not None
    }
    services.provenance_set(
        herkomst=[
            (item, sessies[data["herkomst"]])
            for item, data in written
            if data.get("herkomst") is not None
        ],
        voorgangers=[
            (item, stappen[data["voorganger"]])
            for item, data in written
            if isinstance(item, Vervolgstap) and data.get("voorganger") in stappen
        ],
        werkgroepen=[(tafel, stappen[pk]) for tafel, pk in werkgroepen if pk in stappen],
    )


def _fill_kaart(
    tafel, data: dict[str, Any], partijen: dict, actor: services.Actor
) -> list[tuple[Any, dict]]:
    """The kaart's items, through the services, as a participant would have written them;
    the items made, with their data."""
    written = []
    # Revealed perspectieven first, then reveal them, then the private ones: revealing is
    # per tafel, all at once.
    revealed = [p for p in data["perspectieven"] if p.get("revealed", True)]
    private = [p for p in data["perspectieven"] if not p.get("revealed", True)]
    for p in revealed:
        perspectief = services.perspectief_set(
            tafel=tafel,
            partij=partijen[p["partij"]],
            tekst=p["tekst"],
            urgentie=p["urgentie"],
            actor=actor,
        )
        written.append((perspectief, p))
    if revealed:
        services.perspectieven_reveal(tafel=tafel, actor=actor)
    for p in private:
        perspectief = services.perspectief_set(
            tafel=tafel,
            partij=partijen[p["partij"]],
            tekst=p["tekst"],
            urgentie=p["urgentie"],
            actor=actor,
        )
        written.append((perspectief, p))
    bijdragen = {}
    order = sorted(data["bijdragen"], key=lambda b: (b["partij"], b["soort"], b.get("position", 0)))
    for b in order:
        bijdragen[b["id"]] = services.bijdrage_add(
            tafel=tafel,
            partij=partijen[b["partij"]],
            soort=b["soort"],
            tekst=b["tekst"],
            gewicht=b.get("gewicht", 1),
            breng_soort=b.get("breng_soort", ""),
            toezegging=b.get("toezegging", ""),
            vertrouwelijk=b.get("vertrouwelijk", False),
            actor=actor,
        )
        written.append((bijdragen[b["id"]], b))
    for k in data["koppelingen"]:
        koppeling = services.koppeling_add(
            tafel=tafel,
            haal_id=bijdragen[k["haal"]].pk,
            breng_id=bijdragen[k["breng"]].pk,
            actor=actor,
        )
        written.append((koppeling, k))
    for v in sorted(data["vervolgstappen"], key=lambda v: v.get("position", 0)):
        stap = services.vervolgstap_add(
            tafel=tafel,
            title=v["title"],
            eigenaar=partijen[v["eigenaar"]],
            partijen=[partijen[pk] for pk in v.get("partijen", [])],
            datum=datetime.date.fromisoformat(v["datum"]) if v.get("datum") else None,
            actor=actor,
        )
        written.append((stap, v))
        # Its follow-up, in order; a document with a status but no log sets the status.
        updates = v.get("updates") or (
            [{"status": v["status"]}] if v.get("status", "open") != "open" else []
        )
        for u in updates:
            services.vervolgstap_follow_up(
                opgave_id=tafel.sessie.opgave_id,
                vervolgstap_id=stap.pk,
                status=u["status"],
                tekst=u.get("tekst", ""),
                actor=actor,
            )
    return written
