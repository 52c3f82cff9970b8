"""Real formats everywhere: a percentage is a fraction under a percent format.

A cell showing 12.3% must hold 0.123, so that a formula or a chart a coordinator
builds on it is right; a number format with a literal "%" (25.0 shown as "25.0%")
would make it 100 times off. Walked over every workbook the demo writes in two
periods: setup, templates, returns, feedback, FLC certificates, master, board, report.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from nc_excel.demo import DemoResult

QUOTED_PERCENT = re.compile(r'"[^"]*%[^"]*"|\\%')
"""A "%" written as text into a number format, quoted or escaped: it multiplies nothing."""


@pytest.fixture(scope="module")
def demo(demo_played: dict[int, DemoResult]) -> DemoResult:
    return demo_played[2]


def percent_cells(path: Path) -> tuple[list[str], list[str]]:
    """(cells whose percent format holds no fraction, cells with a literal "%" in their format) of one workbook."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    not_fractions, literal = [], []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                fmt = getattr(cell, "number_format", None) or ""
                if "%" not in fmt:
                    continue
                where = f"{path.name} {ws.title}!{cell.coordinate}"
                if QUOTED_PERCENT.search(fmt):
                    literal.append(f"{where} {fmt!r}")
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) and not -10 <= cell.value <= 10:
                    not_fractions.append(f"{where} = {cell.value} as {fmt!r}")
    wb.close()
    return not_fractions, literal


def test_every_percentage_the_demo_writes_is_a_fraction_with_a_percent_format(demo: DemoResult) -> None:
    books = list({p.read_bytes(): p for p in sorted(demo.root.rglob("*.xlsx"))}.values())  # a workbook copied (archived, backed up) once
    kinds = {p.name for p in books}
    assert {"master.xlsx"} <= kinds and any("_FLC" in k for k in kinds) and any("board" in k.lower() for k in kinds), kinds
    not_fractions, literal = [], []
    for path in books:
        bad, quoted = percent_cells(path)
        not_fractions += bad
        literal += quoted
    assert not literal, f"{len(literal)} cells with a literal %, e.g. {literal[:5]}"
    assert not not_fractions, f"{len(not_fractions)} percent cells holding a number over 10, e.g. {not_fractions[:5]}"
