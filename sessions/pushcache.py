"""Per process: the HTML of a pushed region, rendered once for everyone who sees it alike.

A change rings the bell of every socket of a tafel. Most of them see the changed regions the
same way (the same language, role and edit rights; see KaartConsumer._audience), so the first
socket of this process renders a region and the others take its HTML. Entries are keyed by the
change's sequence number, so nothing older than the change can be served, and live a few
seconds: long enough for every socket of the process to take its bell.

Single flight: a socket that asks for a region another socket is rendering awaits that render.
A failed render (the database away) is not kept; each waiting socket gets its error.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable

TTL_SECONDS = 5.0
MAX_ENTRIES = 2000

Render = Callable[[list[str]], Awaitable[dict]]


class PushCache:
    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, asyncio.Future]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def html(
        self, regions: Iterable[str], key_of: Callable[[str], Hashable], render: Render
    ) -> str:
        """The HTML of `regions` in order; `render(missing)` renders those nobody has yet and
        returns them by region name."""
        return "".join(await self.values(regions, key_of, render))

    async def values(
        self, regions: Iterable[str], key_of: Callable[[str], Hashable], render: Render
    ) -> list:
        """What `render` gives for each of `regions` (the HTML, or its pieces), in order."""
        self._expire()
        loop = asyncio.get_running_loop()
        futures: dict[str, asyncio.Future] = {}
        missing: list[str] = []
        for region in dict.fromkeys(regions):
            key = key_of(region)
            entry = self._entries.get(key)
            if entry is not None and entry[1].get_loop() is not loop:
                entry = None  # left by an event loop that has ended (tests run one per test)
            if entry is None:
                future = loop.create_future()
                self._entries[key] = (time.monotonic(), future)
                missing.append(region)
                self.misses += 1
            else:
                future = entry[1]
                self.hits += 1
            futures[region] = future
        if missing:
            try:
                rendered = await render(missing)
            except BaseException as error:
                for region in missing:
                    self._entries.pop(key_of(region), None)
                    future = futures[region]
                    if not future.done():
                        future.set_exception(error)
                        future.exception()  # retrieved: waiting sockets re-raise it themselves
                raise
            for region in missing:
                futures[region].set_result(rendered[region])
        return [await futures[region] for region in futures]

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.ttl
        while self._entries:
            key, (created, future) = next(iter(self._entries.items()))
            if created >= cutoff and len(self._entries) <= self.max_entries:
                break
            if not future.done() and created >= cutoff:
                break  # still rendering: its waiters need it
            del self._entries[key]


cache = PushCache()


class Trailing:
    """Per process: for each key, one moment `delay` seconds after the first who asks; who
    asks meanwhile waits for the same moment and is told the same window number (so that the
    push of that window is rendered once per audience, through the cache above)."""

    def __init__(self) -> None:
        self._due: dict[Hashable, tuple[int, asyncio.Future]] = {}
        self._windows = 0

    async def window(self, key: Hashable, delay: float) -> int:
        loop = asyncio.get_running_loop()
        entry = self._due.get(key)
        if entry is not None and entry[1].get_loop() is not loop:
            entry = None  # left by an event loop that has ended (tests run one per test)
        if entry is None:
            self._windows += 1
            entry = (self._windows, loop.create_future())
            self._due[key] = entry
            loop.call_later(delay, self._fire, key, entry)
        await asyncio.shield(entry[1])
        return entry[0]

    def _fire(self, key: Hashable, entry: tuple[int, asyncio.Future]) -> None:
        if self._due.get(key) is entry:
            del self._due[key]
        if not entry[1].done():
            entry[1].set_result(None)


pictures = Trailing()
activity = Trailing()
