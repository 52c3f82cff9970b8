"""Benchmark: the project's whole life. Collect of the last period's returns into a full archive, and the build.

Run: python benchmarks/bench_archive.py [--partners 1000] [--runs 3] [--keep DIR]

The project has seven six-monthly periods (the demo's 12-month first period split
in two, see ``measure.seven_periods``). Every partner reports in every period,
each return made with the real code from its template, carrying over the one
before (declared before, indicators reported before), and periods 1 to 6 are
collected in turn: an archive of partners x 6 returns. Then, ``--runs`` times,
on fresh copies:

- collect of the period-7 returns into that archive, against the same collect
  into a project with an empty archive (issue 10: at most 1.5 times);
- build of the master for partners x 7 periods: wall time and peak memory of the
  process and its reader workers (issue 10: under 90 s; issue 15: under 1 GiB).

Making the project takes minutes at 1,000 partners; ``--keep DIR`` keeps it in
DIR and reuses it when it is already there, so later runs (or the same runs
with another version of the code on PYTHONPATH) only measure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import PeakMemory, synthetic_setup  # noqa: E402

from nc_excel.intake.archive import Archive, Register  # noqa: E402
from nc_excel.intake.sniff import Limits  # noqa: E402
from nc_excel.partner.schema import FLC_FORM  # noqa: E402
from nc_excel.partner.simulate import partner_entries  # noqa: E402
from nc_excel.partner.write import write_partner_workbook  # noqa: E402
from nc_excel.setup.models import ProjectSetup  # noqa: E402
from nc_excel.workspace import Workspace  # noqa: E402

PERIODS = 7
SPENDING_PACE = Decimal("0.65")
"""Each period's simulated spending is 10-22 % of the budget; seven of them stay within it at this pace."""
READY = "ready.txt"  # written last: a kept folder without it was left half made


def collected_on(setup: ProjectSetup, period: int) -> dt.datetime:
    return dt.datetime.combine(setup.period(period).end + dt.timedelta(days=20), dt.time(9))


def paced(amount: Decimal) -> Decimal:
    return (amount * SPENDING_PACE).quantize(Decimal("0.01"))


def write_returns(root: Path, setup: ProjectSetup, period: int, out: Path) -> None:
    """Every partner's filled-in return of ``period``, carrying over its accepted return of the period before."""
    register = Register(root)
    archive = Archive(root, register, setup, Limits())
    archive.read_many(register.current(period - 1))
    kinds = {f"crit_{c.key}": c.kind for c in setup.criteria}
    for p in setup.partners:
        entries = partner_entries(setup, p.code, period)
        entries.tables["LivingLabs"] = [  # each partner's own places, every must-have met: clean returns, no feedback due
            {**row, "name": f"{p.code} {row['name']}", **{k: kind == "must-have" for k, kind in kinds.items() if kind != "score"}}
            for row in entries.tables["LivingLabs"][:5]
        ]
        for row in entries.tables["Deliverables"]:  # an expected date the simulation puts after the project's end
            if row["date"] is not None:
                row["date"] = min(row["date"], setup.project.end)
        for row in entries.tables["Finance"]:  # the simulated spending is paced for the demo's six periods
            row["declared"] = paced(row["declared"])
        flc = entries.forms[FLC_FORM]
        flc["certified"] = paced(flc["certified"]) if flc["certified"] is not None else None
        write_partner_workbook(out / f"{p.code}_P{period}.xlsx", setup, p.code, period,
                               generated_at=dt.datetime(2016, 10, 1), entries=entries, prefill=archive.prefill(p.code, period))


def make(keep: Path, n: int) -> None:
    """``keep/full``: periods 1..6 collected; ``keep/empty``: the same project, nothing collected; ``keep/last``: the period-7 returns."""
    setup = synthetic_setup(n, periods=PERIODS)
    full = Workspace.create(keep / "full", setup)
    Workspace.create(keep / "empty", setup)
    for period in range(1, PERIODS):
        t0 = time.perf_counter()
        write_returns(full.root, setup, period, full.root / "inbox" / str(period))
        result = full.collect(now=collected_on(setup, period))
        rejected = [c for c in result.collected if not c.entry.accepted]
        assert not rejected, f"{len(rejected)} synthetic returns rejected, e.g. {rejected[0].issues[:3]}"
        print(f"  period {period}: {n} returns written and collected in {time.perf_counter() - t0:.0f} s", flush=True)
    write_returns(full.root, setup, PERIODS, keep / "last")
    (keep / READY).write_text(f"{n} partners\n")


def fresh(keep: Path, which: str, tmp: Path) -> Workspace:
    """A copy of a kept project with the period-7 returns in its inbox."""
    root = tmp / which
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(keep / which, root, symlinks=True)
    shutil.copytree(keep / "last", root / "inbox" / str(PERIODS))
    return Workspace(root)


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    with PeakMemory() as peak:
        t0 = time.perf_counter()
        result = work()
        wall = time.perf_counter() - t0
    return wall, peak.total_mib(), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the generated project here and reuse it when it is there")
    parser.add_argument("--only", choices=["collect", "build"], help="measure the two collects only, or the build only (after an untimed collect)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        keep = args.keep or Path(tmp) / "made"
        if not (keep / READY).exists() or (keep / READY).read_text() != f"{args.partners} partners\n":
            shutil.rmtree(keep, ignore_errors=True)
            t0 = time.perf_counter()
            print(f"making a project of {args.partners} partners x {PERIODS} periods in {keep} ...", flush=True)
            make(keep, args.partners)
            print(f"made in {time.perf_counter() - t0:.0f} s", flush=True)
        setup = synthetic_setup(args.partners, periods=PERIODS)
        now = collected_on(setup, PERIODS)
        rows: dict[str, list[tuple[float, float]]] = {"empty": [], "full": [], "build": []}
        for run in range(args.runs):
            for which in ("empty", "full") if args.only != "build" else ("full",):  # interleaved: a busy machine weighs on both alike
                ws = fresh(keep, which, Path(tmp))
                wall, peak, result = timed(lambda ws=ws: ws.collect(now=now))
                accepted = sum(1 for c in result.collected if c.entry.accepted)
                assert accepted == args.partners, f"{which}: {accepted} of {args.partners} accepted"
                rows[which].append((wall, peak))
                print(f"  run {run + 1}: collect into the {which} archive {wall:.1f} s", flush=True)
            if args.only == "collect":
                continue
            wall, peak, result = timed(lambda ws=ws: ws.build(as_of=now.date(), period=PERIODS))
            assert result.returns_merged == args.partners * PERIODS and not result.left_out, (result.returns_merged, result.left_out[:3])
            rows["build"].append((wall, peak))
            print(f"  run {run + 1}: build {wall:.1f} s, {peak:.0f} MiB", flush=True)
            shutil.rmtree(ws.root)

    def median(which: str, i: int) -> float:
        return statistics.median(r[i] for r in rows[which])

    n = args.partners
    print(f"\n{n} partners, {PERIODS} periods; medians of {args.runs} runs")
    print(f"{'':<58}{'wall s':>8}{'peak MiB':>10}")
    if rows["empty"]:
        print(f"{f'collect {n} period-{PERIODS} returns, empty archive':<58}{median('empty', 0):>8.1f}{median('empty', 1):>10.0f}")
        print(f"{f'collect {n} period-{PERIODS} returns, {n * (PERIODS - 1):,} archived':<58}{median('full', 0):>8.1f}{median('full', 1):>10.0f}")
    if rows["build"]:
        print(f"{f'build {n} partners x {PERIODS} periods':<58}{median('build', 0):>8.1f}{median('build', 1):>10.0f}")
    if rows["empty"]:
        print(f"full / empty archive: {median('full', 0) / median('empty', 0):.2f}x (target: at most 1.5x)")


if __name__ == "__main__":
    main()
