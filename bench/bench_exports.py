#!/usr/bin/env python
"""Time every export format of a large opgave: 50 sessies x 500 bijdragen by default.

    python bench/bench_exports.py [--sessies 50] [--bijdragen 500] [--database-url URL]

Builds the opgave in a fresh database (a new SQLite file in a temporary directory unless
--database-url is given; the set-up uses bulk_create, not the services, to be quick), then
loads the opgave's summary and renders each format from it, and does the same for one sessie;
each is run --repeat times (default 3) and the fastest run counts, so that a busy machine
does not decide the outcome. Times are this process's CPU time (wall time beside it): on a
shared machine the wall time also counts other people's work. Prints one line per format with
its time and the target (JSON and XLSX under 3 s, PDF under 15 s, each including the summary
it is made from), and exits 1 when a target is missed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"json": 3.0, "xlsx": 3.0, "pdf": 15.0}
PARTIJEN = [
    ("Gemeente", "publiek", "aan_tafel"),
    ("Politie", "publiek", "aan_tafel"),
    ("Omgevingsdienst", "publiek", "aan_tafel"),
    ("Belastingdienst", "publiek", "aan_tafel"),
    ("Expertisecentrum Ondermijning", "publiek", "aan_tafel"),
    ("Woningcorporatie", "privaat", "aan_tafel"),
    ("Bewonersgroep", "particulier", "aan_tafel"),
    ("Brandweer", "publiek", "aan_tafel"),
    ("Openbaar Ministerie", "publiek", "ontbreekt"),
    ("Ondernemers op de bedrijventerreinen", "privaat", "ontbreekt"),
]
WORDS_TEXT = (
    "veiligheid leefbaarheid toezicht controle ondernemers terrein vergunning signalen "
    "informatie overlast aanpak coördinatie kennis netwerk budget capaciteit bewoners "
    "vastgoed handhaving preventie samenwerking monitoring gebied wijk ondermijning"
)
WORDS = WORDS_TEXT.split()


def sentence(rnd: random.Random, low: int = 6, high: int = 16) -> str:
    words = [rnd.choice(WORDS) for _ in range(rnd.randint(low, high))]
    return " ".join(words).capitalize()


def build(sessies: int, per_sessie: int, seed: int = 5):
    """The opgave, written in bulk: two tafels per sessie, koppelingen and vervolgstappen."""
    from django.utils import timezone

    from sessions.models import (
        Bijdrage,
        Deelnemer,
        Koppeling,
        Opgave,
        OpgaveVersie,
        Partij,
        Perspectief,
        Sessie,
        Tafel,
        Team,
        Vervolgstap,
    )

    rnd = random.Random(seed)
    team = Team.objects.create(name=f"Bench exports {timezone.now().isoformat()}")
    opgave = Opgave.objects.create(team=team, title="Bedrijventerreinen (benchmark)")
    partijen = Partij.objects.bulk_create(
        Partij(opgave=opgave, name=name, wereld=wereld, status=status)
        for name, wereld, status in PARTIJEN
    )
    at_table = [p for p in partijen if p.status == "aan_tafel"]
    sessie_objs = Sessie.objects.bulk_create(
        Sessie(opgave=opgave, title=f"Sessie {i + 1}", state="gesloten", stap=3)
        for i in range(sessies)
    )
    tafels = Tafel.objects.bulk_create(
        Tafel(sessie=s, nummer=n) for s in sessie_objs for n in (1, 2)
    )
    versies = []
    for veld in ("formulering", "ambitie", "verbindende_vraag"):
        for nummer in range(1, 4):
            versies.append(
                OpgaveVersie(
                    opgave=opgave,
                    veld=veld,
                    nummer=nummer,
                    tekst=sentence(rnd, 12, 30),
                    sessie=sessie_objs[min(len(sessie_objs) - 1, (nummer - 1) * 10)],
                    author_name="Bench",
                )
            )
    OpgaveVersie.objects.bulk_create(versies)
    Deelnemer.objects.bulk_create(
        Deelnemer(sessie=t.sessie, tafel=t, partij=p, name=f"{p.name} {t.pk}", link_generation=1)
        for t in tafels
        for p in rnd.sample(at_table, 4)
    )
    Perspectief.objects.bulk_create(
        Perspectief(
            tafel=t, partij=p, tekst=sentence(rnd), urgentie=rnd.randint(1, 5), revealed=True
        )
        for t in tafels
        for p in at_table
    )
    bijdragen = []
    for t in tafels:
        for i in range(per_sessie // 2):
            breng = i % 2 == 1
            bijdragen.append(
                Bijdrage(
                    tafel=t,
                    partij=rnd.choice(at_table),
                    soort="breng" if breng else "haal",
                    tekst=sentence(rnd),
                    gewicht=rnd.randint(1, 3),
                    breng_soort=rnd.choice(["mensen_tijd", "geld", "kennis_data"]) if breng else "",
                    toezegging=rnd.choice(["toegezegd", "mogelijk"]) if breng else "",
                    vertrouwelijk=i % 50 == 7,
                    position=i,
                )
            )
    bijdragen = Bijdrage.objects.bulk_create(bijdragen, batch_size=2000)
    koppelingen = []
    by_tafel: dict[int, list] = {}
    for b in bijdragen:
        by_tafel.setdefault(b.tafel_id, []).append(b)
    for items in by_tafel.values():
        halen = [b for b in items if b.soort == "haal"]
        brengen = [b for b in items if b.soort == "breng"]
        for haal, breng in list(zip(halen, brengen, strict=False))[:40]:
            if haal.partij_id != breng.partij_id:
                koppelingen.append(Koppeling(tafel_id=haal.tafel_id, haal=haal, breng=breng))
    Koppeling.objects.bulk_create(koppelingen, batch_size=2000)
    stappen = Vervolgstap.objects.bulk_create(
        Vervolgstap(
            tafel=t,
            title=sentence(rnd, 4, 9),
            eigenaar=rnd.choice(at_table),
            datum=datetime.date(2026, 1, 1) + datetime.timedelta(days=rnd.randint(0, 300)),
            position=i,
        )
        for t in tafels
        for i in range(5)
    )
    through = Vervolgstap.partijen.through
    through.objects.bulk_create(
        through(vervolgstap=stap, partij=p)
        for stap in stappen
        for p in rnd.sample([p for p in partijen if p.pk != stap.eigenaar_id], 2)
    )
    return opgave, sessie_objs, len(bijdragen), len(koppelingen)


class Took:
    """Wall time and this process's CPU time; compared by CPU time (see the module doc)."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    def __lt__(self, other: Took) -> bool:
        return self.cpu < other.cpu

    def __add__(self, other: Took) -> Took:
        return Took(self.wall + other.wall, self.cpu + other.cpu)


def timed(function) -> tuple[object, Took]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, Took(time.perf_counter() - wall, time.process_time() - cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessies", type=int, default=50)
    parser.add_argument("--bijdragen", type=int, default=500, help="per sessie")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=3, help="runs per format; the fastest counts")
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="hb-bench-exports-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "halenbrengen.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse
    from django.utils import translation

    from sessions import exports, insight

    try:
        reverse("insight:opgave", args=[1])
    except NoReverseMatch:  # until halenbrengen/urls.py includes sessions.insight_urls
        settings.ROOT_URLCONF = "tests.insight_urlconf"

    call_command("migrate", verbosity=0)
    (opgave, sessies, n_bijdragen, n_koppelingen), seconds = timed(
        lambda: build(args.sessies, args.bijdragen)
    )
    print(
        f"opgave: {args.sessies} sessies x {args.bijdragen} bijdragen = {n_bijdragen} bijdragen, "
        f"{n_koppelingen} koppelingen, {len(PARTIJEN)} partijen "
        f"(built in {seconds.wall:.1f} s on {connection.vendor})"
    )
    failed = False
    with translation.override("nl"):
        for scope, load in (
            ("opgave", lambda: insight.summary_for_opgave(opgave.pk, complete=False)),
            ("sessie", lambda: insight.summary_for_sessie(sessies[0].pk, complete=False)),
        ):
            with CaptureQueriesContext(connection) as queries:
                summary, load_s = timed(load)
            for _run in range(args.repeat - 1):
                load_s = min(load_s, timed(load)[1])
            print(
                f"\n{scope}: summary (load + analysis) {load_s.cpu:.2f} s cpu "
                f"({load_s.wall:.2f} s wall), {len(queries)} queries"
            )
            print(
                f"  {'format':<6} {'render':>8} {'+summary':>9} {'(wall)':>8} {'size':>9}  target"
            )
            for fmt in exports.FORMATS:
                export, render_s = timed(
                    lambda fmt=fmt, summary=summary: exports.render(summary, fmt)
                )
                total = load_s + render_s
                target = TARGETS.get(fmt)
                verdict = ""
                if target is not None and scope == "opgave":
                    ok = total.cpu < target
                    failed |= not ok
                    verdict = f"< {target:.0f} s {'ok' if ok else 'MISSED'}"
                size = len(export.content) / 1024
                print(
                    f"  {fmt:<6} {render_s.cpu:7.2f}s {total.cpu:8.2f}s {total.wall:7.2f}s "
                    f"{size:7.0f} KB  {verdict}"
                )
    workdir.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
