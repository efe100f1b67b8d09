"""Create the practice story of DESIGN.md as a demo opgave. Safe to run again and again."""

from __future__ import annotations

import hashlib
import hmac
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from sessions import services
from sessions.models import Bijdrage, Membership, Opgave, Sessie, Team

TEAM_NAME = "Demo-team Ondermijning"
USERNAME = "facilitator"
OPGAVE_TITLE = (
    "Bedrijventerreinen: aantrekkelijk voor het goede, onaantrekkelijk voor het ondermijnende"
)
SESSIE_TITLE = "Sessie 1: halen en brengen"

PARTIJEN = [
    ("Gemeente", "publiek", "aan_tafel", ""),
    ("Politie", "publiek", "aan_tafel", ""),
    ("Omgevingsdienst", "publiek", "aan_tafel", ""),
    ("Belastingdienst", "publiek", "aan_tafel", ""),
    ("Expertisecentrum Ondermijning", "publiek", "aan_tafel", ""),
    ("Openbaar Ministerie", "publiek", "ontbreekt", "gebiedsofficier"),
    ("Ondernemers op de bedrijventerreinen", "privaat", "ontbreekt", ""),
]

PERSPECTIEVEN = {
    "Gemeente": (
        "Twee verloederde bedrijventerreinen waar illegale handel en drugs voet aan de grond "
        "hebben gekregen. Dat raakt de hele omgeving.",
        5,
    ),
    "Politie": (
        "Op de terreinen vestigen zich malafide bedrijven; ondermijning aanpakken is een van "
        "onze taken.",
        4,
    ),
    "Expertisecentrum Ondermijning": (
        "Een typisch voorbeeld van ondermijning die alleen samen aan te pakken is.",
        4,
    ),
}

# (partij, soort, tekst, gewicht, breng_soort, toezegging)
BIJDRAGEN = [
    (
        "Gemeente",
        "haal",
        "De bedrijventerreinen aantrekkelijker maken, zodat het gebied weer "
        "veilig en prettig wordt",
        2,
        "",
        "",
    ),
    ("Gemeente", "breng", "Coördinatie van de hele aanpak", 3, "mensen_tijd", "toegezegd"),
    ("Gemeente", "breng", "Monitoren hoe effectief de aanpak is", 2, "kennis_data", "toegezegd"),
    # Weights as in the story: the balance check found enough balance between the partijen.
    ("Politie", "haal", "De terreinen onaantrekkelijk maken voor malafide bedrijven", 2, "", ""),
    (
        "Politie",
        "breng",
        "Optreden bij de opsporing van strafbare feiten op en rond de terreinen",
        3,
        "bevoegdheden",
        "toegezegd",
    ),
    (
        "Politie",
        "breng",
        "Overlast voorkomen op en rond de bedrijventerreinen",
        2,
        "mensen_tijd",
        "toegezegd",
    ),
    (
        "Omgevingsdienst",
        "haal",
        "Zicht op welke bedrijven zich op de terreinen vestigen",
        1,
        "",
        "",
    ),
    (
        "Omgevingsdienst",
        "breng",
        "Controle op vergunningen en naleving van milieuregels",
        2,
        "bevoegdheden",
        "mogelijk",
    ),
    ("Belastingdienst", "haal", "Signalen over witwassen via vastgoed en bedrijven", 1, "", ""),
    (
        "Belastingdienst",
        "breng",
        "Fiscale controles bij verdachte ondernemingen",
        2,
        "bevoegdheden",
        "mogelijk",
    ),
    (
        "Expertisecentrum Ondermijning",
        "haal",
        "Lessen uit deze aanpak voor andere gemeenten",
        1,
        "",
        "",
    ),
    (
        "Expertisecentrum Ondermijning",
        "breng",
        "Kennis over ondermijning en hoe die aan te pakken",
        2,
        "kennis_data",
        "toegezegd",
    ),
]

# (haal of partij, breng of partij): matched on the first bijdrage of each
KOPPELINGEN = [
    ("Politie", "haal", "Gemeente", "Coördinatie van de hele aanpak"),
    ("Gemeente", "haal", "Politie", "Overlast voorkomen op en rond de bedrijventerreinen"),
    (
        "Belastingdienst",
        "haal",
        "Politie",
        "Optreden bij de opsporing van strafbare feiten op en rond de terreinen",
    ),
    (
        "Omgevingsdienst",
        "haal",
        "Expertisecentrum Ondermijning",
        "Kennis over ondermijning en hoe die aan te pakken",
    ),
]

VERVOLGSTAPPEN = [
    (
        "Integrale controles op de bedrijventerreinen",
        "Gemeente",
        ["Politie", "Omgevingsdienst", "Belastingdienst"],
    ),
    ("De gebiedsofficier van het Openbaar Ministerie erbij betrekken", "Politie", ["Gemeente"]),
    (
        "Met de ondernemers op de terreinen een ondernemersvereniging opzetten",
        "Gemeente",
        ["Expertisecentrum Ondermijning"],
    ),
]


def demo_password() -> str:
    """Stable across runs, derived from the SECRET_KEY: printable, but not guessable elsewhere."""
    configured = os.environ.get("HB_DEMO_PASSWORD")
    if configured:
        return configured
    digest = hmac.new(settings.SECRET_KEY.encode(), b"demo-facilitator", hashlib.sha256)
    return "demo-" + digest.hexdigest()[:16]


class Command(BaseCommand):
    help = (
        "Create (or keep) the demo opgave of the practice story, a facilitator and an open sessie."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=os.environ.get(
                "HB_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
            ),
            help="Where the app is served, for the printed join link.",
        )

    def handle(self, *args, base_url: str, **options):
        with transaction.atomic():
            sessie, password = self._seed()
        self.stdout.write(f"Facilitator login: {USERNAME} / {password}")
        self.stdout.write(f"Join link: {base_url.rstrip('/')}{sessie.get_join_path()}")

    def _seed(self) -> tuple[Sessie, str]:
        user_model = get_user_model()
        user, _created = user_model.objects.get_or_create(
            username=USERNAME, defaults={"first_name": "Demo", "last_name": "Procesbegeleider"}
        )
        password = demo_password()
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        team, _created = Team.objects.get_or_create(name=TEAM_NAME)
        Membership.objects.get_or_create(
            team=team, user=user, defaults={"role": Membership.Role.FACILITATOR}
        )
        opgave = Opgave.objects.filter(team=team, title=OPGAVE_TITLE).first()
        if opgave is None:
            opgave = self._create_opgave(team, user)
        sessie = opgave.sessies.filter(title=SESSIE_TITLE).first()
        if sessie is None:
            sessie = self._create_sessie(opgave, user)
        return sessie, password

    def _create_opgave(self, team: Team, user) -> Opgave:
        actor = services.Actor(user=user)
        opgave = services.opgave_create(
            team=team,
            title=OPGAVE_TITLE,
            formulering="Criminaliteit op twee bedrijventerreinen aanpakken.",
            ambitie="De veiligheid en leefbaarheid van dit deel van de gemeente waarborgen.",
            verbindende_vraag=(
                "Wat maakt een bedrijventerrein aantrekkelijk voor het goede en onaantrekkelijk "
                "voor het ondermijnende?"
            ),
            actor=actor,
        )
        # The wording changed as partijen added their view: that is kept as a second version.
        services.opgave_text_set(
            opgave=opgave,
            veld="formulering",
            tekst=(
                "Twee verloederde bedrijventerreinen, waar ondermijnende criminaliteit (illegale "
                "handel, drugs) voet aan de grond heeft gekregen, weer aantrekkelijk maken voor "
                "bonafide ondernemers en onaantrekkelijk voor het ondermijnende."
            ),
            expected_version=1,
            actor=actor,
        )
        for name, wereld, status, toelichting in PARTIJEN:
            services.partij_add(
                opgave=opgave, name=name, wereld=wereld, status=status, toelichting=toelichting
            )
        return opgave

    def _create_sessie(self, opgave: Opgave, user) -> Sessie:
        actor = services.Actor(user=user)
        sessie = services.sessie_create(
            opgave=opgave, title=SESSIE_TITLE, state=Sessie.State.OPEN, tafels=1, actor=actor
        )
        services.sessie_set_step(sessie=sessie, stap=2)
        tafel = sessie.tafels.get()
        partijen = {p.name: p for p in opgave.partijen.all()}
        for name, (tekst, urgentie) in PERSPECTIEVEN.items():
            services.perspectief_set(
                tafel=tafel, partij=partijen[name], tekst=tekst, urgentie=urgentie, actor=actor
            )
        services.perspectieven_reveal(tafel=tafel, actor=actor)
        for name, soort, tekst, gewicht, breng_soort, toezegging in BIJDRAGEN:
            services.bijdrage_add(
                tafel=tafel,
                partij=partijen[name],
                soort=soort,
                tekst=tekst,
                gewicht=gewicht,
                breng_soort=breng_soort,
                toezegging=toezegging,
                actor=actor,
            )
        for haal_partij, _soort, breng_partij, breng_tekst in KOPPELINGEN:
            haal = tafel.bijdragen.filter(
                partij=partijen[haal_partij], soort=Bijdrage.Soort.HAAL
            ).first()
            breng = tafel.bijdragen.get(partij=partijen[breng_partij], tekst=breng_tekst)
            services.koppeling_add(tafel=tafel, haal_id=haal.pk, breng_id=breng.pk, actor=actor)
        for title, eigenaar, others in VERVOLGSTAPPEN:
            services.vervolgstap_add(
                tafel=tafel,
                title=title,
                eigenaar=partijen[eigenaar],
                partijen=[partijen[name] for name in others],
                actor=actor,
            )
        return sessie
