"""The constraints of teams and memberships (sessions/models/teams.py)."""

from sessions.models import (
    Membership,
)
from tests import factories
from tests.models.constraints import refused


def test_membership_is_unique_per_team_and_user(facilitator, opgave):
    refused(
        lambda: Membership.objects.create(team=opgave.team, user=facilitator, role="coordinator")
    )


def test_membership_role_must_be_known(opgave):
    user = factories.UserFactory()
    refused(lambda: Membership.objects.create(team=opgave.team, user=user, role="admin"))
