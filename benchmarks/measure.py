"""Shared by the benchmarks: peak memory of a process tree, and a synthetic project of any size."""

from __future__ import annotations

import datetime as dt
import os
import threading

from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import Partner, Period, ProjectSetup, erdf_on_budgets


def _descendants(root: int) -> tuple[dict[int, int], dict[int, int]]:
    """VmHWM (peak RSS, KiB) and CPU time so far (user + system, clock ticks) of every process below ``root``, from /proc."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()  # from the state on: ppid is field 4 of stat, utime 14, stime 15
                parents[int(entry)] = int(fields[1])
                ticks[int(entry)] = int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
    below, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - below
        below |= frontier
    peaks = {}
    for pid in below:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1])
        except OSError:
            pass
    return peaks, {pid: ticks[pid] for pid in below if pid in ticks}


class PeakMemory:
    """Samples this process and its descendants while the block runs: the peak of the sum of
    the peak resident sizes of the processes alive together (workers of successive pools are
    not added up). ``own=False`` leaves this process out: the peak of a child process run in the
    block, not of the benchmark that made its project. It also adds up the CPU time the processes
    below this one use in the block, as last seen (``cpu_seconds``)."""

    def __init__(self, every: float = 0.02, *, own: bool = True) -> None:
        self.every, self.own, self.peak_kib, self._stop = every, own, 0, threading.Event()
        self._ticks: dict[int, int] = {}
        self._before = _descendants(os.getpid())[1]  # what the processes already running had used

    def _sample(self) -> None:
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if self.own else 0  # KiB on Linux
        peaks, ticks = _descendants(os.getpid())
        self.peak_kib = max(self.peak_kib, own + sum(peaks.values()))
        self._ticks.update(ticks)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the processes below this one during the block (a worker
        that lived less than a sample's interval may be missed)."""
        used = sum(t - self._before.get(pid, 0) for pid, t in self._ticks.items())
        return used / os.sysconf("SC_CLK_TCK")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def total_mib(self) -> float:
        return self.peak_kib / 1024


def seven_periods(periods: list[Period]) -> list[Period]:
    """The demo's six periods with the first (12 months) split in two, so the project's life has seven six-monthly ones."""
    first, rest = periods[0], periods[1:]
    half = dt.date(first.end.year, first.end.month - 5, 1) - dt.timedelta(days=1)  # 30 April 2017, six months before its end
    early = Period(number=1, start=first.start, end=half, partner_deadline=half + dt.timedelta(days=30),
                   flc_deadline=half + dt.timedelta(days=75), note="first half of the demo's 12-month period 1")
    late = first.model_copy(update={"number": 2, "start": half + dt.timedelta(days=1), "note": "second half of the demo's period 1"})
    return [early, late, *(p.model_copy(update={"number": p.number + 1}) for p in rest)]


def synthetic_setup(n: int, key: str = "bench", *, periods: int = 6) -> ProjectSetup:
    """The demo project with ``n`` partners spread over its regions, all in every work package;
    ``periods=7`` splits the demo's 12-month first period in two (``seven_periods``)."""
    demo = northern_connections(key)
    if periods == 7:
        demo = demo.model_copy(update={"periods": seven_periods(demo.periods)})
    elif periods != len(demo.periods):
        raise ValueError(f"the demo project has {len(demo.periods)} periods, or 7 with its first split in two")
    base = demo.partners
    partners = [
        Partner(**{**base[i % len(base)].model_dump(), "number": i + 1, "code": f"P{i + 1:04d}", "role": "Lead partner" if i == 0 else "Partner",
                   "region": base[i % len(base)].region})
        for i in range(n)
    ]
    codes = [p.code for p in partners]
    wps = [w.model_copy(update={"lead": codes[0], "partners": codes}) for w in demo.work_packages]
    deliverables = [d.model_copy(update={"responsible": codes[0]}) for d in demo.deliverables]
    indicators = [i.model_copy(update={"partners": codes}) for i in demo.indicators]
    budget = sum(p.total_budget for p in partners)
    project = demo.project.model_copy(update={"total_budget": budget, "erdf": erdf_on_budgets(partners)})
    return demo.model_copy(update={"project": project, "partners": partners, "work_packages": wps, "deliverables": deliverables, "indicators": indicators})
