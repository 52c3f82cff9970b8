"""Writing the rebuilt sheets of the master workbook with openpyxl.

The master is the one workbook that is edited in place: its setup sheets must stay
exactly as the coordinator left them, which only a reader-writer (openpyxl) can
do, while every generated workbook is written fresh with XlsxWriter (``write.py``).
The house style (``style.py``) reaches the cells through named styles, which
openpyxl applies quickly. Sheets are written from the same ``Col``-annotated
models that their readers use (``read.read_frame``).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping, Sequence
from copy import copy
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from nc_excel.excel.schema import HEADER_ROW, STYLE_KINDS, columns
from nc_excel.excel.style import (
    BORDER,
    FONT,
    INPUT_FILL,
    NAVY,
    NUMBER_FORMATS,
)
from nc_excel.excel.text import looks_like_formula, xml_safe
from nc_excel.excel.write import text_lines


def _border() -> Border:
    side = Side(style="thin", color=BORDER.lstrip("#"))
    return Border(left=side, right=side, top=side, bottom=side)


def register_styles(wb: Workbook) -> None:
    """Named styles for every kind of cell, added once per workbook."""
    existing = {s if isinstance(s, str) else s.name for s in wb.named_styles}
    base_font = Font(name=FONT, size=10)
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)
    specs = {
        "nc_header": dict(font=Font(name=FONT, size=10, bold=True, color="FFFFFF"), fill=PatternFill("solid", fgColor=NAVY.lstrip("#")),
                          alignment=Alignment(vertical="center", wrap_text=True), border=_border()),
        "nc_title": dict(font=Font(name=FONT, size=16, bold=True, color=NAVY.lstrip("#"))),
        "nc_note": dict(font=Font(name=FONT, size=10, italic=True, color="595959")),
        "nc_label": dict(font=Font(name=FONT, size=10, bold=True), border=_border(), fill=PatternFill("solid", fgColor="F2F2F2"), alignment=top),
        "nc_big": dict(font=Font(name=FONT, size=14, bold=True, color=NAVY.lstrip("#")), border=_border(), alignment=Alignment(horizontal="right")),
    }
    for kind in STYLE_KINDS:
        fmt = NUMBER_FORMATS.get(kind, "General") if kind not in ("text", "wrap") else "General"
        specs[f"nc_{kind}"] = dict(font=base_font, alignment=wrap if kind == "wrap" else top, border=_border(), number_format=fmt)
        specs[f"nc_in_{kind}"] = dict(font=base_font, alignment=wrap if kind == "wrap" else top, border=_border(), number_format=fmt,
                                      fill=PatternFill("solid", fgColor=INPUT_FILL.lstrip("#")))
    for name, props in specs.items():
        if name not in existing:
            style = NamedStyle(name=name)
            for key, value in props.items():
                setattr(style, key, value)
            wb.add_named_style(style)


def cell_value(value: Any) -> Any:
    """A frame value as a cell value: Decimals as numbers, missing values as blanks."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


_NAMED: weakref.WeakKeyDictionary[Workbook, dict[str, StyleArray]] = weakref.WeakKeyDictionary()
"""Per workbook, what ``cell.style = name`` sets: openpyxl finds a named style by rebuilding and
scanning the list of style names on every assignment, a third of the time of writing a large master."""


def put(ws: Worksheet, row: int, col: int, value: Any, style: str) -> None:
    """Write one cell; text is stored as text, so partner text never becomes a formula, and as a workbook can hold it."""
    cell = ws.cell(row=row, column=col)
    value = cell_value(value)
    cell.value = xml_safe(value) if isinstance(value, str) else value
    known = _NAMED.setdefault(ws.parent, {})
    if style in known:
        cell._style = copy(known[style])
    else:
        cell.style = style
        known[style] = copy(cell._style)
    if isinstance(cell.value, str):  # after the style: assigning a named style resets the cell's own attributes
        cell.data_type = "s"
        if looks_like_formula(cell.value):
            cell.quotePrefix = True  # stays text when someone edits the cell


def sheet_title(ws: Worksheet, title: str, intro: str) -> None:
    ws["A1"] = title
    ws["A1"].style = "nc_title"
    ws["A2"] = intro
    ws["A2"].style = "nc_note"


def write_frame(ws: Worksheet, frame: pd.DataFrame, model: type[BaseModel], *, table: str, title: str, intro: str,
                freeze_cols: int = 1, status_field: str | None = None, status_colours: Mapping[str, tuple[str, str]] = {},
                lists: Mapping[str, Sequence[str]] = {}) -> None:
    """A titled sheet holding ``frame`` as a named Excel table, its columns those of ``model``.

    The header is in row ``HEADER_ROW`` (0-based) like on every sheet nc-excel writes;
    the model's input columns are styled as inputs, a column with ``choices`` gets a
    dropdown from ``lists``, and ``status_field``'s words get ``status_colours``.
    """
    top = HEADER_ROW + 1  # openpyxl counts from 1
    cols = columns(model)
    sheet_title(ws, title, intro)
    for c, column in enumerate(cols, start=1):
        put(ws, top, c, column.header, "nc_header")
        ws.column_dimensions[get_column_letter(c)].width = column.col.width
    records = frame[[c.name for c in cols]].itertuples(index=False, name=None) if len(frame) else []
    styles = [f"nc_in_{c.style}" if c.col.input else f"nc_{c.style}" for c in cols]
    formats = [c.col.number_format for c in cols]  # a column's own number format, over its style's
    wrapped = [(i, c.col.width) for i, c in enumerate(cols) if c.style == "wrap"]
    n = 0
    for n, record in enumerate(records, start=1):
        for c, (value, style, number_format) in enumerate(zip(record, styles, formats), start=1):
            put(ws, top + n, c, value, style)
            if number_format:
                ws.cell(top + n, c).number_format = number_format
        lines = max((text_lines(record[i], width) for i, width in wrapped), default=1)
        if lines > 1:
            ws.row_dimensions[top + n].height = 13 * min(lines, 15)
    last_row = top + max(n, 1)
    if n == 0:
        for c, style in enumerate(styles, start=1):
            put(ws, top + 1, c, None, style)
    ref = f"A{top}:{get_column_letter(len(cols))}{last_row}"
    tab = Table(displayName=table, ref=ref)
    tab.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
    ws.add_table(tab)
    ws.freeze_panes = ws.cell(row=top + 1, column=freeze_cols + 1)
    ws.row_dimensions[top].height = 30
    for c, column in enumerate(cols, start=1):
        letter = get_column_letter(c)
        if column.name == status_field:
            color_statuses(ws, f"{letter}{top + 1}:{letter}{last_row}", status_colours)
        if column.col.choices in lists:
            dv = DataValidation(type="list", formula1='"' + ",".join(lists[column.col.choices]) + '"', allow_blank=True)
            ws.add_data_validation(dv)
            dv.add(f"{letter}{top + 1}:{letter}{last_row}")
    print_setup(ws, repeat_row=top)


def write_fields(ws: Worksheet, record: BaseModel, *, top: int, label_width: float = 34, value_width: float = 24) -> int:
    """A model instance as labelled rows (label | value) from row ``top`` (1-based); returns the next free row.

    Numbers stand right beside their labels; a long text wraps in its cell and its row grows to show it.
    """
    ws.column_dimensions["A"].width = label_width
    ws.column_dimensions["B"].width = value_width
    row = top
    for column in columns(type(record)):
        value = getattr(record, column.name)
        put(ws, row, 1, column.header, "nc_label")
        put(ws, row, 2, value, f"nc_{column.style}")
        lines = text_lines(value, value_width)
        if lines > 1:
            ws.row_dimensions[row].height = 13 * min(lines, 15)
        row += 1
    return row


def color_statuses(ws: Worksheet, ref: str, colours: Mapping[str, tuple[str, str]]) -> None:
    """Conditional formats for status words (word -> fill and font colour)."""
    for word, (fill, font) in colours.items():
        rgb = fill.lstrip("#")
        ws.conditional_formatting.add(ref, CellIsRule(operator="equal", formula=[f'"{word}"'], fill=PatternFill("solid", fgColor=rgb, bgColor=rgb),
                                                      font=Font(color=font.lstrip("#"))))


def print_setup(ws: Worksheet, *, repeat_row: int | None = None, landscape: bool = True) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.oddHeader.left.text = "&8&A"
    ws.oddFooter.right.text = "&8Page &P of &N"
    if repeat_row is not None:
        ws.print_title_rows = f"{repeat_row}:{repeat_row}"
