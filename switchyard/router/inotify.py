"""Directory change notification (Linux inotify through libc, read on the event loop).

The kubelet updates a ConfigMap or Secret volume by writing a new timestamped directory and
renaming a `..data_tmp` symlink over `..data`, all inside the mounted directory, so watching
the directories (not the files) sees every update: IN_CREATE / IN_MOVED_TO for the swap,
IN_CLOSE_WRITE / IN_ATTRIB for in-place edits, IN_DELETE for removals. A directory that does
not exist yet is watched through its nearest existing ancestor, so its creation wakes too, and
`watch()` re-arms the whole set after every wake (a directory replaced by a new one gets a new
watch; watches of directories gone are dropped by the kernel).

The watcher only wakes the reload loop; what changed is decided by the reload's fingerprint.
Where inotify is missing (not Linux, no free instance or watch), `DirWatcher.open()` says why
and the caller keeps polling.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import os
import struct
from collections.abc import Iterable
from pathlib import Path

from switchyard.catalog import SwitchyardError

IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
MASK = (
    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB
    | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
)  # fmt: skip
_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


class InotifyUnavailableError(SwitchyardError):
    """inotify cannot be used here; the message says why (for one log line)."""


def _libc() -> ctypes.CDLL:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError) as exc:
        raise InotifyUnavailableError(f"no inotify in the C library ({exc})") from None
    return libc


def nearest_existing(path: Path) -> Path:
    """`path` if it is a directory, else its closest ancestor that is one."""
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path(path.anchor or "/")


def ignored_watches(data: bytes) -> list[int]:
    """The watch descriptors the kernel dropped (IN_IGNORED) in a buffer of events."""
    gone, offset = [], 0
    while offset + _HEADER.size <= len(data):
        wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
        if mask & IN_IGNORED:
            gone.append(wd)
        offset += _HEADER.size + length
    return gone


class DirWatcher:
    """One inotify instance watching a set of directories; `wait()` returns on any event."""

    def __init__(self, libc: ctypes.CDLL, fd: int, loop: asyncio.AbstractEventLoop) -> None:
        self._libc, self._fd, self._loop = libc, fd, loop
        self._wds: dict[Path, int] = {}
        self._woken = asyncio.Event()
        loop.add_reader(fd, self._drain)

    @classmethod
    def open(cls) -> DirWatcher:
        """A watcher on the running loop, or InotifyUnavailableError saying why not."""
        libc = _libc()
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise InotifyUnavailableError(f"inotify_init1: {os.strerror(code)}")
        return cls(libc, fd, asyncio.get_running_loop())

    def _drain(self) -> None:
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        except OSError:  # the fd broke: wake so the caller re-arms (and polls meanwhile)
            data = b""
        gone = set(ignored_watches(data))
        if gone:
            self._wds = {p: wd for p, wd in self._wds.items() if wd not in gone}
        self._woken.set()

    def watch(self, directories: Iterable[Path]) -> list[str]:
        """Watch exactly these directories (each, or its nearest existing ancestor).

        Adding a watch again is cheap and idempotent for the same inode and re-arms one that
        was replaced. Returns a message per directory that could not be watched.
        """
        # real paths: two names of one directory would share (and drop) one watch
        wanted = {Path(os.path.realpath(nearest_existing(Path(d)))) for d in directories}
        problems: list[str] = []
        for path in wanted:
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(path), MASK)
            if wd < 0:
                code = ctypes.get_errno()
                if code == errno.ENOENT:  # vanished since the check: its parent is watched
                    continue
                problems.append(f"{path}: {os.strerror(code)}")
                self._wds.pop(path, None)
                continue
            old = self._wds.get(path)
            if old is not None and old != wd:
                self._libc.inotify_rm_watch(self._fd, old)
            self._wds[path] = wd
        for path in set(self._wds) - wanted:
            self._libc.inotify_rm_watch(self._fd, self._wds.pop(path))
        return problems

    @property
    def watched(self) -> set[Path]:
        return set(self._wds)

    async def wait(self, seconds: float) -> bool:
        """True when an event came (and clears it), False after `seconds` without one.

        A timeout scope, not `asyncio.wait_for`: on Python 3.11 wait_for runs the wait as a
        task of its own and returns its result when that finished just before the caller was
        cancelled, swallowing the cancellation. The reload loop then kept running, and a
        router whose config directory changed as it stopped (a worker's usage file closing
        when it died) waited on it forever in its cleanup.
        """
        try:
            async with asyncio.timeout(seconds):
                await self._woken.wait()
        except TimeoutError:
            return False
        self._woken.clear()
        return True

    def close(self) -> None:
        self._loop.remove_reader(self._fd)
        os.close(self._fd)
