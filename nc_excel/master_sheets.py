"""Writing the rebuilt sheets of the master workbook with openpyxl.

The master is the one workbook that is edited in place: its setup sheets must stay
exactly as the coordinator left them, which only a reader-writer (openpyxl) can
do, while every generated workbook is written fresh with XlsxWriter (``xlsx.py``).
The house style (colours, number formats) is shared with ``xlsx.py``; the cells
get it through named styles, which openpyxl applies quickly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from nc_excel.xlsx import BORDER, FLAG_FILL, FONT, INPUT_FILL, NAVY, NUMBER_FORMATS, text_lines

Kind = str  # "text" | "wrap" | "int" | "money" | "percent" | "date" | "decimal"

STATUS_FILLS = {
    "Done": "C6EFCE", "On track": "DDEBF7", "At risk": "FFEB9C", "Overdue": "FFC7CE", "Not started": "EDEDED",
    "accepted": "C6EFCE", "accepted with warnings": "FFEB9C", "rejected": "FFC7CE",
    "error": "FFC7CE", "warning": "FFEB9C", "Yes": "C6EFCE",
}


@dataclass(frozen=True)
class Column:
    """A column of a rebuilt sheet: frame column, header, width, kind; ``coordinator`` columns are the
    coordinator's own (kept across rebuilds) and styled as inputs."""

    name: str
    header: str
    width: float = 14
    kind: Kind = "text"
    coordinator: bool = False


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
    for kind in ("text", "wrap", "int", "money", "percent", "date", "decimal"):
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


def put(ws: Worksheet, row: int, col: int, value: Any, style: str) -> None:
    """Write one cell; text is stored as text, so partner text never becomes a formula."""
    cell = ws.cell(row=row, column=col)
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True
    cell.style = style


def sheet_title(ws: Worksheet, title: str, intro: str) -> None:
    ws["A1"] = title
    ws["A1"].style = "nc_title"
    ws["A2"] = intro
    ws["A2"].style = "nc_note"


HEADER_ROW = 4  # 1-based: title, intro, blank, header


def write_frame(ws: Worksheet, frame: pd.DataFrame, columns: Sequence[Column], *, table: str, title: str, intro: str,
                freeze_cols: int = 1, status_column: str | None = None, top: int = HEADER_ROW) -> None:
    """A titled sheet holding ``frame`` as a named Excel table, the house style applied."""
    sheet_title(ws, title, intro)
    for c, column in enumerate(columns, start=1):
        put(ws, top, c, column.header, "nc_header")
        ws.column_dimensions[get_column_letter(c)].width = column.width
    records = frame[[c.name for c in columns]].itertuples(index=False, name=None) if len(frame) else []
    styles = [f"nc_in_{c.kind}" if c.coordinator else f"nc_{c.kind}" for c in columns]
    wrapped = [(i, c.width) for i, c in enumerate(columns) if c.kind == "wrap"]
    n = 0
    for n, record in enumerate(records, start=1):
        for c, (value, style) in enumerate(zip(record, styles), start=1):
            put(ws, top + n, c, value, style)
        lines = max((text_lines(record[i], width) for i, width in wrapped), default=1)
        if lines > 1:
            ws.row_dimensions[top + n].height = 13 * min(lines, 15)
    last_row = top + max(n, 1)
    if n == 0:
        for c, style in enumerate(styles, start=1):
            put(ws, top + 1, c, None, style)
    ref = f"A{top}:{get_column_letter(len(columns))}{last_row}"
    tab = Table(displayName=table, ref=ref)
    tab.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
    ws.add_table(tab)
    ws.freeze_panes = ws.cell(row=top + 1, column=freeze_cols + 1)
    ws.row_dimensions[top].height = 30
    if status_column is not None:
        col = get_column_letter(next(i for i, c in enumerate(columns, start=1) if c.name == status_column))
        color_statuses(ws, f"{col}{top + 1}:{col}{last_row}")
    print_setup(ws, repeat_row=top)


def color_statuses(ws: Worksheet, ref: str) -> None:
    """Conditional fills for status words, so they print legibly in colour and grey."""
    for word, color in STATUS_FILLS.items():
        ws.conditional_formatting.add(ref, CellIsRule(operator="equal", formula=[f'"{word}"'], fill=PatternFill("solid", fgColor=color, bgColor=color)))


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


def flag_fill() -> PatternFill:
    return PatternFill("solid", fgColor=FLAG_FILL.lstrip("#"))
