"""Benchmark: intake and validation of 1,000 synthetic returns, against what a user would script.

Run: python benchmarks/bench_collect.py [--returns 1000]

nc-excel: ``Workspace.collect`` on a project whose inbox holds one filled-in return
per partner: safe opening, reading through the table models, every rule, the
archive copy, the register and the feedback workbooks. Baseline: what a
coordinator would script without validation, ``pandas.read_excel(engine="openpyxl")``
of the same five sheets of every file. Reports ms per return (wall time / n) and
peak memory of the process and its workers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import PeakMemory, synthetic_setup  # noqa: E402

from nc_excel.partner.simulate import partner_entries  # noqa: E402
from nc_excel.partner.write import write_partner_workbook  # noqa: E402
from nc_excel.setup.models import ProjectSetup  # noqa: E402
from nc_excel.workspace import Workspace  # noqa: E402

SHEETS = ["Progress", "Deliverables", "Indicators", "Finance", "Living Labs"]


def on_time_today(setup: ProjectSetup) -> ProjectSetup:
    """The setup with period 1's deadlines a year from today: ``nc-excel collect`` receives files
    at the moment it runs, and a return of this 2017 project received today would be late (a
    warning, and a feedback workbook for every return), which is not the work being measured."""
    first = setup.periods[0]
    later = dt.date.today() + dt.timedelta(days=365)
    moved = first.model_copy(update={"partner_deadline": later, "flc_deadline": later + dt.timedelta(days=45)})
    return setup.model_copy(update={"periods": [moved, *setup.periods[1:]]})


def make_project(root: Path, n: int, *, clean: bool = True) -> Workspace:
    """A project of ``n`` partners whose inbox holds a filled-in period-1 return of each.

    ``clean`` returns pass every check (each partner's own places, every must-have
    met, on time whenever they are collected: ``on_time_today``): then no feedback
    workbook is due, and the figure is intake and validation alone. Otherwise the
    simulated answers give most returns a warning or two, and each of them a
    feedback workbook.
    """
    setup = synthetic_setup(n)
    if clean:
        setup = on_time_today(setup)
    ws = Workspace.create(root, setup)
    kinds = {f"crit_{c.key}": c.kind for c in setup.criteria}
    for p in setup.partners:
        entries = partner_entries(setup, p.code, 1, as_of=dt.date(2017, 10, 15))
        if clean:
            entries.tables["LivingLabs"] = [
                {**row, "name": f"{p.code} {row['name']}", **{k: kind == "must-have" for k, kind in kinds.items() if kind != "score"}}
                for row in entries.tables["LivingLabs"]
            ]
        write_partner_workbook(root / "inbox" / f"{p.code}.xlsx", setup, p.code, 1, generated_at=dt.datetime(2017, 9, 1), entries=entries)
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1000)
    parser.add_argument("--with-warnings", action="store_true", help="simulated answers with warnings, so every return gets a feedback workbook")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-collect-") as tmp:
        t0 = time.perf_counter()
        ws = make_project(Path(tmp) / "project", args.returns, clean=not args.with_warnings)
        made = time.perf_counter() - t0
        with PeakMemory() as peak:
            t0 = time.perf_counter()
            result = ws.collect(now=dt.datetime(2017, 10, 12, 9))
            wall = time.perf_counter() - t0
        verdicts = {}
        for c in result.collected:
            verdicts[c.entry.status] = verdicts.get(c.entry.status, 0) + 1
        import pandas as pd

        files = sorted((ws.root / "inbox").glob("*.xlsx"))
        with PeakMemory() as base_peak:
            times = []
            for f in files:
                t = time.perf_counter()
                pd.read_excel(f, engine="openpyxl", sheet_name=SHEETS)
                times.append(time.perf_counter() - t)
    ours = wall * 1000 / args.returns
    base = statistics.median(times) * 1000
    print(f"{args.returns} returns ({made:.0f} s to make them); verdicts: {verdicts}")
    print(f"{'':<44}{'ms/return':>10}{'total s':>9}{'peak MiB':>10}")
    print(f"{'nc-excel collect (open, read, check, archive)':<44}{ours:>10.1f}{wall:>9.1f}{peak.total_mib():>10.0f}")
    print(f"{'pandas.read_excel(openpyxl), no checks':<44}{base:>10.1f}{sum(times):>9.1f}{base_peak.total_mib():>10.0f}")
    print(f"speed-up: {base / ours:.1f}x")


if __name__ == "__main__":
    main()
