"""Seed the benchmark database through the app's own services; print the tafels as JSON.

Run by bench/load.py in a child process with the app's environment (DATABASE_URL, ...):

    python bench/seed.py --tafels 200 --per-sessie 10 --clients 5

Every sessie is open and has its own opgave with `clients` partijen; every tafel gets one
participant of each partij (joined with services.deelnemer_join, like the join page does), and
each participant a Django session, the cookie the websocket authenticates with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "halenbrengen.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tafels", type=int, required=True)
    parser.add_argument("--per-sessie", type=int, default=10)
    parser.add_argument("--clients", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore

    from sessions import access, services
    from sessions.models import Sessie, Team

    team, _created = Team.objects.get_or_create(name="Bench")
    tafels = []
    remaining = args.tafels
    number = 0
    while remaining > 0:
        number += 1
        count = min(args.per_sessie, remaining)
        remaining -= count
        opgave = services.opgave_create(
            team=team,
            title=f"Bench opgave {number}",
            verbindende_vraag="Wat maakt een bedrijventerrein aantrekkelijk voor het goede?",
        )
        partijen = [
            services.partij_add(opgave=opgave, name=f"Partij {i + 1}") for i in range(args.clients)
        ]
        sessie = services.sessie_create(
            opgave=opgave, title=f"Bench sessie {number}", state=Sessie.State.OPEN, tafels=count
        )
        seats: dict[int, list[dict]] = {t.pk: [] for t in sessie.tafels.order_by("nummer")}
        # deelnemer_join seats a participant at the tafel with the fewest: partij by partij,
        # every tafel gets one of each.
        for partij in partijen:
            for seat in range(count):
                deelnemer = services.deelnemer_join(
                    sessie=sessie, name=f"{partij.name} {seat + 1}", partij=partij
                )
                session = SessionStore()
                access.remember_deelnemer(session, deelnemer)
                session.create()
                seats[deelnemer.tafel_id].append(
                    {"session": session.session_key, "partij": partij.pk, "deelnemer": deelnemer.pk}
                )
        for tafel_id, clients in seats.items():
            tafels.append({"id": tafel_id, "sessie": sessie.pk, "clients": clients})
    json.dump({"tafels": tafels}, sys.stdout)


if __name__ == "__main__":
    main()
