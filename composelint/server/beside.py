"""A second process for the language server: the image and start-command rules of each run, on the
second core, while the server runs the other rules.

The CLI forks a child once the model is built (composelint/forked.py); the server cannot, its I/O
and worker threads make ``fork`` unsafe. Instead it starts composelint/server/worker.py as a
process of its own (``python -m composelint.server.worker ROOT``) with a Session on the same root:
each run, the server sends the buffers (and what it learned of the disk since: files added or
removed, files changed, the configuration) before it builds its model; both build the same
model from the same buffers and disk, each with its own warm parse cache, and that process runs
the image and start-command rules and a few others (RULES, ``engine.rules_beside``) while the server runs the
rest.

Both processes read the disk for a run at about the same time; a file changed between their reads
makes that one run mix two versions, and the next run reads it again in both (the build compares
every compose file and Dockerfile, the carry every other file it keeps: see session.py).

A speed-up, never a source of other findings: whatever goes wrong here (the process fails to start,
dies, is still busy with an older run when a run starts, answers for other rules), the server
runs those rules itself (engine.run's ``beside``). The frames are length-prefixed ``marshal``
values, never pickles. The process ends when the server closes its input (or dies).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

from composelint.forked import cpus, one_process_asked, read_frame, write_frame

# What that process runs (engine.rules_beside: family digits and rule codes): the image and start-command
# families, as the CLI's fork, with the cheap image rules the CLI keeps out of its fork (engine.UNFORKED: a
# balance measured at 10,000 services), and three service rules that read each deployed service alone
# (no service graph, no image): at 1,000 services, once the edited file was parsed by blocks, that process
# answered ~15 ms before the server's own rules ended, and these take ~15 ms (interleaved runs of
# benchmarks/server.py: median 164/172/177 -> 146/158/155 ms; a warm Session.lint 143/145 -> 127/131 ms).
# More did not pay: with CL303 as well the server waited ~8 ms for the answer, with CL304-CL306, CL308 and
# CL309 ~20 ms, with CL005 (~2,300 findings to send back) ~55 ms.
RULES = frozenset(("2", "4", "CL301", "CL302", "CL307"))


def available() -> bool:
    """POSIX (the pipes are polled with ``select``), more than one CPU, and not asked for one process."""
    return os.name == "posix" and not one_process_asked() and cpus() >= 2


class Beside:
    """The server's end: the process, and how many of its answers are still to come."""

    def __init__(self, root: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "composelint.server.worker", str(root)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, bufsize=0)
        self.outstanding = 0  # requests sent whose answer was not read yet
        self.failed = False
        self.used = 0  # answers a run took (for tests and benchmarks)

    def idle(self) -> bool:
        """Whether every answer is in (those of runs nobody waited for are read and dropped)."""
        while self.outstanding and not self.failed:
            ready, _, _ = select.select([self.process.stdout], [], [], 0)
            if not ready:
                return False
            self._answer()
        return not self.failed

    def send(self, buffers: dict, events: list) -> "_Pending":
        try:
            write_frame(self.process.stdin, {"buffers": buffers, "events": events})
            self.outstanding += 1
        except (OSError, ValueError):
            self.failed = True
        return _Pending(self)

    def _answer(self):
        try:
            payload = read_frame(self.process.stdout)
        except (OSError, ValueError, EOFError, TypeError):
            payload = None
        self.outstanding -= 1
        if payload is None:
            self.failed = True
        return payload

    def close(self) -> None:
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _Pending:
    """One request's answer: engine.rules_beside's payload, or None when the process failed."""

    rules = RULES

    def __init__(self, beside: Beside):
        self.beside = beside
        self.payload = None
        self.done = False

    def result(self):
        if not self.done:
            self.done = True
            beside = self.beside
            if not beside.failed and beside.outstanding == 1:  # older answers were drained by idle()
                self.payload = beside._answer()
                beside.used += self.payload is not None
        return self.payload
