"""Open untrusted files in worker processes with limits on memory and CPU.

A partner file can make a parser allocate without bound or crash in native code;
running each file in a limited worker turns that into a ``FileProblem`` for the
one file instead of the end of the whole run. ``sniff`` says what may be parsed,
this module decides where it runs: one warm process pool per process (per
command), reused by every call of ``open_files`` with the same limits and work,
a worker that died, ran out of memory or took longer than the wall-clock limit
replaced before it reads another file.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import Any

from nc_excel.intake.sniff import (
    FileProblem,
    Limits,
    OpenedFile,
    mb,
    read_path,
    short_reason,
)
from nc_excel.issues import issue
from nc_excel.processes import context

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]


_Result = tuple[str, Any]  # ("ok", OpenedFile) | ("problem", Issue)


def _limit_worker(limits: Limits, quiet: bool = True) -> None:
    """Initializer of a worker: memory limit, and no Rust backtraces on the coordinator's terminal."""
    if quiet:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    if resource is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = limits.memory_bytes if hard == resource.RLIM_INFINITY else min(limits.memory_bytes, hard)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        except (ValueError, OSError):  # macOS does not enforce RLIMIT_AS and may refuse it
            pass


def _cpu_budget(seconds: int) -> None:
    """RLIMIT_CPU counts the worker's whole life: allow ``seconds`` more from now on."""
    if resource is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):
        pass


Then = Callable[[OpenedFile], Any] | None
"""Work to do on an opened file inside the worker (e.g. read it through the table
models), so that it runs in parallel and only its result travels back."""


def _task(path: Path, limits: Limits, then: Then = None) -> _Result:
    """One file in a worker; expected problems come back as values, not exceptions."""
    _cpu_budget(limits.cpu_seconds)
    try:
        opened = read_path(path, limits)
        return ("ok", then(opened) if then is not None else opened)
    except FileProblem as exc:
        return ("problem", exc.issue)
    except MemoryError:  # "memory": the worker's heap may stay too full for the next file
        return ("memory", issue("reader-crashed", file=path.name, detail=f"it needed more than {mb(limits.memory_bytes)} of memory"))
    except RecursionError:
        return ("problem", issue("reader-crashed", file=path.name, detail="the file is nested too deeply"))
    except Exception as exc:  # a reader bug on a hostile file is still a problem with that file
        return ("problem", issue("unreadable-file", file=path.name, detail=short_reason(exc)))


def _isolated_main(path: Path, limits: Limits, conn: Any, stderr_path: str, then: Then = None) -> None:
    fd = os.open(stderr_path, os.O_WRONLY | os.O_TRUNC)
    os.dup2(fd, 2)
    os.close(fd)
    _limit_worker(limits, quiet=False)
    conn.send(_task(path, limits, then))
    conn.close()


def _crash_detail(exitcode: int | None, stderr: str, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if -exitcode == getattr(signal, "SIGXCPU", -1):
            return f"it took more than {limits.cpu_seconds} s of computing time"
        what = f"the reading process was stopped by {name}"
    else:
        what = f"the reading process ended with exit code {exitcode}"
    line = next((ln.strip() for ln in stderr.splitlines() if "memory allocation" in ln or "panicked" in ln), "")
    return f"{what}: {line}" if line else what


def _to_outcome(result: _Result) -> OpenedFile | FileProblem:
    kind, value = result
    return value if kind == "ok" else FileProblem(value)


def _run_isolated(path: Path, limits: Limits, then: Then = None) -> Any:
    """One file in a fresh process of its own: a crash is this file's and nobody else's."""
    ctx = context()
    parent, child = ctx.Pipe(duplex=False)
    with tempfile.NamedTemporaryFile(prefix="nc-excel-reader-", suffix=".log") as log:
        proc = ctx.Process(target=_isolated_main, args=(path, limits, child, log.name, then), daemon=True)
        proc.start()
        child.close()
        result: _Result | None = None
        # a worker that sleeps instead of computing is not bounded by RLIMIT_CPU: the wall clock is
        timed_out = not parent.poll(limits.wall_seconds)
        if not timed_out:
            try:
                result = parent.recv()
            except (EOFError, OSError):
                result = None
        if result is None and proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
        if result is not None:
            return _to_outcome(result)
        with open(log.name, "rb") as f:
            stderr = f.read(64 * 1024).decode("utf-8", "replace")
    detail = _too_long(limits) if timed_out else _crash_detail(proc.exitcode, stderr, limits)
    return FileProblem(issue("reader-crashed", file=path.name, detail=detail))


def _too_long(limits: Limits) -> str:
    return f"it took longer than {limits.wall_seconds:g} s"


def open_file(path: Path, limits: Limits = Limits()) -> OpenedFile:
    """Open one return in a worker process with limits; raise FileProblem for any problem with the file."""
    outcome = _run_isolated(Path(path), limits)
    if isinstance(outcome, FileProblem):
        raise outcome
    return outcome


_POOL_THEN: Then = None
"""The ``then`` of the pool this worker belongs to, handed over once when the worker starts
(it may hold the whole project setup: too much to send along with every file)."""


def _start_worker(limits: Limits, then: Then) -> None:
    global _POOL_THEN
    _POOL_THEN = then
    _limit_worker(limits)


def _pool_task(path: Path, limits: Limits) -> _Result:
    return _task(path, limits, _POOL_THEN)


class _Warm:
    """The process's one idle pool, kept for the next ``open_files`` with the same workers, limits and work.

    Starting workers and handing each the setup costs more than reading a few files,
    and a command reads files many times over (the inbox, the earlier returns, the
    archive); so a pool outlives the call that started it. It is taken out while a
    call uses it (a call made meanwhile starts its own) and put back after; a pool
    broken, stopped or left with files in flight is never put back.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] | None = None
        self.pool: cf.ProcessPoolExecutor | None = None

    def take(self, key: tuple[Any, ...]) -> cf.ProcessPoolExecutor | None:
        with self.lock:
            if self.pool is None or self.key != key:
                return None
            pool, self.pool, self.key = self.pool, None, None
            return pool

    def keep(self, key: tuple[Any, ...], pool: cf.ProcessPoolExecutor) -> None:
        with self.lock:
            old, self.pool, self.key = self.pool, pool, key
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)


_WARM = _Warm()


def _key(workers: int, limits: Limits, then: Then) -> tuple[Any, ...]:
    """What a pool is started with; work is the same by value (``read_opened`` with an equal setup), not by identity."""
    if isinstance(then, partial):
        return (workers, limits, then.func, then.args, then.keywords)
    return (workers, limits, then)


def _new_pool(workers: int, limits: Limits, then: Then = None) -> cf.ProcessPoolExecutor:
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=context(), initializer=_start_worker, initargs=(limits, then))


def open_files(
    paths: Sequence[Path],
    limits: Limits = Limits(),
    workers: int = 2,
    progress: Callable[[int, int, str], None] | None = None,
    then: Then = None,
) -> Iterator[tuple[Path, Any]]:
    """Open many returns in a pool of limited workers, yielding each as it completes.

    Each outcome is a ``FileProblem``, or the ``OpenedFile`` (or, with ``then``,
    what ``then`` made of it in the worker; ``then`` must be picklable).

    A worker that dies (a reader abort, the memory or CPU limit) breaks the pool:
    the files it had in hand are then re-read one by one in processes of their
    own, so only the file that really crashes is reported as reader-crashed,
    and the pool is started again for the rest. A file still being read after
    ``limits.wall_seconds`` (a worker that sleeps or blocks, which RLIMIT_CPU
    does not see) is handled the same way: the pool's workers are killed and
    the files they held are re-read alone, each with the same wall-clock limit.
    """
    todo = deque(Path(p) for p in paths)
    counted = _Counted(len(todo), progress)
    workers = max(1, workers)
    key = _key(workers, limits, then)
    pool: cf.ProcessPoolExecutor | None = _WARM.take(key) if todo else None
    inflight: dict[cf.Future[_Result], Path] = {}
    clock = _Clock(limits.wall_seconds)
    try:
        while todo or inflight:
            if pool is None:
                pool = _new_pool(workers, limits, then)
                clock.started.clear()
            suspects = _submit(pool, todo, inflight, limits, most=workers * 4)  # None: a spent worker, no file of its own
            finished, _ = cf.wait(inflight, timeout=clock.wait(inflight), return_when=cf.FIRST_COMPLETED) if inflight else (set(), set())
            for p, outcome in _finished(finished, inflight, suspects):
                yield counted(p), outcome
            if not suspects and clock.overdue(inflight):
                suspects.append(None)  # a worker is stuck: the pool is stopped, its files read again alone
                _kill_workers(pool)
            if suspects:
                # the pool is broken (or a worker is spent or stuck): what is still in it is read again alone
                suspects.extend(inflight.values())
                inflight.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
                for p in filter(None, suspects):
                    yield counted(p), _run_isolated(p, limits, then)
    finally:
        if pool is not None and not inflight:
            _WARM.keep(key, pool)  # idle and whole: the next call reads with it
        elif pool is not None:  # the caller stopped reading: what is in flight is not waited for
            _kill_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)


class _Clock:
    """The wall-clock limit of the files in a pool, counted from when a task is first seen running.

    ``Future.running()`` turns true when a task is queued for a worker, which may be
    a little before a worker takes it: a file may be suspected early, but it is then
    read again alone with a full limit of its own before it is rejected.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: dict[cf.Future[_Result], float] = {}

    def wait(self, inflight: dict[cf.Future[_Result], Path]) -> float:
        """How long to wait for a task to finish before looking at the clock again."""
        now = time.monotonic()
        for fut in list(self.started):
            if fut not in inflight:
                del self.started[fut]
        for fut in inflight:
            if fut not in self.started and fut.running():
                self.started[fut] = now
        ends = [t + self.seconds for t in self.started.values()]
        return max(0.0, min(ends) - now) if ends else self.seconds

    def overdue(self, inflight: dict[cf.Future[_Result], Path]) -> bool:
        now = time.monotonic()
        return any(fut in inflight and now - t >= self.seconds for fut, t in self.started.items())


def _kill_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Stop the pool's worker processes (a shutdown alone would wait for a stuck one)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.kill()


class _Counted:
    """Reports each file handed back to the caller as done (``progress(done, total, name)``)."""

    def __init__(self, total: int, progress: Callable[[int, int, str], None] | None) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def __call__(self, path: Path) -> Path:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, path.name)
        return path


def _submit(pool: cf.ProcessPoolExecutor, todo: deque[Path], inflight: dict[cf.Future[_Result], Path], limits: Limits, *, most: int) -> list[Path | None]:
    """Hand files to the pool until ``most`` are in flight; the file a broken pool refused is returned as a suspect."""
    while todo and len(inflight) < most:
        try:
            inflight[pool.submit(_pool_task, todo[0], limits)] = todo[0]
        except BrokenProcessPool:  # a worker died since the last look
            return [todo.popleft()]
        todo.popleft()
    return []


def _finished(finished: set[cf.Future[_Result]], inflight: dict[cf.Future[_Result], Path], suspects: list[Path | None]) -> Iterator[tuple[Path, Any]]:
    """The outcomes of the finished tasks; the file of a task that broke the pool becomes a suspect instead."""
    for fut in finished:
        p = inflight.pop(fut)
        try:
            result = fut.result()
            outcome = _to_outcome(result)
        except BrokenProcessPool:
            suspects.append(p)
            continue
        except Exception as exc:  # e.g. the result could not be sent back within the memory limit
            result, outcome = ("memory", None), FileProblem(issue("reader-crashed", file=p.name, detail=short_reason(exc)))
        if result[0] == "memory" and not suspects:
            # A worker that ran out of memory is not trusted with another file: start
            # the pool afresh; the files it may still hold are read again on their own.
            suspects.append(None)
        yield p, outcome
