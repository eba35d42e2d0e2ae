"""Run a function in a forked copy of this process, its result brought back through a pipe.

The engine uses it to run one group of rules beside another on a second core once the model
is built: the fork shares the finished model (copy-on-write), so nothing is sent to the child,
and the child sends back only plain values (``marshal``, never a pickle). Whatever goes wrong
in the child (an exception, a signal, a truncated result), ``result()`` returns None and the
caller does the work itself: a fork is a speed-up, never a source of different findings.
"""

from __future__ import annotations

import marshal
import os
import sys
from typing import Callable


def available() -> bool:
    """Whether forking is possible, safe and worth it here: POSIX ``fork``, no other thread (a
    program that embeds composelint may run some; a forked child would inherit their locks), and
    a second CPU to run on."""
    if not hasattr(os, "fork") or sys.platform == "win32":
        return False
    threading = sys.modules.get("threading")  # never imported: no thread was started through it
    if threading is not None and threading.active_count() > 1:
        return False
    if _os_threads() > 1:  # started outside `threading`: a C extension's or a Go runtime's threads
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus >= 2


def _os_threads() -> int:
    """Threads of this process as the OS counts them (1 where it cannot be known)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


class ForkedCall:
    """``function()`` running in a child process from construction until ``result()``."""

    def __init__(self, function: Callable[[], object]):
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no memory or process slots for a child: the caller works alone
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:
            os.close(read_fd)
            status = 1
            try:
                data = marshal.dumps(function())
                with os.fdopen(write_fd, "wb") as stream:
                    stream.write(data)
                status = 0
            except BaseException:  # noqa: BLE001 - the parent redoes the work; a child never reports
                pass
            finally:
                # No atexit handlers, no flushing of buffers inherited from the parent, no
                # interpreter teardown of the model: the parent owns all of that.
                os._exit(status)
        os.close(write_fd)
        self._pid = pid
        self._read_fd = read_fd

    def result(self) -> object | None:
        """The function's value, or None when the child did not deliver it whole."""
        try:
            with os.fdopen(self._read_fd, "rb") as stream:
                data = stream.read()
        finally:
            _, status = os.waitpid(self._pid, 0)
        if status != 0:
            return None
        try:
            return marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None
