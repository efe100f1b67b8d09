"""Seed the benchmark database through the app's own services; print the tafels and rooms as JSON.

Run by bench/load.py in a child process with the app's environment (DATABASE_URL, ...):

    python bench/seed.py --tafels 200 --per-sessie 10 --clients 5
    python bench/seed.py --step 2 --sessies 3,4

Every sessie is open and has its own opgave with `clients` partijen; every tafel gets one
participant of each partij (joined with services.deelnemer_join, like the join page does), and
each participant a Django session, the cookie the websocket authenticates with. One facilitator
of the team gets a logged-in Django session too, for the sessies' control rooms: the JSON holds
`tafels` and `rooms` (one per sessie).

With `--step` it seeds nothing: it moves the given sessies to that step through the app's
service (the bell goes out on the app's channel layer) and prints the wall-clock time of each
commit as JSON, `{"<sessie id>": time.time(), ...}`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "halenbrengen.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tafels", type=int)
    parser.add_argument("--per-sessie", type=int, default=10)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--step", type=int, help="instead of seeding: set the sessies' step")
    parser.add_argument("--sessies", default="", help="with --step: sessie ids, comma-separated")
    args = parser.parse_args()
    if args.step is None and args.tafels is None:
        parser.error("either --tafels or --step (with --sessies) is required")

    import django

    django.setup()
    if args.step is not None:
        sessie_ids = [int(pk) for pk in args.sessies.split(",") if pk]
        json.dump(change_step(args.step, sessie_ids), sys.stdout)
        return
    from sessions.models import Team

    team, _created = Team.objects.get_or_create(name="Bench")
    tafels = seed_tafels(team, args.tafels, args.per_sessie, args.clients)
    session = facilitator_session(team)
    sessie_ids = sorted({tafel["sessie"] for tafel in tafels})
    rooms = [{"sessie": pk, "session": session} for pk in sessie_ids]
    json.dump({"tafels": tafels, "rooms": rooms}, sys.stdout)


def seed_tafels(team, total: int, per_sessie: int, clients: int) -> list[dict]:
    """Sessies of `per_sessie` tafels until there are `total`; every tafel with one seated
    participant of each of the `clients` partijen and their session keys."""
    from django.contrib.sessions.backends.db import SessionStore

    from sessions import access, services
    from sessions.models import Sessie

    tafels = []
    remaining = total
    number = 0
    while remaining > 0:
        number += 1
        count = min(per_sessie, remaining)
        remaining -= count
        opgave = services.opgave_create(
            team=team,
            title=f"Bench opgave {number}",
            verbindende_vraag="Wat maakt een bedrijventerrein aantrekkelijk voor het goede?",
        )
        partijen = [
            services.partij_add(opgave=opgave, name=f"Partij {i + 1}") for i in range(clients)
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
        for tafel_id, seated in seats.items():
            tafels.append({"id": tafel_id, "sessie": sessie.pk, "clients": seated})
    return tafels


def facilitator_session(team) -> str:
    """The session key of a facilitator of `team` (an account without a usable password),
    logged in the way django.contrib.auth.login leaves a session."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from sessions.models import Membership

    user = User.objects.create_user(username="bench-facilitator")
    Membership.objects.create(team=team, user=user, role=Membership.Role.FACILITATOR)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def change_step(stap: int, sessie_ids: list[int]) -> dict[int, float]:
    """Set these sessies' step through the app's service, one transaction each (as the
    control room's step button does); the wall-clock time of each commit."""
    from django.db import transaction

    from sessions import services
    from sessions.models import Sessie

    committed: dict[int, float] = {}
    for pk in sessie_ids:
        with transaction.atomic():
            # Registered before the service's bell, so it runs first: right after COMMIT.
            transaction.on_commit(lambda pk=pk: committed.update({pk: time.time()}))
            services.sessie_set_step(sessie=Sessie.objects.get(pk=pk), stap=stap)
    return committed


if __name__ == "__main__":
    main()
