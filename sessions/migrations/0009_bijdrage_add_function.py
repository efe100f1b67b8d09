"""hb_bijdrage_add: the most frequent change of a live kaart, a bijdrage added by a participant,
in one round trip on PostgreSQL (sessions/services/at_once.py; bench/README.md, "Sixth round").

The function does what services.bijdrage_add does, in the same order and under the same lock:
the participant's access as their socket knew it (access.participant_stamp), the partij of
the opgave, the tafel's row locked, the next number, room on the kaart, a resend recognised by
its nonce, the place at the end of its list, the bijdrage and the event written. Each
statement after the lock takes a fresh snapshot (READ COMMITTED, a VOLATILE function), so it
sees what the previous holder of the lock committed. It writes nothing unless every check
holds; any other answer than 'ok' sends the caller down the ordinary path, which gives the
message its exact refusal. Other databases have no such function and always take that path.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION hb_bijdrage_add(
    p_tafel bigint, p_deelnemer bigint, p_stamp jsonb, p_partij bigint, p_soort text,
    p_tekst text, p_gewicht integer, p_breng_soort text, p_toezegging text,
    p_vertrouwelijk boolean, p_actor_name text, p_nonce text, p_max_items integer,
    p_now timestamptz,
    OUT status text, OUT bijdrage_id bigint, OUT seq bigint, OUT place integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_data jsonb;
BEGIN
    IF (SELECT jsonb_build_array(s.id, s.state, s.locked, s.join_revoked, s.link_generation,
                                 d.revoked, d.tafel_id, d.partij_id, d.link_generation)
          FROM halenbrengen_tafel t
          JOIN halenbrengen_sessie s ON s.id = t.sessie_id
          LEFT JOIN halenbrengen_deelnemer d ON d.id = p_deelnemer AND d.sessie_id = s.id
         WHERE t.id = p_tafel) IS DISTINCT FROM p_stamp THEN
        status := 'access';
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1
                     FROM halenbrengen_tafel t
                     JOIN halenbrengen_sessie s ON s.id = t.sessie_id
                     JOIN halenbrengen_partij pa ON pa.opgave_id = s.opgave_id
                    WHERE t.id = p_tafel AND pa.id = p_partij) THEN
        status := 'partij';
        RETURN;
    END IF;
    PERFORM 1 FROM halenbrengen_tafel WHERE id = p_tafel FOR UPDATE;
    SELECT coalesce(max(e.seq), 0) + 1 INTO seq
      FROM halenbrengen_kaartevent e WHERE e.tafel_id = p_tafel;
    IF (SELECT count(*) FROM halenbrengen_bijdrage WHERE tafel_id = p_tafel)
       + (SELECT count(*) FROM halenbrengen_koppeling WHERE tafel_id = p_tafel)
       + (SELECT count(*) FROM halenbrengen_vervolgstap WHERE tafel_id = p_tafel)
       >= p_max_items THEN
        status := 'full';
        RETURN;
    END IF;
    IF p_nonce <> '' AND EXISTS (
        SELECT 1 FROM (SELECT e.data FROM halenbrengen_kaartevent e WHERE e.tafel_id = p_tafel
                        ORDER BY e.seq DESC LIMIT 1000) recent
         WHERE recent.data ->> 'nonce' = p_nonce) THEN
        status := 'applied';
        RETURN;
    END IF;
    SELECT coalesce(max(b.position) + 1, 0) INTO place
      FROM halenbrengen_bijdrage b
     WHERE b.tafel_id = p_tafel AND b.partij_id = p_partij AND b.soort = p_soort;
    INSERT INTO halenbrengen_bijdrage
        (tafel_id, partij_id, soort, tekst, gewicht, breng_soort, toezegging, vertrouwelijk,
         position, version, author_id, created_at, updated_at, herkomst_id)
    VALUES (p_tafel, p_partij, p_soort, p_tekst, p_gewicht, p_breng_soort, p_toezegging,
            p_vertrouwelijk, place, 1, p_deelnemer, p_now, p_now, NULL)
    RETURNING id INTO bijdrage_id;
    v_data := jsonb_build_object('id', bijdrage_id, 'partij', p_partij, 'version', 1);
    IF p_vertrouwelijk THEN
        v_data := v_data || jsonb_build_object('vertrouwelijk', true);
    END IF;
    IF p_nonce <> '' THEN
        v_data := v_data || jsonb_build_object('nonce', p_nonce);
    END IF;
    INSERT INTO halenbrengen_kaartevent
        (tafel_id, seq, kind, data, actor_name, actor_user_id, actor_deelnemer_id, created_at)
    VALUES (p_tafel, seq, 'bijdrage_added', v_data, p_actor_name, NULL, p_deelnemer, p_now);
    status := 'ok';
END
$$;
"""

DROP = "DROP FUNCTION IF EXISTS hb_bijdrage_add"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("halenbrengen", "0008_werkgroep"),
    ]

    operations = [migrations.RunPython(create, drop)]
