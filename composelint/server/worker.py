"""The other process of composelint/server/beside.py: ``python -m composelint.server.worker ROOT``."""

from __future__ import annotations

import select
import sys
from pathlib import Path

from composelint.forked import read_frame, write_frame
from composelint.server.beside import RULES

COLLECT_IDLE = 1.0  # seconds
COLLECT_EVERY = 50  # runs


def serve(root: Path, stdin, stdout) -> None:
    """The process's loop: one answer per request, until the input ends."""
    import gc

    gc.disable()  # as the server: no collector pass over the model mid-run (collected between runs)
    session = None
    runs = 0
    while True:
        try:
            request = read_frame(stdin)
        except EOFError:
            return
        if session is None:
            # Imported once the first request is read: the server's write of it waits for this read.
            from composelint.engine import rules_beside
            from composelint.server.session import Outcome, Session

            session = Session.open(root)
        for event in request["events"]:
            session.apply(event)
        changes = session.changes
        try:
            project = session.build(request["buffers"])
            payload = rules_beside(project, session.config, RULES)
            session.remember(Outcome({}, project, session.overridden, 0.0, changes))
        except Exception:  # noqa: BLE001 - the server runs these rules itself
            payload = None
            session.changes += 1  # carry nothing from a run that did not finish (as Session.lint)
        write_frame(stdout, payload)
        session.settle()  # the last model is freed once the server has its answer
        runs += 1
        # The cycles each run leaves (~6 MB at 1,000 services) are collected once the editor pauses
        # (no request for COLLECT_IDLE s), or after COLLECT_EVERY runs without a pause: not while the
        # server may be waiting for an answer.
        if runs >= COLLECT_EVERY or not select.select([stdin], [], [], COLLECT_IDLE)[0]:
            gc.collect()
            runs = 0


if __name__ == "__main__":
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may land among the answers
    serve(Path(sys.argv[1]), sys.stdin.buffer, answers)
