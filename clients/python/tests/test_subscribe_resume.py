"""Subscriptions resume exactly where the consumer stopped, also in the middle of a batch (issue
15 §7): each event's checkpoint is its own position + 1, and progress past the events the filters
leave out comes as an item of its own, (None, checkpoint)."""

import os
import select
import signal
import subprocess
import sys

from hotspot_client import Client
from hotspot.v1 import subscription_service_pb2

CONSUMER = os.path.join(os.path.dirname(__file__), "resuming_consumer.py")
MAX_BATCH = 10000  # the whole demo log in one batch
STOP_AFTER = 7


def auditor(server):
    """An auditor of every area: receives every event of the log, and its checkpoints move past
    the events its filters leave out."""
    return Client(server["target"], server["tokens"]["auditor-all"], purpose="audit")


def consumer(server, state, stop_after):
    return subprocess.Popen(
        [sys.executable, CONSUMER, server["target"], server["tokens"]["auditor-all"], str(state),
         str(MAX_BATCH), str(stop_after)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_a_consumer_killed_in_the_middle_of_a_batch_resumes_at_its_next_event(hotspotd_every_area, tmp_path):
    with auditor(hotspotd_every_area) as hotspot:
        everything = [e.position for e, _ in hotspot.subscribe(max_batch=MAX_BATCH,
                                                               until_caught_up=True) if e]
        assert everything == list(range(1, len(everything) + 1))
        # The kill falls inside the first response: it holds more than STOP_AFTER events.
        request = subscription_service_pb2.SubscribeRequest(from_position=1, max_batch=MAX_BATCH)
        responses = hotspot.subscriptions.Subscribe(
            request, metadata=hotspot._metadata("Subscribe", None))
        first = next(responses)
        responses.cancel()
    assert len(first.events) > STOP_AFTER + 1

    run = consumer(hotspotd_every_area, tmp_path, STOP_AFTER)
    try:
        ready, _, _ = select.select([run.stdout], [], [], 60)
        assert ready and run.stdout.readline() == "stopped\n"
        run.send_signal(signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        run.stdin.close()
        run.stdout.close()
    stored = int((tmp_path / "checkpoint").read_text())
    assert stored == everything[STOP_AFTER - 1] + 1
    assert stored < first.checkpoint  # the batch's own checkpoint would skip the rest of it

    run = consumer(hotspotd_every_area, tmp_path, 0)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 0 and out == ""
    received = [int(p) for p in (tmp_path / "received").read_text().split()]
    assert received == everything  # every position once, in order, across the two runs
    assert int((tmp_path / "checkpoint").read_text()) == everything[-1] + 1


def test_progress_past_the_events_the_filters_leave_out_is_an_item_of_its_own(hotspotd_every_area):
    with auditor(hotspotd_every_area) as hotspot:
        log = [e for e, _ in hotspot.subscribe(until_caught_up=True) if e]
        head = log[-1].position
        # The type of the log's first event (the demo's setup, not repeated at its end).
        first_type = [log[0].type]
        items = list(hotspot.subscribe(event_types=first_type, until_caught_up=True))
        events = [(e, c) for e, c in items if e]
        assert events and all(e.type == first_type[0] for e, _ in events)
        assert all(c == e.position + 1 for e, c in events)
        checkpoints = [c for _, c in items]
        assert checkpoints == sorted(checkpoints)
        # The log goes on past the last such event: that progress ends the subscription's items.
        assert events[-1][0].position < head
        assert items[-1] == (None, head + 1)
        # Resuming from it examines nothing again.
        assert list(hotspot.subscribe(from_position=head + 1, event_types=first_type,
                                      until_caught_up=True)) == [(None, head + 1)]
