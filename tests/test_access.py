"""The one access check: who may see which opgave, sessie and tafel, and who may change them."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from sessions import access, services, sql
from sessions.models import Membership
from tests import factories


class FakeSession(dict):
    """The part of a Django session the access check reads."""


def joined(deelnemer):
    session = FakeSession()
    access.remember_deelnemer(session, deelnemer)
    return session


@pytest.fixture
def deelnemer(tafel):
    return factories.DeelnemerFactory(tafel=tafel)


def test_team_members_see_their_opgaven_and_nothing_else(
    facilitator, coordinator, outsider, opgave
):
    other = factories.OpgaveFactory()
    assert list(access.opgaven_for(facilitator)) == [opgave]
    assert list(access.opgaven_for(coordinator)) == [opgave]
    assert opgave not in access.opgaven_for(outsider)
    assert other not in access.opgaven_for(facilitator)
    assert list(access.opgaven_for(AnonymousUser())) == []


def test_a_user_in_two_teams_sees_each_opgave_once(facilitator, opgave):
    second = factories.OpgaveFactory()
    factories.MembershipFactory(team=second.team, user=facilitator, role="coordinator")
    assert sorted(o.pk for o in access.opgaven_for(facilitator)) == sorted([opgave.pk, second.pk])


def test_facilitator_manages_coordinator_only_reads(facilitator, coordinator, outsider, opgave):
    assert access.opgave_access(facilitator, opgave) == access.Access(
        can_view=True, can_edit=True, can_manage=True, role="facilitator"
    )
    assert access.opgave_access(coordinator, opgave) == access.Access(
        can_view=True, role="coordinator"
    )
    assert access.opgave_access(outsider, opgave) == access.NO_ACCESS
    assert access.opgave_access(AnonymousUser(), opgave) == access.NO_ACCESS
    assert access.opgave_access(None, opgave) == access.NO_ACCESS


def test_an_account_switched_off_while_logged_in_loses_its_access(facilitator, sessie):
    """An open socket keeps the account it connected with: its access is asked again, and
    ends when the account is switched off (as a page's request would no longer be logged in)."""
    assert access.sessie_role(facilitator, sessie.pk) == "facilitator"
    facilitator.is_active = False
    facilitator.save()
    assert access.opgave_access(facilitator, sessie.opgave) == access.NO_ACCESS
    assert access.sessie_role(facilitator, sessie.pk) == ""


def test_the_role_a_control_room_asks_is_the_team_role(facilitator, coordinator, outsider, sessie):
    assert access.sessie_role(coordinator, sessie.pk) == "coordinator"
    assert access.sessie_role(outsider, sessie.pk) == ""
    assert access.sessie_role(AnonymousUser(), sessie.pk) == ""
    assert access.sessie_role(facilitator, sessie.pk + 1000) is None


def test_a_superuser_outside_the_team_has_no_opgave_access(opgave):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    assert not access.opgave_access(admin, opgave).can_view


def test_participant_sees_the_sessie_they_joined_only(deelnemer, sessie):
    session = joined(deelnemer)
    assert access.sessie_access(AnonymousUser(), session, sessie).deelnemer == deelnemer
    other_sessie = factories.SessieFactory(opgave=sessie.opgave)
    assert not access.sessie_access(AnonymousUser(), session, other_sessie).can_view
    assert not access.sessie_access(AnonymousUser(), FakeSession(), sessie).can_view


def test_participant_reads_and_edits_only_their_own_tafel(deelnemer, tafel, sessie):
    session = joined(deelnemer)
    own = access.tafel_access(AnonymousUser(), session, tafel)
    assert own.can_view and own.can_edit and not own.can_manage
    other_tafel = factories.TafelFactory(sessie=sessie)
    assert access.tafel_access(AnonymousUser(), session, other_tafel) == access.NO_ACCESS


def test_participant_of_another_sessie_has_no_access(tafel):
    stranger = factories.DeelnemerFactory()
    session = joined(stranger)
    assert access.tafel_access(AnonymousUser(), session, tafel) == access.NO_ACCESS


def test_a_forged_session_entry_for_another_sessie_gives_no_access(deelnemer, tafel):
    other_sessie = factories.SessieFactory()
    session = FakeSession({access.SESSION_KEY: {str(other_sessie.pk): deelnemer.pk}})
    other_tafel = factories.TafelFactory(sessie=other_sessie)
    assert access.tafel_access(AnonymousUser(), session, other_tafel) == access.NO_ACCESS


def test_team_members_see_every_tafel(facilitator, coordinator, outsider, tafel):
    assert access.tafel_access(facilitator, {}, tafel).can_edit
    coordinator_access = access.tafel_access(coordinator, {}, tafel)
    assert coordinator_access.can_view and not coordinator_access.can_edit
    assert access.tafel_access(outsider, {}, tafel) == access.NO_ACCESS
    assert access.tafel_access(AnonymousUser(), {}, tafel) == access.NO_ACCESS


def test_a_locked_sessie_is_read_only_for_participants_not_facilitators(
    deelnemer, tafel, sessie, facilitator
):
    sessie.locked = True
    sessie.save()
    tafel.refresh_from_db()
    participant = access.tafel_access(AnonymousUser(), joined(deelnemer), tafel)
    assert participant.can_view and not participant.can_edit
    assert access.tafel_access(facilitator, {}, tafel).can_edit


def test_a_closed_sessie_is_read_only_for_everyone(deelnemer, tafel, sessie, facilitator):
    sessie.state = "gesloten"
    sessie.save()
    tafel.refresh_from_db()
    participant = access.tafel_access(AnonymousUser(), joined(deelnemer), tafel)
    assert participant.can_view and not participant.can_edit
    team = access.tafel_access(facilitator, {}, tafel)
    assert team.can_view and not team.can_edit


def test_revoking_the_link_ends_participant_access(deelnemer, tafel, sessie):
    session = joined(deelnemer)
    services.sessie_revoke_link(sessie=sessie)
    tafel.refresh_from_db()
    assert access.tafel_access(AnonymousUser(), session, tafel) == access.NO_ACCESS


def test_a_new_link_ends_access_of_who_joined_by_the_old_one(deelnemer, tafel, sessie):
    session = joined(deelnemer)
    services.sessie_regenerate_link(sessie=sessie)
    tafel.refresh_from_db()
    assert access.tafel_access(AnonymousUser(), session, tafel) == access.NO_ACCESS


def test_a_revoked_participant_loses_access(deelnemer, tafel):
    session = joined(deelnemer)
    deelnemer.revoked = True
    deelnemer.save()
    assert access.tafel_access(AnonymousUser(), session, tafel) == access.NO_ACCESS


def test_join_link_status(sessie):
    token = sessie.join_token
    assert access.join_link_status(sessie, token) == access.LinkStatus.VALID
    # The last character changed, whatever it was (one in 64 tokens ends in "x").
    other = "y" if token.endswith("x") else "x"
    assert access.join_link_status(sessie, token[:-1] + other) == access.LinkStatus.INVALID
    assert access.join_link_status(sessie, "") == access.LinkStatus.INVALID
    sessie.join_expires_at = timezone.now() - datetime.timedelta(minutes=1)
    assert access.join_link_status(sessie, token) == access.LinkStatus.EXPIRED
    sessie.join_expires_at = timezone.now() + datetime.timedelta(hours=1)
    assert access.join_link_status(sessie, token) == access.LinkStatus.VALID
    sessie.state = "gesloten"
    assert access.join_link_status(sessie, token) == access.LinkStatus.CLOSED
    sessie.join_revoked = True
    assert access.join_link_status(sessie, token) == access.LinkStatus.REVOKED


def test_regenerated_link_refuses_the_old_token(sessie):
    old = sessie.join_token
    services.sessie_regenerate_link(sessie=sessie)
    assert access.join_link_status(sessie, old) == access.LinkStatus.INVALID
    assert access.join_link_status(sessie, sessie.join_token) == access.LinkStatus.VALID


def test_roles_are_per_team(opgave):
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, role=Membership.Role.FACILITATOR)
    factories.MembershipFactory(team=opgave.team, user=user, role=Membership.Role.COORDINATOR)
    assert access.opgave_access(user, opgave).role == "coordinator"
    assert not access.opgave_access(user, opgave).can_edit


def test_the_query_filter_of_who_sees_what_is_the_rule_itself(tafel):
    """access.sees_sql (the control room's latest items) finds exactly the items access.sees
    lets a person see: the facilitator all, a participant the shared and their own, the
    coordinator the shared."""
    author, other = factories.DeelnemerFactory(tafel=tafel), factories.DeelnemerFactory(tafel=tafel)
    items = [
        factories.BijdrageFactory(tafel=tafel, vertrouwelijk=vertrouwelijk, author=who)
        for vertrouwelijk in (False, True)
        for who in (author, other, None)
    ]
    viewers = [
        access.Access(can_view=True, role="facilitator"),
        access.Access(can_view=True, role="coordinator"),
        access.Access(can_view=True, role="deelnemer", deelnemer=author),
    ]
    from sessions.models import Bijdrage

    seen = {}
    for viewer in viewers:
        rule = {
            b.pk
            for b in items
            if access.sees(viewer, vertrouwelijk=b.vertrouwelijk, author_id=b.author_id)
        }
        condition, params = access.sees_sql(viewer, "b")
        found = {
            pk
            for (pk,) in sql.rows(
                f"SELECT b.id FROM {Bijdrage._meta.db_table} b WHERE {condition}", params
            )
        }
        assert found == rule, viewer.role
        seen[viewer.role] = len(found)
    assert seen == {"facilitator": 6, "coordinator": 3, "deelnemer": 4}
