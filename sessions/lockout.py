"""Login lockout: a growing delay per account and address, and a far higher ceiling per address.

Every login form checks here before the password (sessions.forms.LockoutMixin). Failures are
counted in the cache (Redis when there is one, so all processes share the counts) in two scopes:

- the account together with the address it is tried from: after `free` failures each further
  attempt waits base, 2·base, 4·base, … seconds after the last failure, at most `cap`. Someone
  trying elsewhere (the account's owner at the office) is not slowed by these failures;
- the address, across all accounts: the same with a much higher `free`, against trying one
  password on many accounts.

Counts start again every `window` seconds (a day: at midnight UTC); a successful login clears
the account-and-address count, not the address's. An attempt that may go ahead claims a turn (a
cache `add`) until it is decided, so parallel requests get no guesses beyond their turn: always
for the account and address, and for the address alone once it is past its `free` failures (so
colleagues behind one address log in side by side).

Whether the account exists makes no difference: the username is counted as typed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

# The clock the delays are measured with; tests replace it.
clock = time.time

# How long a turn stays claimed when its attempt never finishes (a crash in between).
TURN_SECONDS = 30
# The wait shown to a request that found another attempt of the same scope being checked.
BUSY_SECONDS = 5


@dataclass(frozen=True)
class Backoff:
    """After `free` failures, each attempt waits base·2^k seconds after the last, at most `cap`;
    counts start again every `window` seconds."""

    free: int
    base: int
    cap: int
    window: int

    def delay(self, failures: int) -> int:
        """Seconds to wait after the last failure, with `failures` counted."""
        if failures < self.free:
            return 0
        return min(self.cap, self.base * 2 ** min(failures - self.free, 32))


def account_backoff() -> Backoff:
    return Backoff(**settings.HB_LOGIN_BACKOFF_ACCOUNT)


def address_backoff() -> Backoff:
    return Backoff(**settings.HB_LOGIN_BACKOFF_ADDRESS)


@dataclass(frozen=True)
class _Scope:
    key: str
    backoff: Backoff
    # The account-and-address scope: every attempt takes a turn, and a success clears it.
    per_account: bool
    failures: int = 0
    last_failure: float | None = None


@dataclass(frozen=True)
class Attempt:
    """The outcome of `begin`: wait this many seconds, or (wait == 0) check the password and
    report the result with `failed` or `succeeded`."""

    wait: int = 0
    scopes: tuple[_Scope, ...] = ()
    turns: tuple[str, ...] = ()


def network(address: str) -> str:
    """The unit an address is counted in: an IPv4 address, or the /64 of an IPv6 address (one
    subscriber gets a whole /64 and could otherwise count as billions of addresses)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _key(kind: str, *parts: str) -> str:
    # Hashed: no usernames or addresses in the cache, and any input makes a valid key.
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"hb:login:{kind}:{digest[:32]}"


def _scopes(username: str, address: str, now: float) -> list[_Scope]:
    """Both scopes of a login, with the failures counted in each so far and the last one's time."""
    where = network(address)
    scopes = [
        _Scope(_key("account", username.casefold(), where), account_backoff(), True),
        _Scope(_key("address", where), address_backoff(), False),
    ]
    return [
        _Scope(s.key, s.backoff, s.per_account, _failures(s, now), cache.get(f"{s.key}:at"))
        for s in scopes
    ]


def _count_key(scope: _Scope, now: float) -> str:
    return f"{scope.key}:n:{int(now // scope.backoff.window)}"


def _failures(scope: _Scope, now: float) -> int:
    return cache.get(_count_key(scope, now), 0)


def _wait(scope: _Scope, now: float) -> int:
    if scope.failures < scope.backoff.free or scope.last_failure is None:
        return 0
    return max(0, math.ceil(scope.last_failure + scope.backoff.delay(scope.failures) - now))


def begin(*, username: str, address: str) -> Attempt:
    """May a login for `username` from `address` be checked now? If so, its turn is claimed."""
    now = clock()
    scopes = _scopes(username, address, now)
    wait = max(_wait(scope, now) for scope in scopes)
    if wait:
        return Attempt(wait=wait)
    turns: list[str] = []
    for scope in scopes:
        if not (scope.per_account or scope.failures >= scope.backoff.free):
            continue
        turn = f"{scope.key}:turn:{scope.failures}"
        claimed = cache.add(turn, 1, timeout=TURN_SECONDS)
        # Claimed after a failure was counted (and its turn let go): not this attempt's turn.
        if claimed and _failures(scope, now) != scope.failures:
            cache.delete(turn)
            claimed = False
        if not claimed:
            cache.delete_many(turns)
            return Attempt(wait=max(BUSY_SECONDS, scope.backoff.delay(scope.failures + 1)))
        turns.append(turn)
    return Attempt(scopes=tuple(scopes), turns=tuple(turns))


def failed(attempt: Attempt) -> None:
    """The password (or the account) was wrong: count a failure in every scope."""
    now = clock()
    for scope in attempt.scopes:
        window = scope.backoff.window
        count = _count_key(scope, now)
        # The time first, then the count: whoever sees the new count sees its time.
        cache.set(f"{scope.key}:at", now, timeout=window)
        if not cache.add(count, 1, timeout=window):
            try:
                cache.incr(count)
            except ValueError:  # expired between add and incr
                cache.add(count, 1, timeout=window)
    release(attempt)


def succeeded(attempt: Attempt) -> None:
    """Logged in: the account starts again from this address; the address keeps its count."""
    now = clock()
    for scope in attempt.scopes:
        if scope.per_account:
            cache.delete_many([_count_key(scope, now), f"{scope.key}:at"])
    release(attempt)


def release(attempt: Attempt) -> None:
    """Let the next attempt have its turn (also when this one ended without an answer)."""
    cache.delete_many(list(attempt.turns))
