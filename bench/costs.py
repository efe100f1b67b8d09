"""What one websocket message costs the server, measured in-process (no network, no Redis).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_halenbrengen python bench/costs.py

Runs the KaartConsumer's own sync steps (the bodies of its database_sync_to_async methods)
against a tafel of 5 participants that already holds 0, 4 or 12 bijdragen per partij, and
prints per step: median wall time, median CPU time of this process, SQL queries and bytes of
HTML. Use a throw-away database: it adds an opgave, a sessie and bijdragen. The channel layer
is the in-memory one, so broadcasts cost next to nothing here.

    python bench/costs.py --card 12,500

measures only the whole card (the page a participant opens, and what a socket is sent on
connect) on kaarten of 12 and 500 items: bytes, the largest websocket frame, CPU.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "halenbrengen.settings")
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-costs-only")

REPEAT = 40


def setup_django() -> None:
    import django

    django.setup()


def main() -> None:
    setup_django()
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from sessions import access, asyncdb, consumers, fragments, push, services
    from sessions.models import Sessie, Team
    from sessions.services import at_once

    def body(name):
        return consumers.KaartConsumer.__dict__[name].func

    team, _ = Team.objects.get_or_create(name="Bench costs")
    opgave = services.opgave_create(team=team, title=f"Costs {time.time()}")
    partijen = [services.partij_add(opgave=opgave, name=f"Partij {i}") for i in range(5)]
    sessie = services.sessie_create(opgave=opgave, title="Costs", state=Sessie.State.OPEN, tafels=1)
    tafel = sessie.tafels.get()
    sockets = []
    for partij in partijen:
        deelnemer = services.deelnemer_join(sessie=sessie, name=partij.name, partij=partij)
        session = SessionStore()
        access.remember_deelnemer(session, deelnemer)
        session.create()
        consumer = consumers.KaartConsumer()
        consumer.scope = {
            "user": AnonymousUser(),
            "session": SessionStore(session.session_key),
            "cookies": {},
            "headers": [],
        }
        consumer.tafel_id = tafel.pk
        consumer.language = "nl"
        consumer.channel_name = f"costs.{deelnemer.pk}"
        consumer.private = False
        consumer.last_seq = 0
        consumer.last_bell = float("-inf")
        consumer.me = None
        consumer.access, _sessie = body("_authorise")(consumer)
        sockets.append((consumer, deelnemer))
    for consumer, deelnemer in sockets:
        services.presence_join(
            tafel=tafel,
            channel_name=consumer.channel_name,
            actor=services.Actor(deelnemer=deelnemer),
            role="deelnemer",
        )

    def measure(label, func, size=False):
        walls, cpus, queries, sizes = [], [], [], []
        for _ in range(REPEAT):
            connection.queries_log.clear()  # it keeps 9000 at most
            with CaptureQueriesContext(connection) as captured:
                w, c = time.perf_counter(), time.process_time()
                result = func()
                walls.append(time.perf_counter() - w)
                cpus.append(time.process_time() - c)
            queries.append(len(captured.captured_queries))
            if size and isinstance(result, tuple):  # frames, seq, allowed
                sizes.append(sum(len(frame) for frame in result[0]))
            elif size and isinstance(result, str):
                sizes.append(len(result))
        print(
            f"  {label:<34} wall {statistics.median(walls) * 1000:6.2f} ms"
            f"  cpu {statistics.median(cpus) * 1000:6.2f} ms"
            f"  queries {statistics.median(queries):4.0f}"
            + (f"  html {statistics.median(sizes) / 1000:6.1f} kB" if sizes else ""),
            flush=True,
        )

    sender, sender_deelnemer = sockets[0]
    viewer, _viewer_deelnemer = sockets[1]
    apply_ = body("_apply")
    render_card = body("_render_card")
    render_each = body("_render_each")
    render_pictures = body("_render_pictures")
    heartbeat = body("_heartbeat")
    counter = iter(range(10**6))
    done = 0

    def one_round(per_partij: int) -> None:
        print(f"kaart with {per_partij} bijdragen per partij (5 partijen):", flush=True)
        partij = sender_deelnemer.partij

        def message():
            return {
                "action": "bijdrage_add",
                "tafel": str(tafel.pk),
                "partij": str(partij.pk),
                "soort": "haal",
                "tekst": f"Bench bijdrage {next(counter)}",
                "gewicht": "1",
                "HEADERS": {"HX-Trigger": f"form-haal-add-{partij.pk}"},
            }

        def add():
            return apply_(sender, message())

        loop = asyncio.new_event_loop()

        def add_in_loop():
            applied = loop.run_until_complete(sender._applied_in_loop(message()))
            assert applied is not None, "the one call took the ordinary way"
            return applied

        measure("apply bijdrage_add (the ordinary way)", add, size=True)
        if at_once.available():
            measure("apply bijdrage_add (one call, in loop)", add_in_loop, size=True)
            loop.run_until_complete(asyncdb.close())
        loop.close()
        # The measurement added REPEAT bijdragen of this partij; remove them again.
        from sessions.models import Bijdrage, KaartEvent

        last = KaartEvent.objects.filter(tafel=tafel).order_by("-seq").first()
        bijdrage = Bijdrage.objects.filter(tafel=tafel, partij=partij).order_by("-pk").first()
        event = {
            "seq": last.seq,
            "kind": "bijdrage_added",
            "data": {"id": bijdrage.pk, "partij": partij.pk, "version": 1},
        }
        # The pictures follow later (HB_PICTURE_DELAY): not in the change's own push.
        regions = [r for r in fragments.regions_for_event(event["kind"], event["data"])]
        regions = [r for r in regions if r != "inzicht"] + ["announce"]

        def flat(html):
            return "".join(piece for pieces in html.values() for piece in pieces)

        # Rendered once per process and audience (sessions/pushcache.py), not per socket.
        with translation.override("nl"):
            measure(
                "push rendered at commit (once)",
                lambda: "".join(
                    push.rendered(
                        kind=event["kind"],
                        data=event["data"],
                        seq=event["seq"],
                        actor_name="Bench",
                        item=bijdrage,
                    )["nl:edit"].values()
                ),
                True,
            )
        measure(
            "push for another audience (its row)",
            lambda: flat(render_each(viewer, regions, event)),
            True,
        )
        measure(
            "pictures (once per window)",
            lambda: render_pictures(viewer, ["inzicht"])["inzicht"],
            True,
        )
        with translation.override("nl"):
            from sessions import selectors

            allowed = viewer.access
            measure("  of which kaart_for", lambda: selectors.kaart_for(tafel.pk, allowed))
            measure(
                "  of which kaart_for + insight",
                lambda: selectors.kaart_for(tafel.pk, allowed).insight,
            )
            kaart = selectors.kaart_for(tafel.pk, allowed)
            kaart.insight  # noqa: B018 (loaded before the rendering is timed)
            measure(
                "  of which rendering",
                lambda: fragments.render_each(kaart, allowed, ["inzicht"])["inzicht"],
                size=True,
            )
        measure("whole card (connect, gap, ping)", lambda: render_card(viewer), True)
        measure("heartbeat ping (pong)", lambda: heartbeat(viewer, 0))
        measure(
            "presence, once per process and change",
            lambda: body("_render_presence")(viewer, ["presence"])["presence"],
            True,
        )
        Bijdrage.objects.filter(tafel=tafel, tekst__startswith="Bench bijdrage ").delete()

    for per_partij in (0, 4, 12):
        while done < per_partij:
            for _consumer, deelnemer in sockets:
                services.bijdrage_add(
                    tafel=tafel,
                    partij=deelnemer.partij,
                    soort="haal" if done % 2 else "breng",
                    tekst=f"Bijdrage {done} van {deelnemer.name}: ondernemers samen aan tafel",
                    actor=services.Actor(deelnemer=deelnemer),
                )
            done += 1
        one_round(per_partij)


def card(sizes: list[int]) -> None:
    """The whole card of a kaart of each size (bijdragen, koppelingen, vervolgstappen mixed as
    in a real sessie), as a participant's page and as a socket's first frames."""
    setup_django()
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client
    from django.utils import translation

    from sessions import access, consumers, services
    from sessions.models import Sessie, Team

    team, _ = Team.objects.get_or_create(name="Bench costs")
    for size in sizes:
        opgave = services.opgave_create(
            team=team, title=f"Card {size} {time.time()}", formulering="Een veilig terrein."
        )
        partijen = [services.partij_add(opgave=opgave, name=f"Partij {i}") for i in range(5)]
        sessie = services.sessie_create(
            opgave=opgave, title="Card", state=Sessie.State.OPEN, tafels=1
        )
        tafel = sessie.tafels.get()
        people = [
            services.deelnemer_join(sessie=sessie, name=f"Deelnemer {p.name}", partij=p)
            for p in partijen
        ]
        # A real mix: 80 % bijdragen, 15 % koppelingen, 5 % vervolgstappen.
        n_stappen, n_koppelingen = size * 5 // 100, size * 15 // 100
        n_bijdragen = size - n_stappen - n_koppelingen
        halen, brengen = [], []
        for i in range(n_bijdragen):
            who = people[i % 5]
            soort = "haal" if i % 2 else "breng"
            bijdrage = services.bijdrage_add(
                tafel=tafel,
                partij=who.partij,
                soort=soort,
                tekst=f"Bijdrage {i}: ondernemers en handhaving samen aan tafel voor het terrein",
                gewicht=1 + i % 3,
                vertrouwelijk=i % 17 == 0,
                actor=services.Actor(deelnemer=who),
            )
            (halen if soort == "haal" else brengen).append(bijdrage)
        made = 0
        for haal in halen:
            for breng in brengen:
                if made == n_koppelingen:
                    break
                if haal.partij_id != breng.partij_id and not (
                    haal.vertrouwelijk or breng.vertrouwelijk
                ):
                    services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=breng.pk)
                    made += 1
        for i in range(n_stappen):
            services.vervolgstap_add(
                tafel=tafel,
                title=f"Vervolgstap {i}",
                eigenaar=partijen[i % 5],
                partijen=partijen[:2],
            )
        items = tafel.bijdragen.count() + tafel.koppelingen.count() + tafel.vervolgstappen.count()
        viewer = people[1]
        session = SessionStore()
        access.remember_deelnemer(session, viewer)
        session.create()
        client = Client()
        client.cookies["sessionid"] = session.session_key
        consumer = consumers.KaartConsumer()
        consumer.scope = {"user": AnonymousUser(), "session": SessionStore(session.session_key)}
        consumer.tafel_id, consumer.language = tafel.pk, "nl"
        consumer.private, consumer.last_seq = False, 0

        def page(client=client, tafel=tafel):
            response = client.get(
                f"/tafels/{tafel.pk}/",
                HTTP_ACCEPT_LANGUAGE="nl",
                HTTP_HOST="localhost",
                secure=True,
            )
            assert response.status_code == 200, response.status_code
            return response.content

        def frames(consumer=consumer):
            with translation.override("nl"):
                return consumers.KaartConsumer.__dict__["_render_card"].func(consumer)[0]

        print(f"kaart with {items} items (5 partijen):", flush=True)
        for label, func in (("page (participant)", page), ("card frames (socket)", frames)):
            cpus, sizes, largest = [], [], []
            for _ in range(max(3, REPEAT // 8)):
                c = time.process_time()
                result = func()
                cpus.append(time.process_time() - c)
                parts = result if isinstance(result, list) else [result]
                sizes.append(sum(len(p.encode() if isinstance(p, str) else p) for p in parts))
                largest.append(max(len(p.encode() if isinstance(p, str) else p) for p in parts))
            print(
                f"  {label:<24} cpu {statistics.median(cpus) * 1000:7.1f} ms"
                f"  html {statistics.median(sizes) / 1000:7.1f} kB"
                f"  largest frame {max(largest) / 1000:6.1f} kB",
                flush=True,
            )


def room(tafels: int = 10) -> None:
    """One draw of a control room (SessieConsumer): every tafel of a sessie of `tafels` tafels
    x 5 partijen with 12 bijdragen each changed in the window, as a facilitator sees it; the
    steps of the draw one by one."""
    setup_django()
    from django.contrib.auth import get_user_model
    from django.utils import translation

    from sessions import access, consumers, selectors, services
    from sessions.models import Membership, Sessie, Team

    team, _ = Team.objects.get_or_create(name="Bench costs")
    user, _ = get_user_model().objects.get_or_create(username="bench-room")
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": "facilitator"})
    opgave = services.opgave_create(team=team, title=f"Room {time.time()}")
    partijen = [services.partij_add(opgave=opgave, name=f"Partij {i}") for i in range(5)]
    sessie = services.sessie_create(
        opgave=opgave, title="Room", state=Sessie.State.OPEN, tafels=tafels
    )
    ids = []
    for tafel in sessie.tafels.filter(plenair=False):
        ids.append(tafel.pk)
        for i in range(12 * 5):
            services.bijdrage_add(
                tafel=tafel,
                partij=partijen[i % 5],
                soort="haal" if i % 2 else "breng",
                tekst=f"Bijdrage {i}: ondernemers en handhaving samen aan tafel",
            )
    consumer = consumers.SessieConsumer()
    consumer.scope = {"user": user, "session": None, "cookies": {}, "headers": []}
    consumer.sessie_id, consumer.plenair, consumer.language = sessie.pk, False, "nl"
    allowed = access.team_access(access.sessie_role(user, sessie.pk))
    render_tafels = consumers.SessieConsumer.__dict__["_render_tafels"].func

    def timed(label, func, html=False):
        cpus = []
        for _ in range(REPEAT):
            c = time.process_time()
            result = func()
            cpus.append(time.process_time() - c)
        size = f"  html {len(result) / 1000:6.1f} kB" if html else ""
        print(f"  {label:<34} cpu {statistics.median(cpus) * 1000:6.2f} ms{size}", flush=True)

    print(f"control room draw, {len(ids)} tafels due (facilitator):", flush=True)
    with translation.override("nl"):
        timed("access looked up", lambda: access.sessie_role(user, sessie.pk))
        timed(
            "lines (render_tafels)", lambda: render_tafels(consumer, ids, allowed)["tafels"], True
        )
        timed("  of which their rows", lambda: selectors.tafel_overviews(sessie.pk, allowed, ids))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--card":
        card([int(n) for n in sys.argv[2].split(",")])
    elif len(sys.argv) == 2 and sys.argv[1] == "--room":
        room()
    else:
        main()
