"""Benchmark: partner templates for 1,000 synthetic partners, against plain openpyxl.

Run: python benchmarks/bench_templates.py [--partners 1000]

nc-excel writes each template with XlsxWriter from the table models. The baseline
writes the same layout (every cell's value, style, validation, table, protection
and sheet settings, copied from one generated template) cell by cell with plain
openpyxl, as a coordinator's own script would, each distinct style made once as a
named style (openpyxl's fastest way to style many cells). Reports the median ms per template
and the peak memory of each.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.styles import NamedStyle
from openpyxl.worksheet.table import Table

from nc_excel.partner.write import write_partner_workbook
from nc_excel.setup.models import ProjectSetup

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import synthetic_setup  # noqa: E402

NOW = dt.datetime(2017, 9, 1, 9, 0)


def bench_ncexcel(setup: ProjectSetup, out: Path) -> list[float]:
    times = []
    for p in setup.partners:
        t = time.perf_counter()
        write_partner_workbook(out / f"NC_P1_{p.code}.xlsx", setup, p.code, 1, generated_at=NOW)
        times.append(time.perf_counter() - t)
    return times


def bench_openpyxl(model_file: Path, n: int, out: Path) -> list[float]:
    """Write the layout of ``model_file`` cell by cell with openpyxl, ``n`` times, each distinct
    style once as a named style of the workbook and each cell given its style's name: the
    fastest way openpyxl offers to style many cells alike (one assignment per cell, not six)."""
    src = openpyxl.load_workbook(model_file)
    specs: dict[tuple, dict] = {}  # a distinct style of the model -> what its named style holds
    for ws_src in src.worksheets:
        for row in ws_src.iter_rows():
            for c in row:
                if c.has_style and tuple(c._style) not in specs:
                    specs[tuple(c._style)] = {"font": copy.copy(c.font), "fill": copy.copy(c.fill), "border": copy.copy(c.border),
                                              "alignment": copy.copy(c.alignment), "number_format": c.number_format,
                                              "protection": copy.copy(c.protection)}
    names = {key: f"style{i}" for i, key in enumerate(specs)}
    times = []
    for i in range(n):
        t = time.perf_counter()
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for key, spec in specs.items():
            wb.add_named_style(NamedStyle(name=names[key], **spec))
        for ws_src in src.worksheets:
            ws = wb.create_sheet(ws_src.title)
            for row in ws_src.iter_rows():
                for c in row:
                    if c.value is None and not c.has_style:
                        continue
                    cell = ws.cell(c.row, c.column, c.value)
                    if c.has_style:
                        cell.style = names[tuple(c._style)]
            for key, dim in ws_src.column_dimensions.items():
                ws.column_dimensions[key].width = dim.width
            for dv in ws_src.data_validations.dataValidation:
                ws.add_data_validation(copy.copy(dv))
            for table in ws_src.tables.values():
                ws.add_table(Table(displayName=table.displayName, ref=table.ref))
            ws.freeze_panes = ws_src.freeze_panes
            ws.page_setup.orientation = ws_src.page_setup.orientation
            ws.page_setup.paperSize = ws_src.page_setup.paperSize
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.protection.sheet = ws_src.protection.sheet
            ws.sheet_state = ws_src.sheet_state
        wb.save(out / f"baseline_{i:04d}.xlsx")
        times.append(time.perf_counter() - t)
    return times


def _child(fn, args, queue) -> None:
    times = fn(*args)
    queue.put((times, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def in_child(fn, *args) -> tuple[list[float], float]:
    """Run one writer in a fresh process: its times and its peak resident memory (MiB)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    args = parser.parse_args()
    setup = synthetic_setup(args.partners)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "nc").mkdir()
        (out / "base").mkdir()
        t0 = time.perf_counter()
        nc_times, nc_peak = in_child(bench_ncexcel, setup, out / "nc")
        nc_total = time.perf_counter() - t0
        model = out / "nc" / f"NC_P1_{setup.partners[0].code}.xlsx"
        t0 = time.perf_counter()
        base_times, base_peak = in_child(bench_openpyxl, model, args.partners, out / "base")
        base_total = time.perf_counter() - t0
    nc_med, base_med = statistics.median(nc_times) * 1000, statistics.median(base_times) * 1000
    print(f"templates for {args.partners} partners, one process per writer (peak = its max resident memory)")
    print(f"{'writer':<28}{'median ms':>10}{'total s':>9}{'peak MiB':>10}")
    print(f"{'nc-excel (XlsxWriter)':<28}{nc_med:>10.1f}{nc_total:>9.1f}{nc_peak:>10.1f}")
    print(f"{'openpyxl, named styles':<28}{base_med:>10.1f}{base_total:>9.1f}{base_peak:>10.1f}")
    print(f"speed-up: {base_med / nc_med:.1f}x")


if __name__ == "__main__":
    main()
