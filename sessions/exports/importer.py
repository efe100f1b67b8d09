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
from pathlib import Path
from typing import Any

import jsonschema
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sessions import services
from sessions.models import Opgave, Team

SCHEMA_PATH = Path(__file__).with_name("export.schema.json")


@functools.cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def parse(raw: bytes | str | dict) -> dict[str, Any]:
    """The document, checked against the schema and for references that point nowhere."""
    if isinstance(raw, dict):
        document = raw
    else:
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise ValidationError(_("This is not a JSON file."), code="invalid") from error
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
            [_("This file is not a Halen/Brengen export (version 1).")] + messages,
            code="schema",
        )
    _check_references(document)
    return document


def _check_references(document: dict[str, Any]) -> None:
    partijen = {p["id"] for p in document["partijen"]}
    sessies = {s["id"] for s in document["sessies"]}
    problems = []
    if len(partijen) != len(document["partijen"]):
        problems.append(_("Two partijen have the same id."))
    for versie in document["opgave"]["versies"]:
        if versie.get("sessie") is not None and versie["sessie"] not in sessies:
            problems.append(_("A version refers to a sessie that is not in the file."))
    for sessie in document["sessies"]:
        for tafel in sessie["tafels"]:
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
    """A new opgave in `team` with the partijen, sessies, kaarten and text versions of the
    document."""
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
        for s in data["sessies"]:
            sessie = services.sessie_create(
                opgave=opgave, title=s["title"], state=s["state"], tafels=0, actor=actor
            )
            if s["stap"] != sessie.stap:
                services.sessie_set_step(sessie=sessie, stap=s["stap"])
            sessies[s["id"]] = sessie
            for t in sorted(s["tafels"], key=lambda t: (t["plenair"], t["nummer"])):
                if t["plenair"]:
                    tafel = services.plenair_tafel(sessie=sessie)
                else:
                    tafel = services.tafel_add(sessie=sessie, name=t.get("name", ""))
                _fill_kaart(tafel, t, partijen, actor)
        for v in sorted(data["opgave"]["versies"], key=lambda v: (v["veld"], v["nummer"])):
            services.opgave_text_set(
                opgave=opgave,
                veld=v["veld"],
                tekst=v["tekst"],
                sessie=sessies.get(v.get("sessie")),
                actor=actor,
            )
    return opgave


def _fill_kaart(tafel, data: dict[str, Any], partijen: dict, actor: services.Actor) -> None:
    # Revealed perspectieven first, then reveal them, then the private ones: revealing is
    # per tafel, all at once.
    revealed = [p for p in data["perspectieven"] if p.get("revealed", True)]
    private = [p for p in data["perspectieven"] if not p.get("revealed", True)]
    for p in revealed:
        services.perspectief_set(
            tafel=tafel,
            partij=partijen[p["partij"]],
            tekst=p["tekst"],
            urgentie=p["urgentie"],
            actor=actor,
        )
    if revealed:
        services.perspectieven_reveal(tafel=tafel, actor=actor)
    for p in private:
        services.perspectief_set(
            tafel=tafel,
            partij=partijen[p["partij"]],
            tekst=p["tekst"],
            urgentie=p["urgentie"],
            actor=actor,
        )
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
    for k in data["koppelingen"]:
        services.koppeling_add(
            tafel=tafel,
            haal_id=bijdragen[k["haal"]].pk,
            breng_id=bijdragen[k["breng"]].pk,
            actor=actor,
        )
    for v in sorted(data["vervolgstappen"], key=lambda v: v.get("position", 0)):
        services.vervolgstap_add(
            tafel=tafel,
            title=v["title"],
            eigenaar=partijen[v["eigenaar"]],
            partijen=[partijen[pk] for pk in v.get("partijen", [])],
            datum=datetime.date.fromisoformat(v["datum"]) if v.get("datum") else None,
            actor=actor,
        )
