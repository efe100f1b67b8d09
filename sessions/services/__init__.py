"""Every write of Halen/Brengen: validate, save in a transaction, log, broadcast on commit.

Views, consumers, the importer and the demo call these functions and nothing else to change
data, as `services.bijdrage_add(...)`. One module per subject (docs/architecture.md):

- common: who acts (`Actor`), text that can be stored, the answer to a stale edit
- opgaven: the opgave, its versioned texts, its partijen
- sessies: sessies, tafels, the join link and joining, facilitation, the plenary kaart
- changes: the spine of every kaart change (lock, number, log, bell; nonces; shared checks)
- bijdragen, perspectieven, koppelingen, vervolgstappen, kaart_opgave: the kaart's items,
  each module with the undo of its own changes
- carry: a new sessie started from an earlier kaart (a lopend proces)
- werkgroepen: step 3 in werkgroepen, one per vervolgstap, people seated by their partij
- undo: undo of one's own last kaart change
- presence: who is at a tafel now
"""

from sessions.services.bijdragen import (
    bijdrage_add,
    bijdrage_delete,
    bijdrage_edit,
    bijdrage_move,
)
from sessions.services.carry import (
    ONTO_PLENAIR,
    ONTO_TAFELS,
    carry_sources,
    kaart_carry,
    provenance_set,
)
from sessions.services.changes import (
    NONCE_WINDOW,
    AlreadyApplied,
    NothingToUndo,
    change_applied,
)
from sessions.services.common import (
    SYSTEM,
    Actor,
    StaleEdit,
    actor_key,
    is_valid_text,
)
from sessions.services.kaart_opgave import (
    kaart_opgave_text_set,
    kaart_partij_add_missing,
)
from sessions.services.koppelingen import (
    koppeling_add,
    koppeling_delete,
)
from sessions.services.opgaven import (
    kernboodschap_set,
    opgave_create,
    opgave_text_set,
    opgave_update,
    partij_add,
    partij_update,
)
from sessions.services.perspectieven import (
    perspectief_set,
    perspectieven_reveal,
)
from sessions.services.presence import (
    presence_join,
    presence_leave,
    presence_poll,
    presence_seen,
    presence_touch,
)
from sessions.services.sessies import (
    deelnemer_join,
    deelnemer_move,
    deelnemer_revoke,
    perspectieven_reveal_all,
    plenair_carry,
    plenair_tafel,
    sessie_create,
    sessie_duplicate,
    sessie_regenerate_link,
    sessie_revoke_link,
    sessie_set_locked,
    sessie_set_state,
    sessie_set_step,
    sessie_update,
    tafel_add,
    tafel_remove,
    tafels_form,
    timer_pause,
    timer_reset,
    timer_start,
)
from sessions.services.undo import (
    undo_last,
)
from sessions.services.vervolgstappen import (
    vervolgstap_add,
    vervolgstap_delete,
    vervolgstap_edit,
    vervolgstap_follow_up,
)
from sessions.services.werkgroepen import (
    werkgroep_choose,
    werkgroepen_form,
)

__all__ = [
    "werkgroep_choose",
    "werkgroepen_form",
    "ONTO_PLENAIR",
    "ONTO_TAFELS",
    "carry_sources",
    "kaart_carry",
    "provenance_set",
    "Actor",
    "actor_key",
    "SYSTEM",
    "is_valid_text",
    "StaleEdit",
    "opgave_create",
    "opgave_text_set",
    "kernboodschap_set",
    "partij_add",
    "opgave_update",
    "partij_update",
    "sessie_create",
    "sessie_set_step",
    "tafel_add",
    "sessie_revoke_link",
    "sessie_regenerate_link",
    "deelnemer_join",
    "sessie_update",
    "sessie_duplicate",
    "sessie_set_state",
    "sessie_set_locked",
    "timer_start",
    "timer_pause",
    "timer_reset",
    "deelnemer_revoke",
    "deelnemer_move",
    "tafel_remove",
    "tafels_form",
    "perspectieven_reveal_all",
    "plenair_tafel",
    "plenair_carry",
    "AlreadyApplied",
    "NONCE_WINDOW",
    "change_applied",
    "NothingToUndo",
    "bijdrage_add",
    "bijdrage_edit",
    "bijdrage_delete",
    "bijdrage_move",
    "perspectief_set",
    "perspectieven_reveal",
    "koppeling_add",
    "koppeling_delete",
    "vervolgstap_add",
    "vervolgstap_edit",
    "vervolgstap_follow_up",
    "vervolgstap_delete",
    "kaart_opgave_text_set",
    "kaart_partij_add_missing",
    "undo_last",
    "presence_join",
    "presence_seen",
    "presence_touch",
    "presence_poll",
    "presence_leave",
]
