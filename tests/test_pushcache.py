"""The per-process cache of pushed regions (sessions.pushcache): rendered once for everyone who
sees a change alike, never one person's HTML for another, and a failed render not kept."""

from __future__ import annotations

import asyncio

from sessions.pushcache import PushCache, Trailing


class Renderer:
    def __init__(self, fail: bool = False):
        self.calls: list[list[str]] = []
        self.fail = fail

    async def __call__(self, missing: list[str]) -> dict[str, str]:
        self.calls.append(missing)
        await asyncio.sleep(0.01)
        if self.fail:
            raise ConnectionError("database away")
        return {region: f"<{region} v{len(self.calls)}>" for region in missing}


async def test_sockets_that_see_a_change_alike_share_one_render():
    cache, render = PushCache(), Renderer()
    html = await asyncio.gather(
        *(cache.html(["partij:1", "seq"], lambda r: (7, r, "alike"), render) for _ in range(5))
    )
    assert html == ["<partij:1 v1><seq v1>"] * 5
    assert render.calls == [["partij:1", "seq"]]


async def test_another_audience_gets_its_own_render_of_what_differs():
    cache, render = PushCache(), Renderer()
    own = await cache.html(["partij:1", "seq"], lambda r: (7, r, "own" * (r != "seq")), render)
    other = await cache.html(["partij:1", "seq"], lambda r: (7, r, "x" * (r != "seq")), render)
    assert own == "<partij:1 v1><seq v1>"
    assert other == "<partij:1 v2><seq v1>"  # the shared seq region is not rendered again
    assert render.calls == [["partij:1", "seq"], ["partij:1"]]


async def test_a_failed_render_reaches_every_waiting_socket_and_is_not_kept():
    cache, failing = PushCache(), Renderer(fail=True)
    results = await asyncio.gather(
        *(cache.html(["seq"], lambda r: (7, r), failing) for _ in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(result, ConnectionError) for result in results)
    assert await cache.html(["seq"], lambda r: (7, r), Renderer()) == "<seq v1>"


async def test_entries_expire():
    cache, render = PushCache(ttl=0.05), Renderer()
    await cache.html(["seq"], lambda r: (7, r), render)
    await asyncio.sleep(0.1)
    await cache.html(["seq"], lambda r: (7, r), render)
    assert len(render.calls) == 2


async def test_the_cache_stays_bounded():
    cache, render = PushCache(max_entries=3), Renderer()
    for seq in range(10):
        await cache.html(["seq"], lambda r, seq=seq: (seq, r), render)
    assert len(cache._entries) <= 4  # the bound, plus the entry just added


def test_what_one_event_loop_rendered_is_not_served_in_the_next():
    """Tests run an event loop each and reuse ids (SQLite): a region a finished loop rendered
    must not reach a socket of the next, whose kaart with the same id is another."""
    cache, render = PushCache(), Renderer()

    async def push() -> str:
        return await cache.html(["seq"], lambda r: (1, 1, r), render)

    assert asyncio.run(push()) == "<seq v1>"
    assert asyncio.run(push()) == "<seq v2>"
    assert render.calls == [["seq"], ["seq"]]


def test_a_window_left_open_by_a_finished_event_loop_does_not_hold_the_next():
    trailing = Trailing()

    async def left_open() -> None:
        asyncio.get_running_loop().create_task(trailing.window("tafel", 60))
        await asyncio.sleep(0)

    async def next_window() -> int:
        return await asyncio.wait_for(trailing.window("tafel", 0), timeout=2)

    asyncio.run(left_open())
    assert asyncio.run(next_window()) == 2
