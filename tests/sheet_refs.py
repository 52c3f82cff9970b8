"""Helpers for the sheet-rename tests: where a saved workbook still names a sheet.

Read back with openpyxl and zipfile, so what is checked is the file, not the
objects ``rename_sheet`` changed.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from openpyxl.worksheet.formula import ArrayFormula

from nc_excel.partner.schema import META_SHEET

ERRORS = ("#NAME?", "#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")


def naming(sheet: str) -> re.Pattern[str]:
    """A reference to ``sheet``: ``'Progress'!``, ``Progress!``, ``progress!``, ``Start:Progress!``
    (and ``'Partner''s'!`` for a name with an apostrophe)."""
    names = "|".join(re.escape(n) for n in {sheet, sheet.replace("'", "''")})
    return re.compile(rf"(?<![\w.\[])(?:{names})'?!", re.IGNORECASE)


def formulas(path: Path) -> Iterator[tuple[str, str]]:
    """(where, formula) for every formula openpyxl reads from the file: cells, defined
    names of the workbook and of each sheet, data validations, conditional formats,
    table column formulas; and the defined names as written in xl/workbook.xml
    (print titles and print areas, which openpyxl rebuilds from the sheet title)."""
    wb = openpyxl.load_workbook(path)
    for name, defined in wb.defined_names.items():
        yield f"name {name}", defined.attr_text
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    yield f"{ws.title}!{cell.coordinate}", cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
        for name, defined in ws.defined_names.items():
            yield f"{ws.title} name {name}", defined.attr_text
        for dv in ws.data_validations.dataValidation:
            for formula in (dv.formula1, dv.formula2):
                if formula:
                    yield f"{ws.title} validation {dv.sqref}", formula
        for formatting in ws.conditional_formatting:
            for rule in formatting.rules:
                for formula in rule.formula:
                    yield f"{ws.title} format {formatting.sqref}", formula
        for table in ws.tables.values():
            for column in table.tableColumns:
                for formula in (column.calculatedColumnFormula, column.totalsRowFormula):
                    if formula is not None:
                        yield f"{ws.title} table {table.name}[{column.name}]", formula.attr_text
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode()
    for name, value in re.findall(r'<definedName name="([^"]+)"[^>]*>([^<]*)</definedName>', xml):
        yield f"workbook.xml {name}", value.replace("&apos;", "'").replace("&amp;", "&")


def still_naming(path: Path, sheet: str) -> list[tuple[str, str]]:
    """Every formula in the file that still refers to ``sheet``."""
    pattern = naming(sheet)
    return [(where, f) for where, f in formulas(path) if pattern.search(f)]


def meta(path: Path) -> dict[str, object]:
    """The metadata sheet, as intake reads it: key -> value."""
    wb = openpyxl.load_workbook(path)
    return {row[0].value: row[1].value for row in wb[META_SHEET].iter_rows(max_col=2)}


def missing_count_cell(path: Path) -> tuple[str, str]:
    """(sheet, cell) of the Start sheet's live count of missing inputs, from the layout."""
    sheet, cell = json.loads(str(meta(path)["layout"]))["missing_count"].split("!")
    return sheet, cell


def computed(path: Path, sheet: str, cell: str) -> object:
    """The value a spreadsheet application computed and saved at a cell."""
    return openpyxl.load_workbook(path, data_only=True)[sheet][cell].value


def error_cells(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, value) of every saved value that is a spreadsheet error."""
    wb = openpyxl.load_workbook(path, data_only=True)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith(ERRORS)]
