"""How the board workbook is laid out: its formats, tables and pages.

A ``Page`` writes one sheet: headings, tables of master rows (``Show`` places a
field of a master model in sheet columns, with the header and kind the model
gives), charts, and page breaks that keep every section on one printed page when
it fits on one. The heights used for that are set on every row written, so Excel
and LibreOffice break the pages alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pandas as pd
from pydantic import BaseModel
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.excel.schema import columns
from nc_excel.excel.style import BORDER, FONT, NAVY, NUMBER_FORMATS
from nc_excel.excel.write import (
    add_format,
    fit_row,
    print_setup,
    protect,
    write_value,
)
from nc_excel.master.schema import (
    STATUS_COLOURS,
)

# Points of an A4 landscape page inside the margins (LibreOffice prints the header and footer in them).
PAGE_WIDTH, PAGE_HEIGHT = 770.0, 490.0
DEFAULT_ROW = 15.0  # a row whose height is not set (Excel's default)
EURO = '"€ "#,##0'
"""Money on the board: whole euros with the sign (the master keeps the cents)."""

ROW = 14.0  # a one-line table row; every row written gets its height set, so both applications print alike
SPACER = 8.0


class Formats:
    """Formats of the board workbook, made once each (house font, size 10, top aligned)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self._cache: dict[tuple, Format] = {}

    def __call__(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = add_format(self.wb, {"font_name": FONT, "font_size": 10, "valign": "top", **props})
        return self._cache[key]

    def cell(self, kind: str = "text", **extra: Any) -> Format:
        props: dict[str, Any] = {"border": 1, "border_color": BORDER}
        if kind == "wrap":
            props["text_wrap"] = True
        elif kind == "score":
            props["num_format"] = "0.0"
        elif kind == "gap":
            props["num_format"] = "+0.0%;-0.0%;0.0%"  # a difference of two fractions, signed
        elif kind == "money":
            props["num_format"] = EURO
        elif kind == "share":
            props["num_format"] = "0.0%"  # a fraction (0.25) as 25.0%
        elif kind in NUMBER_FORMATS and kind != "text":
            props["num_format"] = NUMBER_FORMATS[kind]
        if "num_format" in props and props["num_format"] != "General" and "align" not in extra:
            props["num_format"] += "_)"  # room of one character before the next column's text
        return self(**props, **extra)

    def header(self, **extra: Any) -> Format:
        return self(bold=True, font_color="#FFFFFF", bg_color=NAVY, border=1, border_color=BORDER, text_wrap=True, valign="vcenter", **extra)

    def status(self, word: Any, **extra: Any) -> Format:
        fill, color = STATUS_COLOURS.get(str(word), ("#FFFFFF", "#000000"))
        return self.cell(bg_color=fill, font_color=color, bold=str(word) in ("Overdue", "At risk"), **extra)

    def title(self) -> Format:
        return self(bold=True, font_size=16, font_color=NAVY)

    def note(self) -> Format:
        return self(italic=True, font_color="#595959", text_wrap=True)

    def section(self) -> Format:
        return self(bold=True, font_size=12, font_color=NAVY, bottom=2, bottom_color=NAVY)


@dataclass(frozen=True)
class Show:
    """Where a field goes in a board table: the field, and the sheet columns it spans.

    A field of a master sheet takes its header and kind from the sheet's model
    (``master.schema``); ``header`` and ``kind`` are given only where the board
    says it differently, or for a frame the board derived itself.
    """

    name: str
    header: str | None = None
    kind: str | None = None
    first: int | None = None  # None: the column after the previous one
    last: int | None = None  # None: one column wide
    status: bool = False
    align: str | None = None

    def resolved(self, model: type[BaseModel] | None) -> Show:
        """This placement with the header and kind its model gives."""
        if self.header is not None and self.kind is not None:
            return self
        column = next((c for c in columns(model) if c.name == self.name), None) if model is not None else None
        if column is None:
            return replace(self, header=self.header or self.name, kind=self.kind or "text")
        return replace(self, header=self.header or column.header, kind=self.kind or column.style)


class Page:
    """One sheet of the board workbook: writes tables and text, keeps track of the last row used."""

    def __init__(self, wb: Workbook, fmt: Formats, name: str, widths: Sequence[float]) -> None:
        self.ws: Worksheet = wb.add_worksheet(name)
        self.fmt, self.widths = fmt, list(widths)
        for c, w in enumerate(widths):
            self.ws.set_column(c, c, w)
        self.row = 0
        self.heights: dict[int, float] = {}
        self.page_top = 0  # first row of the page being filled
        self.breaks: list[int] = []
        self.pending: tuple[str, str | None] | None = None

    @property
    def last_col(self) -> int:
        return len(self.widths) - 1

    def span_width(self, first: int, last: int) -> float:
        return sum(self.widths[first:last + 1])

    def set_row(self, row: int, height: float) -> None:
        self.heights[row] = height
        self.ws.set_row(row, height)

    # -- pages: a section that does not fit on what is left of a page starts a new one

    def _capacity(self) -> float:
        """Points of rows that fit on one printed page at the fit-to-width scale."""
        width = sum(int(w * 7 + 0.5) + 5 for w in self.widths) * 0.75
        return PAGE_HEIGHT / min(1.0, PAGE_WIDTH / width)

    def keep(self, needed: float) -> None:
        """Start a new page here unless ``needed`` points still fit (or the page is empty)."""
        used = sum(self.heights.get(r, DEFAULT_ROW) for r in range(self.page_top, self.row))
        room = self._capacity() - used
        if needed > room and self.row > self.page_top and (needed <= self._capacity() or room < self._capacity() / 3):
            self.breaks.append(self.row)
            self.page_top = self.row

    def put(self, row: int, first: int, last: int, value: Any, fmt: Format) -> None:
        if last > first:
            self.ws.merge_range(row, first, row, last, "", fmt)
        write_value(self.ws, row, first, value, fmt)

    def heading(self, title: str, intro: str) -> None:
        self.ws.write_string(0, 0, title, self.fmt.title())
        self.set_row(0, 24)
        self.put(1, 0, self.last_col, intro, self.fmt.note())
        self.set_row(1, fit_row([(intro, self.span_width(0, self.last_col))]) or ROW)
        self.set_row(2, SPACER)
        self.row = 3

    def section(self, text: str, note: str | None = None, *, need: float | None = None) -> None:
        """A section heading; written with the next table (kept on its page), or now when ``need`` says how high the content is."""
        self.pending = (text, note)
        if need is not None:
            self._heading(need)

    def _heading(self, need: float) -> None:
        if self.pending is None:
            return
        text, note = self.pending
        self.pending = None
        self.set_row(self.row, SPACER)
        self.row += 1
        self.keep(20 + (ROW if note else 0) + need)
        self.put(self.row, 0, self.last_col, text, self.fmt.section())
        self.set_row(self.row, 20)
        self.row += 1
        if note:
            self.put(self.row, 0, self.last_col, note, self.fmt.note())
            self.set_row(self.row, ROW)
            self.row += 1

    def table(self, frame: pd.DataFrame, model: type[BaseModel] | None, shows: Sequence[Show], *, empty: str = "None.") -> tuple[int, int]:
        """Header and rows of ``frame`` (rows of ``model``, or None for a frame the board derived), kept with their
        section heading; returns the first and last data row (0-based)."""
        cols = [c.resolved(model) for c in shows]
        spans, nxt = [], 0
        for c in cols:
            first = nxt if c.first is None else c.first
            last = first if c.last is None else c.last
            spans.append((first, last))
            nxt = last + 1
        records = list(frame[[c.name for c in cols]].itertuples(index=False, name=None)) if len(frame) else []
        heights = [fit_row((v, self.span_width(a, b)) for v, (a, b), c in zip(record, spans, cols) if c.kind == "wrap") for record in records]
        need = 28 + sum(h or ROW for h in heights) if records else ROW
        if self.pending is not None:
            self._heading(need)
        else:
            self.keep(need)
        top = self.row
        if not records:  # nothing to list: one line saying so, no header
            self.put(top, 0, self.last_col, empty, self.fmt.note())
            self.set_row(top, ROW)
            self.row = top + 1
            return top, top - 1
        for c, (first, last) in zip(cols, spans):
            self.put(top, first, last, c.header, self.fmt.header())
        self.set_row(top, 28)
        r = top
        for r, (record, height) in enumerate(zip(records, heights), start=top + 1):
            for c, (first, last), value in zip(cols, spans, record):
                extra = {"align": c.align} if c.align else {}
                fmt = self.fmt.status(value, text_wrap=c.kind == "wrap", **extra) if c.status else self.fmt.cell(c.kind, **extra)
                self.put(r, first, last, shown_value(value), fmt)
            self.set_row(r, height or ROW)
        self.row = r + 1
        return top + 1, r

    def chart(self, chart: Any, col: int, height_px: int, *, description: str, x_offset: int = 4, row: int | None = None) -> int:
        """Insert ``chart`` below the last row (kept on one page), or beside another at ``row``.

        ``description`` is the chart's alternative text: what a screen reader says instead of the picture.
        """
        if row is None:
            self.row += 1
            self.keep(height_px * 0.75 + 10)
            row = self.row
        self.ws.insert_chart(row, col, chart, {"x_offset": x_offset, "y_offset": 4, "object_position": 3, "description": description})
        self.row = max(self.row, row + int(height_px * 0.75 / DEFAULT_ROW) + 2)  # rows below a chart keep the default height
        return row

    def finish(self, header: str, footer_day: dt.date, *, fit_height: int = 0, password: str | None = None) -> None:
        print_setup(self.ws, header=header)
        self.ws.set_footer(f"&L&8Figures as of {footer_day:%d %B %Y}&R&8Page &P of &N")
        self.ws.fit_to_pages(1, fit_height)
        self.ws.print_area(0, 0, max(self.row - 1, 0), self.last_col)
        if self.breaks and not fit_height:
            self.ws.set_h_pagebreaks(self.breaks)
        self.ws.hide_gridlines(2)
        protect(self.ws, password)


def shown_value(value: Any) -> Any:
    """A value from the master as the board shows it: NaN and NaT as blanks, booleans as Yes and No."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value
