"""One collect, build, templates run or restore at a time per project folder.

Two coordinators (or one double click on a ribbon button) must not collect the
same inbox at once: both would register every file. So each of those actions
holds the project lock while it runs: the file ``nc-excel.lock`` in the project
folder (``ProjectFolder.lock``), created atomically (``O_CREAT | O_EXCL``: of two runs creating it at the
same moment exactly one succeeds) and holding who made it, as JSON: process id,
host, since when and which command. It is removed when the action ends, whatever
happens.

A second run waits a few seconds for the lock (``wait``, or the environment
variable ``NC_EXCEL_LOCK_WAIT`` in seconds), then gives up with ``ProjectBusy``
naming the holder. A lock left behind by a run that was killed is *stale*: its
process is gone (on this host), or it is older than ``STALE_AFTER`` (a run on
another computer sharing the folder, whose process cannot be checked from here);
a stale lock is taken over. Deleting ``nc-excel.lock`` by hand is safe when no
nc-excel runs on the project.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

WAIT = 5.0
"""Seconds a run waits for another to finish before it gives up."""
STALE_AFTER = dt.timedelta(hours=12)
"""A lock older than this is taken for one a killed run left behind, wherever it was made."""
POLL = 0.1
BEING_WRITTEN = dt.timedelta(seconds=10)
"""An empty lock file younger than this is one being created right now."""


class ProjectBusy(Exception):
    """Another run holds the project lock; the message names it and says what to do."""


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: as written into the lock file."""

    pid: int
    host: str
    since: str  # ISO time, local
    command: str

    def describe(self) -> str:
        return f"`{self.command}` (process {self.pid} on {self.host}, since {self.since.replace('T', ' ')})"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host."""
    if os.name == "nt":
        return _alive_on_windows(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether it exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _alive_on_windows(pid: int) -> bool:
    """Windows has no signal 0 (``os.kill`` would end the process): ask the kernel for the process's exit code."""
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # Windows only
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() != 87  # ERROR_INVALID_PARAMETER: no such process
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _read(path: Path) -> tuple[Holder | None, str]:
    """The holder written in the lock file (None: still being written, or not ours) and the file's text."""
    text = path.read_text(encoding="utf-8")
    try:
        return Holder(**json.loads(text)), text
    except (ValueError, TypeError):
        return None, text


def _stale(path: Path, holder: Holder | None, now: dt.datetime) -> bool:
    """A lock nobody holds any more: its process is gone (on this host), or it is older than ``STALE_AFTER``."""
    made = dt.datetime.fromtimestamp(path.stat().st_mtime)
    if holder is None:
        return now - made > BEING_WRITTEN
    if holder.host == socket.gethostname() and not _alive(holder.pid):
        return True
    return now - made > STALE_AFTER


def _take_over(path: Path, text: str) -> None:
    """Remove a stale lock, unless another run replaced it meanwhile (then it is put back)."""
    aside = path.with_name(f"{path.name}.{os.getpid()}.stale")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return  # another run took it over first
    try:
        if aside.read_text(encoding="utf-8") != text:  # a live lock made in between: give it back
            with contextlib.suppress(FileExistsError):
                os.link(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def _create(path: Path, holder: Holder) -> str | None:
    """Create the lock file holding ``holder``; None when it exists already."""
    text = json.dumps(asdict(holder))
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return text


def _wait() -> float:
    """Seconds to wait: ``NC_EXCEL_LOCK_WAIT`` when it is a number, else ``WAIT``."""
    try:
        return float(os.environ.get("NC_EXCEL_LOCK_WAIT", WAIT))
    except ValueError:
        return WAIT


@contextlib.contextmanager
def project_lock(path: Path, command: str, *, wait: float | None = None) -> Iterator[Holder]:
    """Hold the lock file ``path`` while the block runs; raise ``ProjectBusy`` if another run keeps it past ``wait`` seconds."""
    wait = _wait() if wait is None else wait
    me = Holder(os.getpid(), socket.gethostname(), dt.datetime.now().isoformat(timespec="seconds"), command)
    give_up = time.monotonic() + wait
    while (mine := _create(path, me)) is None:
        try:
            holder, text = _read(path)
            if _stale(path, holder, dt.datetime.now()):
                _take_over(path, text)
                continue
        except FileNotFoundError:
            continue  # released meanwhile: try again at once
        if time.monotonic() >= give_up:
            who = holder.describe() if holder else "another nc-excel run"
            raise ProjectBusy(
                f"Another nc-excel run is working on {path.parent}: {who}. Nothing was changed; wait for it to finish and try again. "
                f"If no nc-excel runs on this project any more, delete {path} and try again."
            )
        time.sleep(POLL)
    try:
        yield me
    finally:
        with contextlib.suppress(FileNotFoundError):
            if path.read_text(encoding="utf-8") == mine:
                path.unlink()
