"""Simulated controllers: certificate workbooks filled in as a partner would, for the demo and the tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl

from nc_excel.certificate.schema import FORM, LINES
from nc_excel.partner.schema import META_SHEET
from nc_excel.partner.simulate import save, type_value
from nc_excel.setup.models import COST_CATEGORIES


def fill_certificate(
    template: Path, out: Path, lines: Mapping[str, Mapping[str, Any]], form: Mapping[str, Any],
    *, overrides: Mapping[tuple[str, str], Any] | None = None,
) -> Path:
    """Type ``lines`` (cost category key -> certified, reason) and ``form`` into the input cells of
    ``template`` and save as ``out``; ``overrides`` types raw values at (sheet, cell) afterwards."""
    wb = openpyxl.load_workbook(template)
    meta = {row[0].value: row[1].value for row in wb[META_SHEET].iter_rows(max_col=2)}
    layout = json.loads(meta["layout"])
    table, boxes = layout["tables"][LINES], layout["forms"][FORM]
    ws = wb[table["sheet"]]
    keys = [k for k, _ in COST_CATEGORIES]
    for key, values in lines.items():
        for name, value in values.items():
            cell = ws[f"{table['columns'][name]}{table['header_row'] + 2 + keys.index(key)}"]
            if value is not None and not (isinstance(cell.value, str) and cell.value.startswith("=")):  # never over a formula
                type_value(cell, value)
    for name, value in form.items():
        if value is not None:
            type_value(wb[boxes["sheet"]][boxes["cells"][name]], value)
    for (sheet, ref), value in (overrides or {}).items():
        type_value(wb[sheet][ref], value)
    return save(wb, out)
