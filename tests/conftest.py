import pytest
from django.db import connections

from sessions.models import Membership
from tests import factories


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, with every other connection to them ended before they
    are dropped: PostgreSQL does not drop a database that connections still use (psycopg's
    pool keeps those of the threads that served the websockets and async tests)."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            connection.close()
            connection.close_pool()


@pytest.fixture
def opgave(db):
    return factories.OpgaveFactory()


@pytest.fixture
def sessie(opgave):
    return factories.SessieFactory(opgave=opgave)


@pytest.fixture
def tafel(sessie):
    return factories.TafelFactory(sessie=sessie)


@pytest.fixture
def facilitator(opgave):
    membership = factories.MembershipFactory(team=opgave.team, role=Membership.Role.FACILITATOR)
    return membership.user


@pytest.fixture
def coordinator(opgave):
    membership = factories.MembershipFactory(team=opgave.team, role=Membership.Role.COORDINATOR)
    return membership.user


@pytest.fixture
def outsider(db):
    """A facilitator of another team."""
    return factories.MembershipFactory(role=Membership.Role.FACILITATOR).user


@pytest.fixture(autouse=True)
def pictures_in_every_push(settings):
    """The kaart's pictures in each change's own push, so that a page equals a fresh one as
    soon as the change is in; their later push has tests of its own."""
    settings.HB_PICTURE_DELAY = 0
    # Likewise a control room's tafel lines (tested with a window in tests/consumers).
    settings.HB_ACTIVITY_DELAY = 0


@pytest.fixture(autouse=True)
def event_loops_leave_no_connections():
    """The database connections an async test's event loop opened for itself
    (sessions.asyncdb) are closed once that loop has ended."""
    from sessions import asyncdb

    asyncdb.close_ended()
    yield
    asyncdb.close_ended()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages in English for the assertions; pages choose per request (nl first)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Rate-limit counters live in the cache: each test gets an empty one of its own (never
    the shared Redis, which other processes may use)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests",
        }
    }
    from django.core.cache import cache

    cache.clear()
