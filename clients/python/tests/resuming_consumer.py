"""A consumer that resumes where it stopped: run by test_resume.py as its own process.

    resuming_consumer.py TARGET TOKEN STATE_DIR MAX_BATCH STOP_AFTER

Subscribes as the token's principal (purpose "audit") from the checkpoint stored in
STATE_DIR/checkpoint (1 without one) up to the head. For each item it appends the event's
position to STATE_DIR/received, then stores the item's checkpoint (replacing the file
atomically), the way a consumer that handles each event once would. After STOP_AFTER events
(0: never) it prints "stopped" and waits on stdin for the test to kill it.
"""

import os
import sys

from hotspot_client import Client


def main(target, token, state, max_batch, stop_after):
    checkpoint_file = os.path.join(state, "checkpoint")
    start = 1
    if os.path.exists(checkpoint_file):
        with open(checkpoint_file) as f:
            start = int(f.read())
    handled = 0
    with Client(target, token, purpose="audit") as hotspot, \
            open(os.path.join(state, "received"), "a") as received:
        for event, checkpoint in hotspot.subscribe(from_position=start, max_batch=max_batch,
                                                   until_caught_up=True):
            if event is not None:
                received.write(f"{event.position}\n")
                received.flush()
            with open(checkpoint_file + ".new", "w") as f:
                f.write(str(checkpoint))
            os.replace(checkpoint_file + ".new", checkpoint_file)
            if event is not None:
                handled += 1
                if handled == stop_after:
                    print("stopped", flush=True)
                    sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
