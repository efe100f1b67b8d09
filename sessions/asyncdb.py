"""PostgreSQL from the event loop itself, for the one statement on the hottest path of a live
kaart: a participant's bijdrage added in one call (services.at_once). Every other query goes
through the ORM on a database thread (consumers.edge.database_work).

A hop to a database thread and back is paid in the event loop, which every frame and bell of
the process goes through, and the thread's Python holds the lock the loop needs; awaiting the
call on a connection of the loop's own takes neither (bench/README.md, "Tenth round").

Each event loop keeps up to CONNECTIONS connections of its own, opened when first needed,
autocommitting (the call is one statement, its own transaction). A connection that fails is
closed and not used again; the error reaches the caller as Django's own (DatabaseError and its
kinds), as it would from the ORM.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

CONNECTIONS = 4


class _Connections:
    """One event loop's connections: those not in use, and a slot for each it may have."""

    def __init__(self) -> None:
        # A wrapper of its own: `django.db.connection` in the event loop is a wrapper per
        # socket (per asyncio context), each kept as long as its socket. It gives what Django
        # connects with (its test database in the tests) and turns psycopg's errors into
        # Django's, as the ORM would.
        self.django = connections.create_connection(DEFAULT_DB_ALIAS)
        self.params = self.django.get_connection_params()
        self.params.pop("cursor_factory", None)  # Django's is for its sync cursors
        self.idle: list[psycopg.AsyncConnection] = []
        self.slots = asyncio.Semaphore(CONNECTIONS)
        self.all: set[psycopg.AsyncConnection] = set()


_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Connections] = (
    weakref.WeakKeyDictionary()
)


def _mine() -> _Connections:
    loop = asyncio.get_running_loop()
    mine = _loops.get(loop)
    if mine is None:
        mine = _loops[loop] = _Connections()
    return mine


async def fetchone(query: str, params: Sequence[Any]) -> tuple | None:
    """The first row of `query`, run on one of this event loop's connections (prepared on
    the server after its first call on a connection)."""
    mine = _mine()
    async with mine.slots:
        conn = mine.idle.pop() if mine.idle else None
        try:
            with mine.django.wrap_database_errors:
                if conn is None:
                    conn = await psycopg.AsyncConnection.connect(autocommit=True, **mine.params)
                    mine.all.add(conn)
                async with conn.cursor() as cursor:
                    await cursor.execute(query, params, prepare=True)
                    row = await cursor.fetchone()
        except BaseException:  # failed or cancelled mid-call: the connection's state is unknown
            if conn is not None:
                mine.all.discard(conn)
                await conn.close()
            raise
        mine.idle.append(conn)
        return row


async def close() -> None:
    """Close this event loop's connections (before the loop ends: a test's)."""
    mine = _loops.pop(asyncio.get_running_loop(), None)
    if mine is not None:
        for conn in list(mine.all):
            await conn.close()


def close_ended() -> None:
    """Close the connections of the event loops that have ended (the tests run one per test;
    a server's lasts as long as its process)."""
    for loop, mine in list(_loops.items()):
        if loop.is_closed():
            del _loops[loop]
            for conn in mine.all:
                conn.pgconn.finish()  # the loop that could await its close is gone
