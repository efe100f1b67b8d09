"""Perspectieven (sessions/services/perspectieven.py)."""

from sessions import services


def test_perspectief_is_private_until_revealed(k, anna):
    from sessions import selectors
    from sessions.access import Access

    services.perspectief_set(
        tafel=k.tafel_a, partij=k.politie, tekst="Eigen blik", urgentie=4, actor=anna
    )
    bram = k.tafel_a.deelnemers.get(name="Bram")
    for_bram = selectors.kaart_for(
        k.tafel_a.pk, Access(can_view=True, role="deelnemer", deelnemer=bram)
    )
    politie = next(b for b in for_bram.blocks if b.partij == k.politie)
    assert politie.perspectief is None and politie.perspectief_hidden
    services.perspectieven_reveal(tafel=k.tafel_a)
    for_bram = selectors.kaart_for(
        k.tafel_a.pk, Access(can_view=True, role="deelnemer", deelnemer=bram)
    )
    politie = next(b for b in for_bram.blocks if b.partij == k.politie)
    assert politie.perspectief.tekst == "Eigen blik"


# Undo ---------------------------------------------------------------------------------------
