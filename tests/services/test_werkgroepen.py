"""Werkgroepen for step 3 (services.werkgroepen): one tafel per chosen vervolgstap, people
seated by their partij, nobody twice."""

import pytest
from django.core.exceptions import ValidationError

from sessions import selectors, services
from sessions.models import Deelnemer, Vervolgstap
from tests import factories


@pytest.fixture
def plenair(k):
    """The plenary kaart with three vervolgstappen and the brengen of their partijen."""
    tafel = services.plenair_tafel(sessie=k.sessie)
    for partij, tekst in ((k.gemeente, "Vergunningdata"), (k.politie, "Wijkagenten")):
        services.bijdrage_add(
            tafel=tafel, partij=partij, soort="breng", tekst=tekst, breng_soort="kennis_data"
        )
    services.bijdrage_add(tafel=tafel, partij=k.politie, soort="haal", tekst="Zicht op panden")
    data = services.vervolgstap_add(
        tafel=tafel, title="Datadeling", eigenaar=k.gemeente, partijen=[k.politie]
    )
    schouw = services.vervolgstap_add(
        tafel=tafel, title="Wijkschouw", eigenaar=k.politie, partijen=[k.omgevingsdienst]
    )
    milieu = services.vervolgstap_add(
        tafel=tafel, title="Milieucontrole", eigenaar=k.omgevingsdienst
    )
    return {"tafel": tafel, "data": data, "schouw": schouw, "milieu": milieu}


def seated(k) -> dict[str, str]:
    return {
        d.name: (d.tafel.name if d.tafel else "")
        for d in Deelnemer.objects.filter(sessie=k.sessie).select_related("tafel")
    }


def test_a_werkgroep_per_vervolgstap_seats_owners_and_participants_nobody_twice(k, plenair):
    # Anna (Politie), Bram (Gemeente), Cor (Omgevingsdienst) at tafel A; Dirk (Politie) at B;
    # Eva of the Belastingdienst, which no vervolgstap names.
    belastingdienst = factories.PartijFactory(opgave=k.sessie.opgave, name="Belastingdienst")
    factories.DeelnemerFactory(tafel=k.tafel_a, partij=belastingdienst, name="Eva")
    werkgroepen = services.werkgroepen_form(
        sessie=k.sessie,
        stap_ids=[plenair[key].pk for key in ("data", "schouw", "milieu")],
    )
    assert [t.name for t in werkgroepen] == ["Datadeling", "Wijkschouw", "Milieucontrole"]
    assert [t.werkgroep for t in werkgroepen] == [
        plenair[k_] for k_ in ("data", "schouw", "milieu")
    ]
    assert seated(k) == {
        "Anna": "Wijkschouw",  # Politie owns it
        "Bram": "Datadeling",
        "Cor": "Milieucontrole",
        "Dirk": "Datadeling",  # Politie's second person: where Politie takes part
        "Eva": "",  # chooses a werkgroep on the waiting page
    }


def test_a_werkgroeps_kaart_starts_with_its_vervolgstap_and_the_brengen_of_its_partijen(k, plenair):
    (data,) = services.werkgroepen_form(sessie=k.sessie, stap_ids=[plenair["data"].pk])
    stap = data.vervolgstappen.get()
    assert (stap.title, stap.voorganger, stap.eigenaar) == (
        "Datadeling",
        plenair["data"],
        k.gemeente,
    )
    assert list(stap.partijen.all()) == [k.politie]
    assert sorted(data.bijdragen.values_list("tekst", flat=True)) == [
        "Vergunningdata",
        "Wijkagenten",
    ], "the brengen of Gemeente and Politie, not the halen"
    assert plenair["tafel"].bijdragen.count() == 3, "the plenary kaart keeps its own"


def test_forming_again_keeps_the_werkgroepen_and_their_kaarten(k, plenair):
    (first,) = services.werkgroepen_form(sessie=k.sessie, stap_ids=[plenair["data"].pk])
    services.bijdrage_add(tafel=first, partij=k.gemeente, soort="haal", tekst="Eerste actie")
    again = services.werkgroepen_form(
        sessie=k.sessie, stap_ids=[plenair["data"].pk, plenair["schouw"].pk]
    )
    assert again[0] == first and first.bijdragen.filter(tekst="Eerste actie").exists()
    assert Vervolgstap.objects.filter(voorganger=plenair["data"]).count() == 1
    assert seated(k)["Anna"] == "Wijkschouw"


def test_only_vervolgstappen_of_this_sessie_form_werkgroepen(k, plenair):
    other = services.sessie_create(opgave=k.sessie.opgave, title="Later", tafels=1)
    elsewhere = services.vervolgstap_add(
        tafel=other.tafels.get(), title="Elders", eigenaar=k.politie
    )
    before = seated(k)
    for ids in ([elsewhere.pk], [], [plenair["data"].pk, elsewhere.pk]):
        with pytest.raises(ValidationError):
            services.werkgroepen_form(sessie=k.sessie, stap_ids=ids)
    assert seated(k) == before
    assert not k.sessie.tafels.filter(werkgroep__isnull=False).exists()


def test_someone_nobody_seated_chooses_a_werkgroep(k, plenair):
    belastingdienst = factories.PartijFactory(opgave=k.sessie.opgave, name="Belastingdienst")
    eva = factories.DeelnemerFactory(tafel=k.tafel_a, partij=belastingdienst, name="Eva")
    (data,) = services.werkgroepen_form(sessie=k.sessie, stap_ids=[plenair["data"].pk])
    eva.refresh_from_db()
    assert eva.tafel is None
    with pytest.raises(ValidationError):  # a tafel that is no werkgroep
        services.werkgroep_choose(deelnemer=eva, tafel=k.tafel_b)
    services.werkgroep_choose(deelnemer=eva, tafel=data)
    eva.refresh_from_db()
    assert eva.tafel == data
    with pytest.raises(ValidationError):  # seated now: the facilitator moves her
        services.werkgroep_choose(deelnemer=eva, tafel=data)


def test_werkgroepen_come_from_the_plenary_kaart_once_it_has_vervolgstappen(k):
    on_tafel = services.vervolgstap_add(tafel=k.tafel_a, title="Aan tafel A", eigenaar=k.politie)
    assert selectors.werkgroep_choices(k.sessie) == [on_tafel]
    plenair = services.plenair_carry(sessie=k.sessie, kind="vervolgstap", item_id=on_tafel.pk)
    assert selectors.werkgroep_choices(k.sessie) == [plenair]
    with pytest.raises(ValidationError):
        services.werkgroepen_form(sessie=k.sessie, stap_ids=[on_tafel.pk])
    (werkgroep,) = services.werkgroepen_form(sessie=k.sessie, stap_ids=[plenair.pk])
    services.vervolgstap_add(tafel=werkgroep, title="Eerste actie", eigenaar=k.politie)
    assert selectors.werkgroep_choices(k.sessie) == [plenair], "not a werkgroep's own actions"


def test_from_the_plenary_kaart_the_brengen_of_the_tafels_come_along_once(k, plenair):
    for tafel in (k.tafel_a, k.tafel_b):
        services.bijdrage_add(
            tafel=tafel, partij=k.gemeente, soort="breng", tekst="Handhavers", breng_soort="anders"
        )
    services.bijdrage_add(
        tafel=k.tafel_a, partij=k.omgevingsdienst, soort="breng", tekst="Milieukennis"
    )
    (data,) = services.werkgroepen_form(sessie=k.sessie, stap_ids=[plenair["data"].pk])
    assert sorted(data.bijdragen.values_list("tekst", flat=True)) == [
        "Handhavers",
        "Vergunningdata",
        "Wijkagenten",
    ], "Gemeente's and Politie's brengen, each once; not the Omgevingsdienst's"


def test_who_joins_during_werkgroepen_is_seated_by_partij_or_chooses(k, plenair):
    data, schouw = services.werkgroepen_form(
        sessie=k.sessie, stap_ids=[plenair["data"].pk, plenair["schouw"].pk]
    )
    gerda = services.deelnemer_join(sessie=k.sessie, name="Gerda", partij=k.gemeente)
    otto = services.deelnemer_join(sessie=k.sessie, name="Otto", partij=k.omgevingsdienst)
    belastingdienst = factories.PartijFactory(opgave=k.sessie.opgave, name="Belastingdienst")
    eva = services.deelnemer_join(sessie=k.sessie, name="Eva", partij=belastingdienst)
    assert (gerda.tafel, otto.tafel, eva.tafel) == (data, schouw, None)


def test_nobody_who_joins_is_seated_at_the_plenary_kaart(k):
    plenair = services.plenair_tafel(sessie=k.sessie)  # empty, the emptiest of all
    nieuw = services.deelnemer_join(sessie=k.sessie, name="Nieuw", partij=k.politie)
    assert nieuw.tafel not in (None, plenair)
