"""Run a function in a forked copy of this process, its result brought back through a pipe.

The engine uses it to run one group of rules beside another on a second core once the model
is built: the fork shares the finished model (copy-on-write), so nothing is sent to the child,
and the child sends back only plain values (``marshal``, never a pickle). Whatever goes wrong
in the child (an exception, a signal, a truncated result), ``result()`` returns None and the
caller does the work itself: a fork is a speed-up, never a source of different findings.
:class:`ForkedStream` is the same for a sequence of values, read while the child makes the next
ones (the YAML parsed ahead of the model build, composelint/parsers/yaml_ahead.py).
``COMPOSELINT_NO_FORK=1`` keeps every run in one process.
"""

from __future__ import annotations

import marshal
import os
import sys
from typing import BinaryIO, Callable, Iterable


def available() -> bool:
    """Whether forking is possible, safe and worth it here: POSIX ``fork``, no other thread (a
    program that embeds composelint may run some; a forked child would inherit their locks), and
    a second CPU to run on."""
    if not hasattr(os, "fork") or sys.platform == "win32" or one_process_asked():
        return False
    threading = sys.modules.get("threading")  # never imported: no thread was started through it
    if threading is not None and threading.active_count() > 1:
        return False
    if _os_threads() > 1:  # started outside `threading`: a C extension's or a Go runtime's threads
        return False
    return cpus() >= 2


def one_process_asked() -> bool:
    """``COMPOSELINT_NO_FORK`` set to anything but empty, 0, false, no or off: no second process of any
    kind (a CI runner short of memory or processes)."""
    return os.environ.get("COMPOSELINT_NO_FORK", "").strip().lower() not in ("", "0", "false", "no", "off")


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _os_threads() -> int:
    """Threads of this process as the OS counts them (1 where it cannot be known)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _fork(send: Callable[[BinaryIO], None]) -> tuple[int, int]:
    """A child that runs ``send(pipe)`` and exits; the child's pid and the pipe's reading end."""
    read_fd, write_fd = os.pipe()
    try:
        # A larger pipe (Linux: 64 KiB by default) lets a child run ahead of its reader by a few values.
        import fcntl

        fcntl.fcntl(write_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass
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
            with os.fdopen(write_fd, "wb") as stream:
                send(stream)
            status = 0
        except BaseException:  # noqa: BLE001 - the parent redoes the work; a child never reports
            pass
        finally:
            # No atexit handlers, no flushing of buffers inherited from the parent, no
            # interpreter teardown of the model: the parent owns all of that.
            os._exit(status)
    os.close(write_fd)
    return pid, read_fd


class ForkedCall:
    """``function()`` running in a child process from construction until ``result()``."""

    def __init__(self, function: Callable[[], object]):
        self._pid, self._read_fd = _fork(lambda stream: stream.write(marshal.dumps(function())))

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


class ForkedStream:
    """The values of ``produce()`` made in a child process, each read as soon as it is sent.

    Each value travels as its ``marshal`` length (8 bytes) and data. ``next()`` gives None at the
    end, and for good once the child fails or sends anything truncated: the caller then does the
    remaining work itself. ``close()`` (always call it) ends the child, which may still be working.
    """

    def __init__(self, produce: Callable[[], Iterable[object]]):
        def send(stream: BinaryIO) -> None:
            for value in produce():
                write_frame(stream, value)

        self._pid, read_fd = _fork(send)
        self._stream: BinaryIO | None = os.fdopen(read_fd, "rb")

    def next(self) -> object | None:
        stream = self._stream
        if stream is None:
            return None
        try:
            return read_frame(stream)
        except (OSError, EOFError, ValueError, TypeError):
            pass
        self.close()
        return None

    def close(self) -> None:
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        stream.close()  # a child still writing gets a broken pipe and exits
        os.waitpid(self._pid, 0)


def write_frame(stream: BinaryIO, value: object) -> None:
    """``value`` as its ``marshal`` length (8 bytes, little-endian) and data, flushed: the reader waits for it."""
    data = marshal.dumps(value)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> object:
    """The next value written by write_frame; EOFError when the stream ends before all of it."""
    return marshal.loads(_exactly(stream, int.from_bytes(_exactly(stream, 8), "little")))


def _exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("the other end closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
