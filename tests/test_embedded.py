"""The embedded default (SQLite) under concurrent writers: two requests that each read, then
write, in one transaction both succeed (the live server runs several at once: a poll that
records presence beside a change)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection, transaction

from sessions.models import Team

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_transactions_that_read_then_write_at_once_both_succeed():
    meeting = threading.Barrier(2)
    errors: list[Exception] = []

    def read_then_write(name: str) -> None:
        try:
            with transaction.atomic():
                Team.objects.count()  # a read first, as every change does
                # Both have read; now both write. (Where the database lets the second begin
                # only after the first ends, the meeting does not happen.)
                with contextlib.suppress(threading.BrokenBarrierError):
                    meeting.wait(timeout=1)
                Team.objects.create(name=name)
        except Exception as error:  # noqa: BLE001 - the test reports what went wrong
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=read_then_write, args=(n,)) for n in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert set(Team.objects.values_list("name", flat=True)) >= {"A", "B"}
