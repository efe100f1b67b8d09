"""When a page gets the whole card (sessions/consumers/heartbeat.py), number by number."""

import pytest

from sessions.consumers.heartbeat import already_sent, bell_missed, heartbeat_wants_whole_card


def test_a_bell_for_a_change_in_a_whole_card_sent_before_is_skipped():
    assert already_sent(7, sent=7) and already_sent(3, sent=7)
    assert not already_sent(8, sent=7)


def test_a_bell_that_skips_a_number_brings_the_whole_card():
    assert not bell_missed(8, sent=7)
    assert bell_missed(9, sent=7)


@pytest.mark.parametrize(
    ("page_seq", "overdue", "page_before", "whole"),
    [
        pytest.param(10, False, None, False, id="up to date"),
        pytest.param(9, False, None, False, id="a push on its way since the last heartbeat"),
        pytest.param(8, False, None, True, id="a push from before the last heartbeat never came"),
        pytest.param(8, False, 8, True, id="...and the page's number has not moved since"),
        pytest.param(8, False, 6, False, id="...but pushes still arrive (a queue, under load)"),
        pytest.param(11, False, None, True, id="the page knows more than this socket sent"),
        pytest.param(11, False, 6, True, id="...even while pushes arrive"),
        pytest.param(10, True, None, True, id="a change whose bell was lost"),
        pytest.param("10", False, None, True, id="not a number"),
        pytest.param(True, False, None, True, id="a boolean is not a number"),
        pytest.param(None, False, None, True, id="no number"),
        pytest.param(-1, False, -5, True, id="a number below 0, even one that moved"),
    ],
)
def test_a_heartbeat_gets_the_whole_card_only_when_the_page_may_miss_something(
    page_seq, overdue, page_before, whole
):
    # The socket sent up to 10; by the previous heartbeat it had sent up to 9.
    assert (
        heartbeat_wants_whole_card(
            page_seq=page_seq, sent=10, page_had=9, overdue=overdue, page_before=page_before
        )
        is whole
    )


@pytest.mark.parametrize(
    ("sent_before", "whole"),
    [
        pytest.param(None, True, id="first heartbeat"),
        pytest.param(10, True, id="nothing sent since the previous heartbeat: a lost bell"),
        pytest.param(7, False, id="bells still come: a queue under load, not a lost bell"),
    ],
)
def test_a_change_missing_from_the_pushes_brings_the_whole_card_unless_bells_still_come(
    sent_before, whole
):
    assert (
        heartbeat_wants_whole_card(
            page_seq=10, sent=10, page_had=10, overdue=True, sent_before=sent_before
        )
        is whole
    )
