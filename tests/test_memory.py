"""A long-running process (the Excel add-in, a demo of seven periods) writes workbook after workbook:
none may stay in memory once written."""

from __future__ import annotations

import gc
from pathlib import Path

from conftest import GENERATED_AT

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
