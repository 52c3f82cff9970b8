"""Benchmark: opening 1,000 returned templates safely, against pandas + openpyxl.

Run: python benchmarks/bench_open_files.py [--files 1000] [--runs 3] [--workers 2]

Each arm runs in a fresh process of its own so that its peak memory is its own:
- ``open_files``: nc_excel.intake.workers.open_files (sniffing, zip and XML checks,
  stray-cell scan, calamine in limited worker processes), ``workers`` in parallel;
- ``calamine``: python-calamine reading every sheet in-process with no checks at all
  (the floor: what the safety costs is the difference);
- ``pandas``: pandas.read_excel(engine="openpyxl", sheet_name=None), in-process.
Peak memory is the largest sum, over samples every 20 ms, of the peak resident sizes of
the arm's process and of every process alive below it (forkserver, workers), from /proc.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's nc_excel, not an installed one
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import PeakMemory  # noqa: E402


def arm(name: str, folder: Path, runs: int, workers: int) -> dict[str, object]:
    files = sorted(folder.glob("*.xlsx"))
    if name == "open_files":
        from nc_excel.intake.sniff import FileProblem
        from nc_excel.intake.workers import open_files

        def once() -> None:
            for _, result in open_files(files, workers=workers):
                assert not isinstance(result, FileProblem), result

        list(open_files(files[:4], workers=workers))  # start the forkserver: paid once per process
    elif name == "calamine":
        from python_calamine import CalamineWorkbook

        def once() -> None:
            for f in files:
                with CalamineWorkbook.from_path(str(f)) as book:
                    for sheet in book.sheet_names:
                        book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)

    else:
        import pandas as pd

        def once() -> None:
            for f in files:
                pd.read_excel(f, engine="openpyxl", sheet_name=None)

    times = []
    with PeakMemory() as peak:
        for _ in range(runs):
            start = time.perf_counter()
            once()
            times.append(time.perf_counter() - start)
    total = statistics.median(times)
    return {"arm": name, "files": len(files), "runs": runs, "total_s": total, "ms_per_file": total * 1000 / len(files), "peak_mib": peak.total_mib()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs of the fast arms; the median is reported")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--arm", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.arm:
        print(json.dumps(arm(args.arm, Path(args.folder), args.runs, args.workers)))
        return

    from nc_excel.partner.write import write_partner_workbook
    from nc_excel.setup.demo import northern_connections

    with tempfile.TemporaryDirectory(prefix="bench-open-") as tmp:
        folder = Path(tmp)
        setup = northern_connections("bench")
        first = folder / "NC_1_0000.xlsx"
        write_partner_workbook(first, setup, setup.partners[0].code, setup.periods[0].number, generated_at=dt.datetime(2017, 9, 1, 9, 0))
        size = first.stat().st_size
        for i in range(1, args.files):
            shutil.copy(first, folder / f"NC_1_{i:04d}.xlsx")
        rows = []
        for name, runs in (("open_files", args.runs), ("calamine", args.runs), ("pandas", 1)):
            out = subprocess.run(
                [sys.executable, __file__, "--arm", name, "--folder", tmp, "--runs", str(runs), "--workers", str(args.workers)],
                check=True, capture_output=True, text=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{args.files} copies of one template ({size / 1024:.1f} KiB), {os.cpu_count()} cores, workers={args.workers}, median of {args.runs} runs (pandas: 1)")
    print(f"{'reader':<34}{'ms/file':>9}{'total s':>9}{'peak MiB':>10}{'vs open_files':>15}")
    base = rows[0]["ms_per_file"]
    labels = {
        "open_files": f"open_files (checks + {args.workers} workers)",
        "calamine": "calamine, no checks, 1 process",
        "pandas": "pandas.read_excel(openpyxl)",
    }
    for row in rows:
        print(f"{labels[row['arm']]:<34}{row['ms_per_file']:>9.2f}{row['total_s']:>9.2f}{row['peak_mib']:>10.0f}{row['ms_per_file'] / base:>14.1f}x")


if __name__ == "__main__":
    main()
