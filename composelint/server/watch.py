"""What changed on disk since the last build, from the kernel (Linux inotify), so that a warm build need
not ``lstat`` every file it read to find out.

The server lints the whole project on every edit, and each build checks that every file the last one
read is unchanged (composelint/parsecache.py: one ``lstat`` each, ~15 ms for the ~1,345 files of the
1,000-service benchmark, in both processes). Not every editor reports changes made outside it
(``workspace/didChangeWatchedFiles``), and one that does may not watch every file; the kernel sees
every change made through the file system. So the server watches the project's directories itself, and
a file checked once while its directory was watched is trusted, without an ``lstat``, until an event
names it. Only where nothing can slip past the watch:

* Linux, on a local file system (a network or virtual-machine share is changed by other machines, whose
  changes no local watch sees), and the root's own device (a file system mounted inside it: the same);
* a directory reached without a symlink (an event names the path it happened on, not a link to it);
* a regular file with one link (a write through a hard link elsewhere is an event of that directory);
* and nothing unclear since: a directory moved, deleted or replaced, an overflowed event queue, a watch
  that could not be added — each makes every file untrusted again (checked by stamp, as without a
  watch), and the watch is rebuilt from the next walk.

A change made after a build drained the events is seen by the next build (as a change made after an
``lstat`` is). Anything unexpected turns the watch off for good: the stamps are always the fallback.
"""

from __future__ import annotations

import os
import stat
import struct

# <linux/inotify.h>
_MODIFY, _ATTRIB, _CLOSE_WRITE = 0x2, 0x4, 0x8
_MOVED_FROM, _MOVED_TO, _CREATE, _DELETE = 0x40, 0x80, 0x100, 0x200
_DELETE_SELF, _MOVE_SELF, _UNMOUNT = 0x400, 0x800, 0x2000
_Q_OVERFLOW, _IGNORED, _ISDIR = 0x4000, 0x8000, 0x40000000
_ONLYDIR, _DONT_FOLLOW = 0x01000000, 0x02000000
_MASK = (_MODIFY | _ATTRIB | _CLOSE_WRITE | _MOVED_FROM | _MOVED_TO | _CREATE | _DELETE | _DELETE_SELF
         | _MOVE_SELF | _ONLYDIR | _DONT_FOLLOW)
_EVERYTHING = _DELETE_SELF | _MOVE_SELF | _UNMOUNT | _Q_OVERFLOW | _IGNORED | _ISDIR  # an event that clears all
_EVENT = struct.Struct("iIII")

# File systems whose every change passes through this kernel. Not nfs, cifs, 9p, virtiofs, fuse.* (sshfs,
# Docker Desktop's and WSL's shares), vboxsf: another machine may change them without an event here.
LOCAL_FILE_SYSTEMS = frozenset(("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "f2fs", "zfs", "overlay",
                                "reiserfs", "jfs", "bcachefs", "nilfs2"))


class Journal:
    """The changes since the last ``drain``, as ParseCache.read asks (``drain``, ``covers``)."""

    def __init__(self, given: str, root: str, fd: int, libc):
        self.root, self._fd, self._libc = root, fd, libc
        self._given = given  # the root as the session names it: the same directory while the journal holds
        info = os.stat(given)
        self._device, self._identity = info.st_dev, (info.st_dev, info.st_ino)
        self._watched: dict[int, str] = {}  # watch descriptor -> directory (project-relative, "" for the root)
        self._by_directory: dict[str, int] = {}
        self._closed = False
        self._budget = watch_budget()

    @classmethod
    def open(cls, root) -> "Journal | None":
        """A journal of ``root``'s changes, or None where it cannot be trusted or made (see the module)."""
        import sys

        if not sys.platform.startswith("linux"):
            return None
        try:
            real = os.path.realpath(str(root))  # project-relative paths are the same from it
            if file_system(real) not in LOCAL_FILE_SYSTEMS:
                return None
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError, ValueError):
            return None
        if fd < 0:
            return None
        try:
            return cls(str(root), real, fd, libc)
        except OSError:
            os.close(fd)
            return None

    def watch(self, directories) -> None:
        """Watch the root and ``directories`` (project-relative, as a walk lists them: no symlinks)."""
        if self._closed:
            return
        for directory in ("", *sorted(directories)):
            if directory in self._by_directory:
                continue
            if len(self._by_directory) >= self._budget:
                break  # the rest is checked by stamp
            full = os.path.join(self.root, *directory.split("/")) if directory else self.root
            try:
                info = os.lstat(full)
            except OSError:
                continue  # gone already: its files are checked by stamp
            if not stat.S_ISDIR(info.st_mode) or info.st_dev != self._device:
                continue
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(full), _MASK)
            if wd < 0:
                continue  # the system's limit of watches: files there are checked by stamp
            if wd in self._watched and self._watched[wd] != directory:
                self.close()  # two names for one directory (a bind mount): nothing to trust
                return
            self._watched[wd] = directory
            self._by_directory[directory] = wd

    def drain(self) -> set[str] | None:
        """The files changed since the last call (project-relative), or None: anything may have changed."""
        if self._closed:
            return None
        try:
            info = os.stat(self._given)
        except OSError:
            info = None
        if info is None or (info.st_dev, info.st_ino) != self._identity:
            self.close()  # the root's path leads elsewhere now (a directory above it moved): no event says so
            return None
        data = bytearray()
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                self.close()
                return None
            if not chunk:
                break
            data += chunk
        changed: set[str] = set()
        everything = False
        offset = 0
        while offset + _EVENT.size <= len(data):
            wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            name = bytes(data[offset + _EVENT.size:offset + _EVENT.size + length]).rstrip(b"\0")
            offset += _EVENT.size + length
            directory = self._watched.get(wd)
            if mask & _EVERYTHING or directory is None:
                everything = True
                if mask & (_DELETE_SELF | _MOVE_SELF | _UNMOUNT | _IGNORED) and directory is not None:
                    self._forget(wd, directory)
                continue
            text = os.fsdecode(name)
            changed.add(f"{directory}/{text}" if directory else text)
        return None if everything else changed

    def covers(self, relpath: str, stamp: tuple) -> bool:
        """Whether a change to ``relpath`` from the version ``stamp`` describes would be an event: its
        directory is watched, and it is that version, a regular file with one link (one ``lstat``)."""
        directory, _, name = relpath.rpartition("/")
        if self._closed or directory not in self._by_directory or name in ("", ".", ".."):
            return False
        try:
            info = os.lstat(os.path.join(self.root, *relpath.split("/")))
        except OSError:
            return False
        from composelint.assembly.reading import stamp_of

        return stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and stamp_of(info) == stamp

    def _forget(self, wd: int, directory: str) -> None:
        self._watched.pop(wd, None)
        self._by_directory.pop(directory, None)
        self._libc.inotify_rm_watch(self._fd, wd)  # fails harmlessly when the kernel removed it

    def __del__(self) -> None:  # a session dropped without close() (each holds one of the user's few instances)
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter exit, modules may be gone already
            pass

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._watched.clear()
            self._by_directory.clear()
            try:
                os.close(self._fd)
            except OSError:
                pass


# The user's inotify watches are shared by every program (an editor's own file watcher first): a language
# server process takes at most this share of them; the directories beyond it are checked by stamp.
WATCH_SHARE = 16


def watch_budget() -> int:
    """How many directories one process may watch: WATCH_SHARE-th of the user's limit (8,192 by default on
    older kernels: 512 directories)."""
    try:
        with open("/proc/sys/fs/inotify/max_user_watches", encoding="ascii") as stream:
            return int(stream.read().strip()) // WATCH_SHARE
    except (OSError, ValueError):
        return 8192 // WATCH_SHARE


def file_system(path: str) -> str:
    """The type of the file system ``path`` lies on (``ext4``), from /proc/self/mountinfo: the mount with the
    longest mount point that contains it; "" when unknown."""
    best, kind = "", ""
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as stream:
        for line in stream:
            fields = line.split()
            if " - " not in line or len(fields) < 5:
                continue
            point = fields[4].replace("\\040", " ")
            inside = path == point or path.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, kind = point, line.split(" - ", 1)[1].split()[0]
    return kind
