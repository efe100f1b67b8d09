import factory
from django.contrib.auth import get_user_model

from sessions.models import (
    Bijdrage,
    Deelnemer,
    Membership,
    Opgave,
    Partij,
    Sessie,
    Tafel,
    Team,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.FACILITATOR


class OpgaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opgave

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Opgave {n}")


class PartijFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partij

    opgave = factory.SubFactory(OpgaveFactory)
    name = factory.Sequence(lambda n: f"Partij {n}")


class SessieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sessie

    opgave = factory.SubFactory(OpgaveFactory)
    title = factory.Sequence(lambda n: f"Sessie {n}")
    state = Sessie.State.OPEN
    # Participants start in the sessie's language; most tests read the English page. The
    # default (Dutch) is tested in tests/views/test_joining.py.
    language = "en"


class TafelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tafel

    sessie = factory.SubFactory(SessieFactory)
    nummer = factory.Sequence(lambda n: n + 1)


class DeelnemerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deelnemer

    tafel = factory.SubFactory(TafelFactory)
    sessie = factory.SelfAttribute("tafel.sessie")
    partij = factory.SubFactory(PartijFactory, opgave=factory.SelfAttribute("..sessie.opgave"))
    name = factory.Sequence(lambda n: f"Deelnemer {n}")
    link_generation = factory.SelfAttribute("sessie.link_generation")


class BijdrageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bijdrage

    tafel = factory.SubFactory(TafelFactory)
    partij = factory.SubFactory(
        PartijFactory, opgave=factory.SelfAttribute("..tafel.sessie.opgave")
    )
    soort = Bijdrage.Soort.HAAL
    tekst = factory.Sequence(lambda n: f"Bijdrage {n}")
