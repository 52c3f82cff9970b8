"""A long-running process (the Excel add-in, a demo of seven periods) writes workbook after workbook:
none may stay in memory once written."""

from __future__ import annotations

import gc
from pathlib import Path

from conftest import GENERATED_AT

from nc_excel.excel.write import atomic_workbook
from nc_excel.partner.write import write_partner_workbook
from nc_excel.setup.models import ProjectSetup


def test_a_written_workbook_is_freed(demo_setup: ProjectSetup, tmp_path: Path) -> None:
    def write(name: str) -> None:
        write_partner_workbook(tmp_path / name, demo_setup, "AAL", 1, generated_at=GENERATED_AT)

    write("warm-up.xlsx")
    gc.collect()
    before = len(gc.get_objects())
    for n in range(10):
        write(f"{n}.xlsx")
    gc.collect()
    assert (len(gc.get_objects()) - before) / 10 < 50  # a workbook kept alive holds thousands (its cells and formats)


def test_a_written_workbook_lets_its_cells_go_without_the_cycle_collector(tmp_path: Path) -> None:
    """The build runs with the cycle collector paused: the cells of the master it wrote (millions in a
    large project) must be freed when it is saved, not left for the next collection to walk."""
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        with atomic_workbook(tmp_path / "big.xlsx") as wb:
            ws = wb.add_worksheet("Sheet")
            for r in range(2000):
                for c in range(10):
                    ws.write_string(r, c, f"text {r} {c}")
        cells = sum(1 for o in gc.get_objects() if type(o).__module__ == "xlsxwriter.worksheet" and type(o).__name__ == "String")
    finally:
        if collecting:
            gc.enable()
    assert cells == 0  # 20,000 while they waited for the collector
