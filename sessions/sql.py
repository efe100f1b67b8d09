"""Statements written out, for the few reads and writes on the hot path of a live kaart (every
change, every heartbeat, every picture window), where building them through the ORM cost
several times the database's own work (bench/README.md, "The push path"). Everything else
goes through the ORM."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction


def row(query: str, params: list[Any]) -> tuple | None:
    """The first row of `query`, or None."""
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()


def rows(query: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def for_update() -> str:
    """` FOR UPDATE` where the database locks rows that way (not SQLite, which locks all)."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


@contextmanager
def snapshot() -> Iterator[None]:
    """Reads that all see the database at one moment. PostgreSQL by default gives each
    statement its own moment: a whole kaart read while a change commits could hold the
    change's number but not its item, and the change's own push would then be skipped as sent
    (REPEATABLE READ gives the transaction one). Inside a transaction already: as it is."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
