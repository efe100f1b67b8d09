"""Counting attempts per key in the cache: joining by link (logins: sessions.lockout).

With REDIS_URL the cache is Redis, shared by all processes; otherwise each process counts on
its own (the embedded default).
"""

from __future__ import annotations

from django.core.cache import cache


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt for `key`; True while at most `limit` attempts fell in `window` s."""
    cache_key = f"hb:rl:{key}"
    if cache.add(cache_key, 1, timeout=window):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window)
        return True
    return count <= limit


def client_ip(request) -> str:
    """The address the request came from (REMOTE_ADDR; daphne --proxy-headers sets it from
    X-Forwarded-For behind the proxy)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
