"""Login lockout: growing delays per account and address, a ceiling per address, on every
login form (ours and the admin's). The clock is replaced, nothing sleeps."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.urls import reverse

from sessions import lockout
from tests import factories

PASSWORD = "correct-horse-battery"
OFFICE = "192.0.2.10"
ATTACKER = "198.51.100.7"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(lockout, "clock", fake)
    return fake


@pytest.fixture
def backoff(settings):
    settings.HB_LOGIN_BACKOFF_ACCOUNT = {"free": 5, "base": 30, "cap": 15 * 60, "window": 86400}
    settings.HB_LOGIN_BACKOFF_ADDRESS = {"free": 100, "base": 10, "cap": 5 * 60, "window": 86400}


@pytest.fixture
def user(db):
    return factories.UserFactory(username="facilitator")


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="beheerder", is_staff=True, is_superuser=True)


def login(client, username, password, *, address=ATTACKER, url=None):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def error_text(response) -> str:
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(e.get_text(" ", strip=True) for e in soup.select(".form-errors, .errornote"))


def fail(client, username, times, *, address=ATTACKER, url=None):
    for _ in range(times):
        response = login(client, username, "wrong", address=address, url=url)
        assert response.status_code == 200, error_text(response)
        assert not logged_in(client)


# The delays ----------------------------------------------------------------------------------


def test_five_failures_are_free_then_the_account_waits_from_that_address(
    client, user, clock, backoff
):
    fail(client, "facilitator", 5)
    response = login(client, "facilitator", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    assert "Wait 30 seconds" in error_text(response)
    clock.advance(30)
    assert login(client, "facilitator", PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_delay_doubles_with_each_further_failure_up_to_the_cap(client, user, clock, backoff):
    fail(client, "facilitator", 5)
    waits = []
    for _ in range(8):
        response = login(client, "facilitator", "wrong")
        assert response.status_code == 429  # still waiting: the password is not checked
        waits.append(int(response["Retry-After"]))
        clock.advance(waits[-1] - 1)
        assert login(client, "facilitator", "wrong").status_code == 429
        clock.advance(1)
        assert login(client, "facilitator", "wrong").status_code == 200  # checked: wrong again
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]


def test_waiting_attempts_do_not_make_the_wait_longer(client, user, clock, backoff):
    fail(client, "facilitator", 5)
    for _ in range(20):
        assert login(client, "facilitator", "wrong").status_code == 429
    clock.advance(30)
    assert login(client, "facilitator", PASSWORD).status_code == 302


def test_the_right_password_from_another_address_is_not_delayed(client, user, clock, backoff):
    fail(client, "facilitator", 5, address=ATTACKER)
    for _ in range(7):
        assert login(client, "facilitator", "wrong", address=ATTACKER).status_code == 429
    response = login(client, "facilitator", PASSWORD, address=OFFICE)
    assert response.status_code == 302
    assert logged_in(client)


def test_other_accounts_behind_the_same_address_are_not_delayed(client, user, clock, backoff):
    colleague = factories.UserFactory(username="collega")
    fail(client, "facilitator", 5, address=OFFICE)
    assert login(client, "facilitator", PASSWORD, address=OFFICE).status_code == 429
    assert login(client, colleague.username, PASSWORD, address=OFFICE).status_code == 302


def test_a_success_clears_the_count_of_that_account_and_address(client, user, clock, backoff):
    fail(client, "facilitator", 4)
    assert login(client, "facilitator", PASSWORD).status_code == 302
    client.logout()
    fail(client, "facilitator", 5)
    assert login(client, "facilitator", PASSWORD).status_code == 429


def test_counts_start_again_in_the_next_window(client, user, clock, settings):
    settings.HB_LOGIN_BACKOFF_ACCOUNT = {"free": 2, "base": 600, "cap": 900, "window": 3600}
    clock.now = 3600 * 1000 + 3000  # ten minutes before the next window
    fail(client, "facilitator", 2)
    assert login(client, "facilitator", PASSWORD).status_code == 429
    clock.advance(600)
    fail(client, "facilitator", 1)  # a new window: one failure is free again
    assert login(client, "facilitator", PASSWORD).status_code == 302


# Spraying one password over many accounts from one address -----------------------------------


def test_the_address_ceiling_delays_every_account_from_that_address(client, user, clock, settings):
    settings.HB_LOGIN_BACKOFF_ACCOUNT = {"free": 5, "base": 30, "cap": 900, "window": 86400}
    settings.HB_LOGIN_BACKOFF_ADDRESS = {"free": 20, "base": 10, "cap": 300, "window": 86400}
    for i in range(20):
        fail(client, f"iemand{i}", 1)
    response = login(client, "facilitator", PASSWORD)
    assert response.status_code == 429
    assert "Wait 10 seconds" in error_text(response)
    assert login(client, "facilitator", PASSWORD, address=OFFICE).status_code == 302
    client.logout()
    clock.advance(10)
    assert login(client, "iemand0", "wrong").status_code == 200
    assert int(login(client, "facilitator", PASSWORD)["Retry-After"]) == 20


def test_a_success_does_not_clear_the_address_count(client, user, clock, settings):
    settings.HB_LOGIN_BACKOFF_ADDRESS = {"free": 3, "base": 10, "cap": 300, "window": 86400}
    for name in ("a", "b"):
        fail(client, name, 1)
    assert login(client, "facilitator", PASSWORD).status_code == 302
    client.logout()
    fail(client, "c", 1)
    assert login(client, "facilitator", PASSWORD).status_code == 429


def test_the_addresses_of_one_ipv6_64_count_as_one(client, user, clock, backoff):
    for i in range(5):
        fail(client, "facilitator", 1, address=f"2001:db8:1:2::{i + 1:x}")
    response = login(client, "facilitator", PASSWORD, address="2001:db8:1:2:ffff::1")
    assert response.status_code == 429
    assert login(client, "facilitator", PASSWORD, address="2001:db8:1:3::1").status_code == 302


# What the person sees -----------------------------------------------------------------------


def test_the_wait_is_told_in_minutes_once_it_is_longer(client, user, clock, backoff):
    fail(client, "facilitator", 5)
    for delay in (30, 60, 120):
        clock.advance(delay)
        fail(client, "facilitator", 1)
    response = login(client, "facilitator", PASSWORD)
    assert "Wait about 4 minutes" in error_text(response)


def test_the_wait_does_not_tell_whether_the_account_exists(client, user, clock, backoff):
    fail(client, "facilitator", 5)
    fail(client, "niemand", 5)
    existing = login(client, "facilitator", PASSWORD)
    missing = login(client, "niemand", PASSWORD)
    assert existing.status_code == missing.status_code == 429
    assert existing["Retry-After"] == missing["Retry-After"]
    assert error_text(existing) == error_text(missing)


def test_the_wait_is_said_in_the_language_of_the_page(client, user, clock, backoff):
    fail(client, "facilitator", 5)
    response = login(client, "facilitator", PASSWORD)
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.html["lang"] == "en"
    alert = soup.select_one(".form-errors[role=alert]")
    assert alert.get_text(" ", strip=True) == (
        "Too many failed attempts. Wait 30 seconds and try again."
    )


# The admin's login ---------------------------------------------------------------------------


def test_the_admin_login_waits_like_ours(client, admin_user, clock, backoff):
    url = reverse("admin:login")
    fail(client, "beheerder", 5, url=url)
    for _ in range(7):
        assert "Wait 30 seconds" in error_text(login(client, "beheerder", "wrong", url=url))
    response = login(client, "beheerder", PASSWORD, url=url)
    assert not logged_in(client)
    assert "Wait 30 seconds" in error_text(response)
    # Another address is not slowed down, and after the wait the right password works.
    assert login(client, "beheerder", PASSWORD, url=url, address=OFFICE).status_code == 302
    client.logout()
    clock.advance(30)
    assert login(client, "beheerder", PASSWORD, url=url).status_code == 302
    assert logged_in(client)


def test_failures_on_the_admin_and_our_login_count_together(client, admin_user, clock, backoff):
    fail(client, "beheerder", 3, url=reverse("admin:login"))
    fail(client, "beheerder", 2)
    response = login(client, "beheerder", PASSWORD, url=reverse("admin:login"))
    assert not logged_in(client)
    assert "Wait 30 seconds" in error_text(response)


# Counts in the cache, turns for parallel requests --------------------------------------------


def test_the_counts_live_in_the_cache_not_in_the_database(client, user, clock, backoff):
    fail(client, "facilitator", 5)
    assert login(client, "facilitator", PASSWORD).status_code == 429
    keys = [k for k in cache._cache if ":hb:login:" in k]
    assert keys
    # No usernames or addresses in the keys.
    assert not any("facilitator" in k or ATTACKER in k for k in keys)
    cache.clear()
    assert login(client, "facilitator", PASSWORD).status_code == 302


def test_an_attempt_being_checked_makes_a_parallel_one_wait(db, clock, backoff):
    first = lockout.begin(username="facilitator", address=ATTACKER)
    assert first.wait == 0
    parallel = lockout.begin(username="facilitator", address=ATTACKER)
    assert parallel.wait > 0
    # Elsewhere, nothing waits.
    elsewhere = lockout.begin(username="facilitator", address=OFFICE)
    assert elsewhere.wait == 0
    lockout.failed(first)
    lockout.succeeded(elsewhere)
    after = lockout.begin(username="facilitator", address=ATTACKER)
    assert after.wait == 0


def test_a_parallel_attempt_that_read_the_old_count_gets_no_extra_guess(
    db, clock, backoff, monkeypatch
):
    for _ in range(5):
        lockout.failed(lockout.begin(username="facilitator", address=ATTACKER))
    clock.advance(30)
    checking = lockout.begin(username="facilitator", address=ATTACKER)
    assert checking.wait == 0
    # A second request read the count and the time before the first one's failure was
    # counted, and claims its turn only after the first let it go.
    stale = lockout._scopes("facilitator", ATTACKER, clock())
    lockout.failed(checking)
    monkeypatch.setattr(lockout, "_scopes", lambda *args: stale)
    assert lockout.begin(username="facilitator", address=ATTACKER).wait > 0
