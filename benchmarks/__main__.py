"""Every benchmark at one size, against fair baselines, in one table.

Run from the repository root: python -m benchmarks [--partners 100] [--runs 3] [--keep DIR]

Each line times one piece of work nc-excel does and what it is fairly measured against:

- collect of the period-1 returns of every partner, the ``nc-excel collect`` command as a
  process of its own (start-up included), against reading the same five sheets of every
  file in a process of its own with ``pandas.read_excel(engine="calamine")``, and with
  python-calamine alone (the floor: no checks, no frames);
- the partner templates (median per template) against the same layout written with
  openpyxl, every distinct style a named style (``bench_templates.py``);
- ``nc-excel build`` of the master of partners x 7 periods (a process of its own) against a
  naive pandas merge: every archived return read with pandas (calamine), stacked and
  written with ``DataFrame.to_excel``, no checks, no analyses, no styles;
- collect per return in period 7 (6 x partners returns archived) against period 1 (empty
  archive), and one new return among all the archived against one into an empty archive
  (issue 10: at most 1.5 times; ``bench_archive.py`` makes the project); a partner's
  corrected return collected by ``nc-excel collect`` (a process of its own) once all seven
  periods are archived, against issue 15's target;
- ``nc-excel demo --no-pdf`` (period 1) as a process of its own, against its target.

Every figure is the median of ``--runs`` runs; the ratio is nc-excel's wall time over the
baseline's (below 1: nc-excel is faster). The CPU times (user + system, workers included)
say more than the wall times on a shared machine. Peak memory is that of the nc-excel
process and its workers (``measure.PeakMemory``), where it runs as a process of its own. The seven-period project takes minutes to make at 100
partners and tens of minutes at 1,000: ``--keep DIR`` keeps it for the next run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

DEMO_TARGET = 3.0  # seconds, issue 15: the demo's period 1 on 2 cores
ONE_NEW_TARGET = 1.5  # seconds, issue 15: one new file among 7,000 archived


@dataclass
class Line:
    work: str
    ours: float
    baseline: str
    base: float
    unit: str = "s"
    peak: float | None = None
    cpu: tuple[float, float] | None = None  # CPU seconds of nc-excel and of the baseline, when measured


@dataclass
class Sample:
    wall: float
    cpu: float  # user + system seconds of the process run and its workers, sampled from /proc (nan: not measured)
    peak: float | None = None


def _env() -> dict[str, str]:
    """This checkout's nc_excel for every child process."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def compiled() -> None:
    """The checkout's bytecode compiled before anything is timed, as ``pip install .`` compiles an installed
    nc-excel (and the baselines' libraries). A checkout run where PYTHONDONTWRITEBYTECODE is set (as on the
    development machine) never caches it: every process would compile the project's sources again, about a
    tenth of a second in each command and in its workers' server, which no installed copy pays."""
    import compileall

    if not compileall.compile_dir(ROOT / "nc_excel", quiet=1):
        raise SystemExit(f"the sources under {ROOT / 'nc_excel'} do not compile")


def run_process(args: Sequence[str]) -> Sample:
    """Wall time, CPU time and peak memory (MiB) of one process and its workers, start-up included."""
    from measure import PeakMemory

    with PeakMemory(own=False) as peak:
        t0 = time.perf_counter()
        done = subprocess.run(args, env=_env(), cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
    if done.returncode not in (0, 1):  # 1: some returns were rejected or late, still a full run
        raise SystemExit(f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return Sample(wall, peak.cpu_seconds(), peak.total_mib())


def run_here(work: Callable[[], object]) -> Sample:
    """Wall time of work done in this process. No CPU time (the reader workers are the forkserver's
    children, never this process's) and no peak (this process's is that of whatever it did before)."""
    t0 = time.perf_counter()
    work()
    return Sample(time.perf_counter() - t0, math.nan)


def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "nc_excel.cli", *map(str, args)]


def arm(name: str, *args: object) -> list[str]:
    """A baseline run as a process of its own: ``python -m benchmarks --arm NAME ...`` (imports only what it uses)."""
    return [sys.executable, "-m", "benchmarks", "--arm", name, *map(str, args)]


# ---------------------------------------------------------------- the baselines, run by --arm

SHEETS = ["Progress", "Deliverables", "Indicators", "Finance", "Living Labs"]  # as bench_collect reads them
HEADER_ROW = 3  # the tables' header row (nc_excel.excel.schema.HEADER_ROW), as a script would hard-code it


def read_with_pandas(folder: str) -> None:
    import pandas as pd

    for f in sorted(Path(folder).glob("*.xlsx")):
        pd.read_excel(f, engine="calamine", sheet_name=SHEETS)


def read_with_calamine(folder: str) -> None:
    from python_calamine import CalamineWorkbook

    for f in sorted(Path(folder).glob("*.xlsx")):
        with CalamineWorkbook.from_path(str(f)) as book:
            for sheet in SHEETS:
                book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def naive_master(archive: str, out: str) -> None:
    """What a coordinator would script: every return's tables read with pandas, stacked, written one sheet each."""
    import pandas as pd

    stacked: dict[str, list[pd.DataFrame]] = {s: [] for s in SHEETS}
    for f in sorted(p for p in Path(archive).rglob("*.xlsx") if ".parsed" not in p.parts):
        for sheet, frame in pd.read_excel(f, engine="calamine", sheet_name=SHEETS, header=HEADER_ROW).items():
            stacked[sheet].append(frame.assign(file=f.name))
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        for sheet, frames in stacked.items():
            pd.concat(frames, ignore_index=True).to_excel(writer, sheet_name=sheet, index=False)


ARMS: dict[str, Callable[..., None]] = {"pandas-read": read_with_pandas, "calamine-read": read_with_calamine, "naive-master": naive_master}


# ---------------------------------------------------------------- the measurements


def medians(runs: int, once: Callable[[], Sample]) -> Sample:
    """The median wall and CPU times and the largest peak of ``runs`` calls."""
    results = [once() for _ in range(runs)]
    peaks = [r.peak for r in results if r.peak is not None]
    return Sample(statistics.median(r.wall for r in results), statistics.median(r.cpu for r in results), max(peaks) if peaks else None)


def line(work: str, ours: Sample, baseline: str, base: Sample, *, per: int = 1) -> Line:
    """A line of the table; ``per`` > 1 shows milliseconds per item."""
    scale, unit = (1000 / per, "ms") if per > 1 else (1.0, "s")
    return Line(work, ours.wall * scale, baseline, base.wall * scale, unit, ours.peak, (ours.cpu * scale, base.cpu * scale))


def copy_project(src: Path, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def collect_period_1(n: int, runs: int, tmp: Path) -> list[Line]:
    """``nc-excel collect`` of n period-1 returns, against pandas and calamine reading their sheets."""
    import bench_collect

    made = tmp / "p1-made"
    bench_collect.make_project(made, n)
    inbox = made / "inbox"
    ours = medians(runs, lambda: run_process(cli("collect", "--project", copy_project(made, tmp / "p1-run"))))
    pandas = medians(runs, lambda: run_process(arm("pandas-read", inbox)))
    calamine = medians(runs, lambda: run_process(arm("calamine-read", inbox)))
    work = f"collect {n} period-1 returns (process)"
    return [line(work, ours, "pandas.read_excel(calamine), 5 sheets", pandas),
            line(work, ours, "python-calamine alone, 5 sheets (floor)", calamine)]


def templates(n: int) -> Line:
    """Median ms per partner template, nc-excel against openpyxl with named styles, each in a process of its own."""
    import bench_templates
    from measure import synthetic_setup

    setup = synthetic_setup(n)
    with tempfile.TemporaryDirectory(prefix="bench-templates-") as tmp:
        out = Path(tmp)
        (out / "nc").mkdir()
        (out / "base").mkdir()
        ours, peak = bench_templates.in_child(bench_templates.bench_ncexcel, setup, out / "nc")
        model = out / "nc" / f"NC_P1_{setup.partners[0].code}.xlsx"
        base, _ = bench_templates.in_child(bench_templates.bench_openpyxl, model, n, out / "base")
    return Line(f"partner template (median of {n})", statistics.median(ours) * 1000, "openpyxl, named styles", statistics.median(base) * 1000, "ms", peak)


def whole_life(n: int, runs: int, keep: Path, tmp: Path) -> list[Line]:
    """The seven-period project: collect in period 7 against period 1, one new return, and the build."""
    import bench_archive
    from measure import synthetic_setup

    from nc_excel.workspace import Workspace

    ready = keep / bench_archive.READY
    if not ready.exists() or ready.read_text() != f"{n} partners\n":
        shutil.rmtree(keep, ignore_errors=True)
        print(f"making a project of {n} partners x {bench_archive.PERIODS} periods in {keep} ...", file=sys.stderr, flush=True)
        bench_archive.make(keep, n)
    setup = synthetic_setup(n, periods=bench_archive.PERIODS)
    first = tmp / "first-returns"
    if not first.exists():  # the period-1 returns, written as make() writes them (nothing archived before)
        bench_archive.write_returns(copy_project(keep / "empty", tmp / "scratch"), setup, 1, first)
    one = sorted((keep / "last").glob("*.xlsx"))[:1]

    def collect(project: str, returns: Sequence[Path], period: int) -> Sample:
        root = copy_project(keep / project, tmp / "run")
        inbox = root / "inbox" / str(period)
        inbox.mkdir(parents=True, exist_ok=True)
        for f in returns:
            shutil.copy2(f, inbox / f.name)
        ws = Workspace(root)
        return run_here(lambda: ws.collect(now=bench_archive.collected_on(setup, period)))

    last = sorted((keep / "last").glob("*.xlsx"))
    p7 = medians(runs, lambda: collect("full", last, 7))
    p1 = medians(runs, lambda: collect("empty", sorted(first.glob("*.xlsx")), 1))
    one_full = medians(runs, lambda: collect("full", one, 7))
    one_empty = medians(runs, lambda: collect("empty", one, 7))

    built = tmp / "built"  # the full project with period 7 collected, built on fresh copies of it
    copy_project(keep / "full", built)
    shutil.copytree(keep / "last", built / "inbox" / "7")
    Workspace(built).collect(now=bench_archive.collected_on(setup, 7))
    as_of = bench_archive.collected_on(setup, 7).date()
    build = medians(runs, lambda: run_process(
        cli("build", "--project", copy_project(built, tmp / "run"), "--period", 7, "--as-of", as_of)))
    naive = medians(runs, lambda: run_process(arm("naive-master", built / "archive", tmp / "naive.xlsx")))
    correction = corrected(one[0], tmp / "correction")
    one_more = medians(runs, lambda: run_process(cli("collect", "--project", with_file(copy_project(built, tmp / "run"), correction))))
    archived = n * (bench_archive.PERIODS - 1)
    return [
        line(f"collect per return, period 7 ({archived:,} archived)", p7, "period 1, empty archive", p1, per=n),
        line(f"collect 1 return among {archived:,} archived", one_full, "1 return, empty archive", one_empty),
        Line(f"collect 1 correction among {n * 7:,} archived (process)", one_more.wall, "issue 15 target", ONE_NEW_TARGET,
             peak=one_more.peak, cpu=(one_more.cpu, math.nan)),
        line(f"build {n} partners x 7 periods (process)", build, f"naive pandas merge of the {n * 7:,} returns", naive),
    ]


def corrected(ret: Path, folder: Path) -> Path:
    """A partner's return sent again with one answer changed (new bytes, so a new file to collect)."""
    from nc_excel.excel.edit import Book

    book = Book(ret)
    book.type_in("Progress", "E5", "Corrected after the first level controller's questions.")
    folder.mkdir(parents=True, exist_ok=True)
    return book.save(folder / f"{ret.stem}_corrected.xlsx", dt.datetime(2020, 10, 20, 9, 0))


def with_file(root: Path, new: Path) -> Path:
    """The project with ``new`` dropped into its inbox beside every file collected before."""
    shutil.copy2(new, root / "inbox" / new.name)
    return root


def demo(runs: int, tmp: Path) -> Line:
    def once() -> Sample:
        folder = tmp / "demo"
        shutil.rmtree(folder, ignore_errors=True)
        return run_process(cli("demo", folder, "--no-pdf"))

    ours = medians(runs, once)
    return Line("nc-excel demo --no-pdf, period 1 (process)", ours.wall, "issue 15 target", DEMO_TARGET, peak=ours.peak, cpu=(ours.cpu, math.nan))


def table(lines: Sequence[Line]) -> str:
    rows = [("work", "nc-excel", "baseline", "baseline", "ratio", "CPU nc-excel / baseline", "peak MiB")]
    for x in lines:
        cpu = "" if x.cpu is None or all(map(math.isnan, x.cpu)) else " / ".join("-" if math.isnan(c) else f"{c:,.2f}" for c in x.cpu) + f" {x.unit}"
        rows.append((x.work, f"{x.ours:,.2f} {x.unit}", x.baseline, f"{x.base:,.2f} {x.unit}", f"{x.ours / x.base:.2f}", cpu,
                     f"{x.peak:,.0f}" if x.peak is not None else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {1, 3, 4, 5, 6}
    out = []
    for k, r in enumerate(rows):
        out.append("| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |")
        if k == 0:
            out.append("| " + " | ".join(("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100, help="synthetic partners (default 100; 1000 for the figures the issues ask)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the median is shown (default 3)")
    parser.add_argument("--keep", type=Path, help="keep the seven-period project here and reuse it when it is there")
    parser.add_argument("--arm", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.arm:
        ARMS[args.arm[0]](*args.arm[1:])
        return
    n, runs = args.partners, args.runs
    t0 = time.perf_counter()
    compiled()
    with tempfile.TemporaryDirectory(prefix="bench-all-") as name:
        tmp = Path(name)
        lines = collect_period_1(n, runs, tmp)
        lines.append(templates(n))
        lines += whole_life(n, runs, args.keep or tmp / "life", tmp)
        lines.append(demo(runs, tmp))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{n} partners, median of {runs} run(s), {os.cpu_count()} cores, load average {load:.1f} at the end, "
          f"{dt.datetime.now():%Y-%m-%d %H:%M}, {time.perf_counter() - t0:.0f} s in all; ratio = nc-excel / baseline")
    print(table(lines))


if __name__ == "__main__":
    main()
