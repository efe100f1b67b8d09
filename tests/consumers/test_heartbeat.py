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
    ("page_seq", "overdue", "whole"),
    [
        pytest.param(10, False, False, id="up to date"),
        pytest.param(9, False, False, id="a push on its way since the last heartbeat"),
        pytest.param(8, False, True, id="a push from before the last heartbeat never came"),
        pytest.param(11, False, True, id="the page knows more than this socket sent"),
        pytest.param(10, True, True, id="a change whose bell was lost"),
        pytest.param("10", False, True, id="not a number"),
        pytest.param(True, False, True, id="a boolean is not a number"),
        pytest.param(None, False, True, id="no number"),
    ],
)
def test_a_heartbeat_gets_the_whole_card_only_when_the_page_may_miss_something(
    page_seq, overdue, whole
):
    # The socket sent up to 10; by the previous heartbeat it had sent up to 9.
    assert (
        heartbeat_wants_whole_card(page_seq=page_seq, sent=10, page_had=9, overdue=overdue) is whole
    )
