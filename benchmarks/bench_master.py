"""Benchmark: rebuilding the master, for the demo project and for 1,000 partners x 2 periods.

Run: python benchmarks/bench_master.py [--partners 1000]

Both projects are made with the real code: templates, filled-in returns, collect.
The large one has every partner report in periods 1 and 2 with about five
living-lab candidates each (about 10,000 candidate rows). Reports the wall time
and the peak memory (the process and its reader workers) of ``Workspace.build``;
the second build of each reads the first one's decisions back, as in real use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import PeakMemory, synthetic_setup  # noqa: E402

from nc_excel.demo import run_demo  # noqa: E402
from nc_excel.intake.archive import (
    Archive,  # noqa: E402
    Register,  # noqa: E402
)
from nc_excel.intake.sniff import Limits  # noqa: E402
from nc_excel.partner.simulate import partner_entries  # noqa: E402
from nc_excel.partner.write import write_partner_workbook  # noqa: E402
from nc_excel.workspace import Workspace  # noqa: E402


def large_project(root: Path, n: int) -> Workspace:
    """Every partner reports in periods 1 and 2, each return carrying over the one before."""
    setup = synthetic_setup(n)
    ws = Workspace.create(root, setup)
    for period, collected_on in ((1, dt.datetime(2017, 11, 20)), (2, dt.datetime(2018, 6, 20))):
        register = Register(root)
        archive = Archive(root, register, setup, Limits())
        archive.read_many(register.current(period - 1))
        for p in setup.partners:
            entries = partner_entries(setup, p.code, period)
            entries.tables["LivingLabs"] = entries.tables["LivingLabs"][:5]
            write_partner_workbook(root / "inbox" / str(period) / f"{p.code}.xlsx", setup, p.code, period,
                                   generated_at=dt.datetime(2017, 9, 1), entries=entries, prefill=archive.prefill(p.code, period))
        result = ws.collect(now=collected_on)
        rejected = [c for c in result.collected if not c.entry.accepted]
        assert not rejected, f"{len(rejected)} synthetic returns rejected, e.g. {rejected[0].issues[:3]}"
    return ws


def timed_build(ws: Workspace, as_of: dt.date, period: int) -> tuple[float, float, object]:
    with PeakMemory() as peak:
        t0 = time.perf_counter()
        result = ws.build(as_of=as_of, period=period)
        wall = time.perf_counter() - t0
    return wall, peak.total_mib(), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-master-") as tmp:
        demo = run_demo(Path(tmp) / "demo", pdf=False)
        ws = Workspace(demo.root)
        for run in ("first", "again"):
            wall, peak, result = timed_build(ws, dt.date(2017, 10, 16), 1)
            rows.append((f"demo, 21 partners ({run})", wall, peak, result.candidates))
        t0 = time.perf_counter()
        large = large_project(Path(tmp) / "large", args.partners)
        made = time.perf_counter() - t0
        for run in ("first", "again"):
            wall, peak, result = timed_build(large, dt.date(2018, 6, 30), 2)
            rows.append((f"{args.partners} partners x 2 periods ({run})", wall, peak, result.candidates))
        size = (large.root / "master.xlsx").stat().st_size / 2**20
    print(f"large project made in {made:.0f} s; its master is {size:.1f} MiB")
    print(f"{'build':<40}{'wall s':>8}{'peak MiB':>10}{'candidates':>12}")
    for name, wall, peak, candidates in rows:
        print(f"{name:<40}{wall:>8.2f}{peak:>10.0f}{candidates:>12}")


if __name__ == "__main__":
    main()
