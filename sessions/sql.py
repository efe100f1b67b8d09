"""Statements written out, for the few reads and writes on the hot path of a live kaart (every
change, every heartbeat, every picture window), where building them through the ORM cost
several times the database's own work (bench/README.md, "The push path"). Everything else
goes through the ORM."""

from __future__ import annotations

from typing import Any

from django.db import connection


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
