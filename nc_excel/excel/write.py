"""Shared writing helpers: the house style, tables and forms from models, safe text, atomic save.

Every generated workbook (templates, master setup, feedback, board) is written with
XlsxWriter: it is about 3x faster than openpyxl at writing, writes tables,
validations, protection and native charts, and never reads partner files, so it
cannot carry anything of theirs over except the values we hand it. All text goes
through ``write_value``, which stores strings as strings: ``=HYPERLINK(...)`` typed
by a partner stays visible text and never becomes a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import xlsxwriter
from pydantic import BaseModel
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.atomic import replacing
from nc_excel.excel.parse import ParseError, parse_number
from nc_excel.excel.schema import Column, cell_ref, col_letter, columns
from nc_excel.excel.style import (
    BORDER,
    FLAG_BORDER,
    FLAG_FILL,
    FONT,
    FORMULA_FILL,
    INPUT_FILL,
    LOCKED_FILL,
    NAVY,
    NOTED_BORDER,
    NOTED_FILL,
    NUMBER_FORMATS,
)
from nc_excel.excel.text import FORMULA_STARTS, looks_like_formula, xml_safe
from nc_excel.issues import Issue, Severity

Role = Literal["header", "input", "locked", "formula", "plain", "label", "flagged", "noted"]


class Formula(str):
    """A value to be written as a formula (ours, never a partner's text).

    ``value`` is the result we computed ourselves and store as the cached result,
    so that readers and LibreOffice (which does not recalculate on load by
    default) show the right figure before any recalculation.
    """

    value: Any

    def __new__(cls, text: str, value: Any = None) -> Formula:
        obj = super().__new__(cls, text)
        obj.value = value
        return obj


def cell_number(value: Any) -> Decimal:
    """A cell's value as a formula on it sees it, for the results cached beside the formulas:
    a formula's own result, a number, text read as a number; blank is 0."""
    value = value.value if isinstance(value, Formula) else value
    try:
        return parse_number(value) if value not in (None, "") else Decimal(0)
    except ParseError:  # what a partner typed that is not a number (feedback workbooks)
        return Decimal(0)


@dataclass(frozen=True)
class Window:
    """A date window a validation enforces (e.g. the project's duration)."""

    label: str
    low: dt.date
    high: dt.date


_FORMATS: weakref.WeakKeyDictionary[Format, tuple[weakref.ref[Workbook], dict[str, Any]]] = weakref.WeakKeyDictionary()
"""Each format's workbook and properties. The workbook is held weakly: it holds its formats, so a strong
reference here would keep every workbook a process ever wrote alive, with all its cells (a long-running
add-in, or a test session, grew by millions of objects, and every collection walked them)."""
_QUOTED: weakref.WeakKeyDictionary[Format, Format] = weakref.WeakKeyDictionary()


def add_format(wb: Workbook, props: dict[str, Any]) -> Format:
    """A format of ``wb``, remembered with its properties so ``write_value`` can make its
    quote-prefixed twin for text that looks like a formula. Every format nc-excel writes
    with is made here."""
    fmt = wb.add_format(props)
    _FORMATS[fmt] = (weakref.ref(wb), dict(props))
    return fmt


def _quoted(fmt: Format | None) -> Format | None:
    """``fmt`` with Excel's quote prefix ('), which keeps a text cell text when someone edits it."""
    if fmt is None or fmt not in _FORMATS:
        return fmt
    if fmt not in _QUOTED:
        owner, props = _FORMATS[fmt]
        wb = owner()
        if wb is None:  # a format outliving its workbook writes nothing more
            return fmt
        _QUOTED[fmt] = wb.add_format({**props, "quote_prefix": True})
    return _QUOTED[fmt]


@dataclass
class Styles:
    """The house style of one workbook; formats are made once and reused."""

    wb: Workbook
    _cache: dict[tuple[Any, ...], Format] = field(default_factory=dict)

    def fmt(self, role: Role, kind: str = "text", *, wrap: bool = False, num_format: str | None = None, bold: bool = False) -> Format:
        key = (role, kind, wrap, num_format, bold)
        if key not in self._cache:
            props: dict[str, Any] = {"font_name": FONT, "font_size": 10, "valign": "top"}
            if bold:
                props["bold"] = True
            if role != "header" and (num_format or kind in NUMBER_FORMATS):
                props["num_format"] = num_format or NUMBER_FORMATS[kind]
            if wrap or role == "header":
                props["text_wrap"] = True
            if role == "header":
                props.update(bold=True, font_color="white", bg_color=NAVY, border=1, border_color=BORDER, valign="vcenter")
            elif role == "input":
                props.update(bg_color=INPUT_FILL, border=1, border_color=BORDER, locked=False)
            elif role == "flagged":
                props.update(bg_color=FLAG_FILL, border=2, border_color=FLAG_BORDER, locked=False)
            elif role == "noted":
                props.update(bg_color=NOTED_FILL, border=2, border_color=NOTED_BORDER, locked=False)
            elif role == "locked":
                props.update(bg_color=LOCKED_FILL, border=1, border_color=BORDER)
            elif role == "formula":
                props.update(bg_color=FORMULA_FILL, border=1, border_color=BORDER, italic=True)
            elif role == "plain":
                props.update(border=1, border_color=BORDER, locked=False)
            elif role == "label":
                props.update(bold=True, border=1, border_color=BORDER, bg_color=LOCKED_FILL)
            self._cache[key] = add_format(self.wb, props)
        return self._cache[key]

    def text(self, name: str) -> Format:
        """Free-standing text styles: title, subtitle, note, note_wrap, wrap, strong, warn, warn_wrap, ok, link (top-aligned like the rest)."""
        key = ("text", name)
        if key not in self._cache:
            props: dict[str, Any] = {"font_name": FONT, "font_size": 10, "valign": "top"}
            props.update(
                {
                    "title": {"bold": True, "font_size": 16, "font_color": NAVY},
                    "subtitle": {"bold": True, "font_size": 12, "font_color": NAVY},
                    "note": {"italic": True, "font_color": "#595959"},
                    "note_wrap": {"italic": True, "font_color": "#595959", "text_wrap": True},
                    "wrap": {"text_wrap": True},
                    "strong": {"bold": True},
                    "warn": {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"},
                    "warn_wrap": {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE", "text_wrap": True},
                    "ok": {"bold": True, "font_color": "#006100", "bg_color": "#C6EFCE"},
                    "link": {"font_color": "#0563C1", "underline": 1, "text_wrap": True, "bg_color": LOCKED_FILL, "border": 1, "border_color": BORDER},
                }[name]
            )
            self._cache[key] = add_format(self.wb, props)
        return self._cache[key]


    def mark(self, fill: str, font: str | None = None) -> Format:
        """A fill (and font colour) for conditional formats, which lay it over the cell's own format."""
        key = ("mark", fill, font)
        if key not in self._cache:
            self._cache[key] = self.wb.add_format({"bg_color": fill, **({"font_color": font} if font else {})})
        return self._cache[key]


CHARS_PER_WIDTH = 1.35
"""Characters of 10-point prose per unit of column width (a unit is 7 pixels, and a column has
5 more): what LibreOffice fits with its substitute for Calibri, the widest font a reader here
will see; Excel's Calibri fits a few more, so an estimated row is never short of a line."""
LINE_HEIGHT = 1.28
"""Points of one wrapped line per point of font size (12.75 pt at 10 pt, Excel's own row)."""
MAX_ROW_HEIGHT = 409.0
"""The tallest row Excel allows; a text longer than that shows whole in the formula bar."""


TITLE_ROW = 24.0
"""The height of a sheet's title row: a 16-point title stays clear of the subtitle below it."""


def text_lines(value: Any, width: float, *, font_size: float = 10) -> int:
    """How many lines a text needs when wrapped in a column ``width`` characters wide.

    Wraps word by word, as both applications do, so a long word that does not fit
    starts a new line. Spreadsheet applications do not fit row heights to wrapped
    text when they open a file, so the writers set them from this estimate.
    """
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int((width * 7 + 5) / 7 * CHARS_PER_WIDTH * 10 / font_size), 1)
    if len(value) <= per_line and "\n" not in value:  # the usual short text: no word can reach past the line
        return 1
    lines = 0
    for paragraph in value.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) <= per_line:
                used += 1 + len(word)
                continue
            if used:  # the word starts the next line
                lines += 1
            spans = max(1, -(-len(word) // per_line))  # a word longer than a line breaks inside it
            lines += spans - 1
            used = len(word) - (spans - 1) * per_line
    return lines


def fit_row(cells: Iterable[tuple[Any, float]], *, font_size: float = 10, least: float | None = None,
               most: float = MAX_ROW_HEIGHT) -> float | None:
    """The height (points) a row needs to show each wrapped ``(text, column width)`` of ``cells`` whole.

    At least ``least`` (room to type in an empty input row), at most ``most``; None when
    one line will do and no ``least`` is asked for, so the row keeps its default height.
    """
    lines = max((text_lines(value, width, font_size=font_size) for value, width in cells), default=1)
    return row_height(lines, font_size=font_size, least=least, most=most)


def row_height(lines: int, *, font_size: float = 10, least: float | None = None, most: float = MAX_ROW_HEIGHT) -> float | None:
    """The height (points) of a row showing ``lines`` wrapped lines; see ``fit_row``."""
    if lines <= 1 and least is None:
        return None
    return min(max(LINE_HEIGHT * font_size * lines + 3, least or 0), most)


def header_height(cells: Iterable[tuple[str, float]]) -> float:
    """A table's header row: its bold labels wrapped whole (bold is wider), two lines at least."""
    return fit_row(((text, width * 0.9) for text, width in cells), least=30) or 30


def write_info(ws: Worksheet, styles: Styles, rows: Sequence[tuple[str, Any]], *, top: int, last_col: int = 1) -> None:
    """A block of labelled facts (who, which period, when) from row ``top``: the label in
    column A, the value locked beside it (merged up to ``last_col`` when that is further right);
    an amount (a ``Decimal``) is a number under the money format."""
    for r, (label, value) in enumerate(rows, start=top):
        ws.write_string(r, 0, label, styles.fmt("label"))
        kind = "date" if isinstance(value, dt.date) else "money" if isinstance(value, Decimal) else "text"
        fmt = styles.fmt("locked", kind)
        if last_col > 1:
            ws.merge_range(r, 1, r, last_col, None, fmt)
        write_value(ws, r, 1, value, fmt)


def write_value(ws: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """Write one value with its real type; strings always as text, never as formulas, cleaned of what XML forbids.

    Text that starts like a formula (``=HYPERLINK(...)``) gets the quote prefix as well,
    so it stays text when someone edits the cell in Excel or LibreOffice. ``fmt`` must be
    made by ``add_format`` for that (a value with no format is ours, never a partner's).
    """
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, Formula):
        cached = value.value
        ws.write_formula(row, col, str(value), fmt, float(cached) if isinstance(cached, Decimal) else cached)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Yes" if value else "No", fmt)
    elif isinstance(value, str):
        text = xml_safe(value)
        ws.write_string(row, col, text, _quoted(fmt) if looks_like_formula(text) else fmt)
    elif isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and math.isnan(value):  # a missing number
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_number(row, col, float(value), fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, (list, tuple)):
        write_value(ws, row, col, ", ".join(str(v) for v in value), fmt)
    else:
        write_value(ws, row, col, str(value), fmt)


@runtime_checkable
class Columnar(Protocol):
    """Table rows that hand over one column at a time (missing values as None), e.g. a data frame's."""

    def __len__(self) -> int: ...

    def column(self, name: str) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Placement:
    """Where a table or form landed, so readers (and the metadata sheet) can find it."""

    sheet: str
    name: str
    header_row: int
    first_col: int
    last_row: int
    cells: dict[str, str]  # field name -> column letter (tables) or A1 cell (forms)

    def ref(self) -> str:
        last_col = self.first_col + len(self.cells) - 1
        return f"{cell_ref(self.header_row, self.first_col)}:{cell_ref(self.last_row, last_col)}"


def _plain(number: float) -> str:
    """A bound as people read it: 100, 1,000,000 or 999,999,999.99 (never 1e+09)."""
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def _validation(column: Column, lists: Mapping[str, str], windows: Mapping[str, Window]) -> dict[str, Any] | None:
    """The data validation a column's type and constraints imply, or None."""
    title = validation_title(column.header)
    v: dict[str, Any]
    if column.kind == "choice":
        if column.col.choices:
            source: Any = lists[column.col.choices]
        elif len(",".join(column.choices)) < 250:
            source = list(column.choices)
        else:
            source = lists[column.name]
        v = {"validate": "list", "source": source, "error_message": f"Pick {column.header} from the list."}
    elif column.kind in ("int", "decimal", "money"):
        low = float(column.ge) if column.ge is not None else -999_999_999.99
        high = float(column.le) if column.le is not None else 999_999_999.99
        v = {
            "validate": "integer" if column.kind == "int" else "decimal",
            "criteria": "between",
            "minimum": low,
            "maximum": high,
            "error_message": f"{column.header}: enter a {'whole ' if column.kind == 'int' else ''}number from {_plain(low)} to {_plain(high)}.",
        }
    elif column.kind == "date" and column.col.dates in windows:
        w = windows[column.col.dates]
        v = {
            "validate": "date",
            "criteria": "between",
            "minimum": w.low,
            "maximum": w.high,
            "error_message": f"{column.header}: enter a date within {w.label} ({w.low:%Y-%m-%d} to {w.high:%Y-%m-%d}).",
        }
    elif column.max_length:
        v = {
            "validate": "length",
            "criteria": "<=",
            "value": column.max_length,
            "error_message": f"{column.header}: at most {column.max_length} characters.",
        }
    else:
        v = {"validate": "any"}
    v["error_title"] = title
    if column.col.help:
        v.update(input_title=title, input_message=column.col.help[:255])
    return v if v["validate"] != "any" or column.col.help else None


def validation_title(text: str, limit: int = 32) -> str:
    """A validation's title as Excel allows it (``limit`` characters), cut after a whole word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}\u2026"


def cell_format(styles: Styles, column: Column, role: Role, bold: bool = False) -> Format:
    """The format of a column's cells in a role: its style's number format (a share as 0.0%), or its own."""
    kind = column.style if column.style in NUMBER_FORMATS else "text"
    return styles.fmt(role, kind, wrap=column.col.wrap, num_format=column.col.number_format, bold=bold)


def _role(column: Column, value: Any, *, editable: bool, locked: bool = False, flag: Flag | None = None, protected: bool = True) -> Role:
    """Editable sheets are plain; formulas, prefilled keys and computed rows are locked;
    an input cell with a problem (feedback workbooks) is flagged red and stays open, one
    with only a note (how we read it) is marked blue: nothing to correct.
    On a sheet that is never protected (the master's rebuilt sheets) nothing needs to
    look locked: computed cells are plain, the coordinator's columns look like inputs."""
    if editable:
        return "plain"
    if isinstance(value, Formula):
        return "formula"
    if column.col.input and not locked:
        return "input" if flag is None else "flagged" if flag.serious else "noted"
    return "locked" if protected else "plain"


COMMENT_OPTIONS = {"x_scale": 2.5, "y_scale": 2, "font_size": 9}


@dataclass(frozen=True)
class Flag:
    """What a feedback workbook says at one cell: the issues' messages and hints as its comment.

    ``serious`` when one of them is an error or a warning (the cell is flagged red); a cell
    with notes only (a number read from text) is marked, not flagged: nothing to correct.
    """

    comment: str
    serious: bool


def flag(issues: Sequence[Issue]) -> Flag:
    """The flag of a cell with these issues."""
    return Flag("\n\n".join(f"{i.message}\n{i.hint}" for i in issues), any(i.severity is not Severity.NOTE for i in issues))


def _comment(ws: Worksheet, row: int, col: int, flagged: Flag | None) -> None:
    if flagged is not None and flagged.comment:
        ws.write_comment(row, col, flagged.comment[:32000], COMMENT_OPTIONS)


def write_table(
    ws: Worksheet,
    styles: Styles,
    model: type[BaseModel],
    rows: Sequence[Mapping[str, Any]] | Columnar,
    *,
    name: str,
    top: int,
    left: int = 0,
    editable: bool = False,
    protected: bool = True,
    lists: Mapping[str, str | Sequence[str]] | None = None,
    windows: Mapping[str, Window] | None = None,
    min_row_height: float | None = None,
    spare_rows: int = 0,
    locked_rows: set[int] | frozenset[int] = frozenset(),
    strong_rows: set[int] | frozenset[int] = frozenset(),
    flags: Mapping[tuple[int, str], Flag] | None = None,
    refs: Mapping[str, str] | None = None,
) -> Placement:
    """Write a named Excel table of ``model`` rows with header, formats and validations.

    ``rows`` are mappings of field names to values, or ``Columnar`` rows that hand over a
    column at a time (a large frame's, without a dict per row).
    ``editable`` (the coordinator's setup sheets) leaves every cell open; otherwise
    input columns are unlocked and styled, the rest locked (or, when the sheet is
    never ``protected``, plain). ``rows`` map field names to values; a ``Formula``
    value locks that one cell (e.g. the flat-rate line). ``lists`` map a column's
    ``choices`` to a range formula or the words themselves. ``spare_rows`` adds
    empty input rows. ``locked_rows`` are indexes of rows whose input cells stay
    locked (a row that is computed, not typed); ``strong_rows`` are written in bold (a
    total, the project's line among its partners'). ``flags`` maps (row index, field
    name) to a ``Flag``: the cell is flagged (or marked, for notes) and commented. Each row is as high as its
    wrapped text needs, and at least ``min_row_height`` (room to type in).
    """
    flags = flags or {}
    cols = columns(model)
    letters = {c.name: col_letter(left + i) for i, c in enumerate(cols)}
    n_rows = max(len(rows) + spare_rows, 1)
    lines: dict[int, int] = {}  # row index -> lines of its tallest wrapped text
    last_row = top + n_rows
    ws.add_table(
        top, left, last_row, left + len(cols) - 1,
        {
            "name": name,
            "style": None,
            "autofilter": editable,
            "columns": [{"header": c.header, "header_format": styles.fmt("header")} for c in cols],
        },
    )
    ws.set_row(top, header_height([(c.header, c.col.width) for c in cols]))
    # XlsxWriter's add_table notes every cell of the table (Worksheet.table_cells) to refuse a later table or merged
    # range over it, about 110 bytes a cell kept until the save: 280 MiB of the peak of a 1,000-partner master. A table
    # is written here once, below its heading, and nothing is merged over it: let that index go.
    ws.table_cells.clear()
    columnar = isinstance(rows, Columnar)  # a Protocol's isinstance walks its members: once a table, not once a column
    flagged_rows: dict[str, set[int]] = {}
    for r, field_name in flags:
        flagged_rows.setdefault(field_name, set()).add(r)
    for i, column in enumerate(cols):
        ws.set_column(left + i, left + i, column.col.width, None, {"level": 1, "hidden": True} if column.col.aside else {})
        plain = cell_format(styles, column, _role(column, None, editable=editable, protected=protected))  # what most cells of the column get
        values = rows.column(column.name) if columnar else [row.get(column.name) for row in rows]
        if column.col.wrap:
            for r, value in enumerate(values):
                if isinstance(value, str) and value:
                    lines[r] = max(lines.get(r, 1), text_lines(value, column.col.width))

        def cell(r: int, value: Any, column: Column = column, i: int = i) -> None:
            """One cell written with the format of its role (a formula, a locked, bold or flagged row)."""
            if column.col.formula is not None and not isinstance(value, Formula):
                row_refs = {**(refs or {}), **{name: f"{letter}{top + r + 2}" for name, letter in letters.items()}}
                value = Formula(column.col.formula.excel(row_refs.__getitem__), value)
            note = flags.get((r, column.name))
            role = _role(column, value, editable=editable, locked=r in locked_rows, flag=note, protected=protected)
            write_value(ws, top + 1 + r, left + i, value, cell_format(styles, column, role, bold=r in strong_rows))
            _comment(ws, top + 1 + r, left + i, note)

        if column.col.formula is not None:
            special: Collection[int] = range(n_rows)
        else:
            special = locked_rows | strong_rows | flagged_rows.get(column.name, set())
        _write_column(ws, top + 1, left + i, values, n_rows, plain, special, cell)
        if (column.col.input or editable) and column.col.formula is None:
            rule = _validation(column, lists or {}, windows or {})
            if rule:
                open_rows = [r for r in range(n_rows) if r not in locked_rows]
                for first, last in _runs(open_rows):
                    ws.data_validation(top + 1 + first, left + i, top + 1 + last, left + i, rule)
    if any(c.col.aside for c in cols):  # the aside columns fold away behind a + above the column after them
        ws.set_column(left + len(cols), left + len(cols), None, None, {"collapsed": True})
    for r in range(n_rows):
        height = row_height(lines.get(r, 1), least=min_row_height)
        if height:
            ws.set_row(top + 1 + r, height)
    return Placement(ws.name, name, top, left, last_row, letters)


def _write_column(ws: Worksheet, first_row: int, col: int, values: Sequence[Any], n_rows: int, fmt: Format,
                  special: Collection[int], cell: Callable[[int, Any], None]) -> None:
    """Write a table column's ``values`` (then blanks down to ``n_rows``) in its one format ``fmt``, as
    ``write_value`` would, but the rows in ``special`` and the formulas: ``cell(index, value)`` writes
    those with their own formats. In row order, so shared strings come in the same order as cell by cell.

    The master writes millions of cells: the usual types are dispatched here by their exact type,
    with XlsxWriter's methods looked up once and the text of a column checked for characters XML
    forbids in one search, when ``write_value`` would test each cell on its own.
    """
    write_string, write_number, write_blank, write_datetime = ws.write_string, ws.write_number, ws.write_blank, ws.write_datetime
    text = "\n".join(v for v in values if type(v) is str)
    clean = xml_safe(text) == text  # one search: a column without forbidden characters needs no cleaning cell by cell
    for r in range(n_rows):
        value = values[r] if r < len(values) else None
        kind = type(value)
        if r in special:
            cell(r, value)
        elif kind is str:
            if not clean:
                value = xml_safe(value)
            write_string(first_row + r, col, value, _quoted(fmt) if value.startswith(FORMULA_STARTS) else fmt)
        elif value is None:
            write_blank(first_row + r, col, None, fmt)
        elif kind is Decimal or kind is int:
            write_number(first_row + r, col, float(value), fmt)
        elif kind is float:
            if math.isnan(value):  # a missing number
                write_blank(first_row + r, col, None, fmt)
            else:
                write_number(first_row + r, col, value, fmt)
        elif kind is dt.date or kind is dt.datetime:
            write_datetime(first_row + r, col, value, fmt)
        elif kind is bool:
            write_string(first_row + r, col, "Yes" if value else "No", fmt)
        elif isinstance(value, Formula):
            cell(r, value)
        else:  # a list, a subclass of str (a Formula, an enum): rare enough for write_value
            write_value(ws, first_row + r, col, value, fmt)



def write_heading(ws: Worksheet, styles: Styles, title: str, intro: str, *, intro_style: str = "note", widths: Sequence[float] = ()) -> None:
    """A sheet's title (row 1) and the sentence that says what it holds (row 2), above a table at ``HEADER_ROW``.

    With the table's printed column ``widths``, the sentence wraps within them, so it prints whole
    (text running on to the right of the print area is cut off the page).
    """
    ws.set_row(0, TITLE_ROW)
    ws.write_string(0, 0, title, styles.text("title"))
    if len(widths) > 1:
        ws.merge_range(1, 0, 1, len(widths) - 1, intro, styles.text(f"{intro_style}_wrap"))
        if height := fit_row([(intro, sum(widths))]):
            ws.set_row(1, height)
    else:
        ws.write_string(1, 0, intro, styles.text(intro_style))


def color_words(ws: Worksheet, styles: Styles, first_row: int, col: int, last_row: int, colours: Mapping[str, tuple[str, str]]) -> None:
    """Conditional formats that colour a column's words (word -> fill and font colour), so a
    status edited by hand is coloured too; the word stays in the cell for greyscale prints."""
    for word, (fill, font) in colours.items():
        ws.conditional_format(first_row, col, last_row, col, {"type": "cell", "criteria": "equal to", "value": f'"{word}"', "format": styles.mark(fill, font)})


def _runs(indexes: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs of sorted integers, as (first, last) pairs."""
    start = prev = None
    for i in indexes:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            yield start, prev
            start = prev = i
    if start is not None:
        yield start, prev


def write_form(
    ws: Worksheet,
    styles: Styles,
    model: type[BaseModel],
    values: Mapping[str, Any],
    *,
    name: str,
    top: int,
    left: int = 0,
    editable: bool = False,
    protected: bool = True,
    lists: Mapping[str, str] | None = None,
    windows: Mapping[str, Window] | None = None,
    wb: Workbook | None = None,
    flags: Mapping[str, Flag] | None = None,
) -> Placement:
    """Write ``model`` as a vertical form: label | value | help, one field per row.

    Each value cell also gets a workbook-level defined name ``<name>_<field>`` when
    ``wb`` is given, so a reader can find it even after rows were inserted above.
    ``protected`` as for ``write_table``.
    """
    cells: dict[str, str] = {}
    for r, column in enumerate(columns(model)):
        row = top + r
        ws.write_string(row, left, column.header, styles.fmt("label", wrap=True))
        value = values.get(column.name)
        note = (flags or {}).get(column.name)
        role = _role(column, value, editable=editable, flag=note, protected=protected)
        write_value(ws, row, left + 1, value, cell_format(styles, column, role))
        _comment(ws, row, left + 1, note)
        if column.col.help:
            ws.write_string(row, left + 2, column.col.help, styles.text("note"))
        if column.col.input or editable:
            rule = _validation(column, lists or {}, windows or {})
            if rule:
                ws.data_validation(row, left + 1, row, left + 1, rule)
        cells[column.name] = cell_ref(row, left + 1)
        if wb is not None:
            wb.define_name(f"{name}_{column.name}", f"='{ws.name}'!${col_letter(left + 1)}${row + 1}")
    return Placement(ws.name, name, top, left, top + len(cells) - 1, cells)


ISSUE_COLUMNS = (("No.", 5), ("Severity", 9), ("Go to", 22), ("Field", 22), ("Value found", 20), ("Problem", 60), ("How to fix", 50))


def write_issue_list(
    ws: Worksheet, styles: Styles, issues: Sequence[Issue], target: Callable[[Issue], str | None], found: Callable[[Issue], Any],
    *, title: str, header: str, sent_as: str,
) -> None:
    """The first sheet of a feedback workbook: every issue, with a link to its cell.

    ``target(issue)`` is the issue's cell in this workbook (``'Progress'!C5``) or None,
    ``found(issue)`` what that cell holds; ``sent_as`` names what the partner sends
    back (``report``, ``certificate``).
    """
    n_errors = sum(1 for i in issues if i.severity == "error")
    n_notes = sum(1 for i in issues if i.severity == "note")
    notes = f" and {n_notes} note(s) on how a value was read" if n_notes else ""
    ws.write_string(0, 0, title, styles.text("title"))
    ws.set_row(0, TITLE_ROW)
    ws.write_string(1, 0, f"{n_errors} error(s), {len(issues) - n_errors - n_notes} warning(s){notes}. Correct the cells flagged in red (click Go to), "
                          f"then save this workbook and send it back as your corrected {sent_as}."
                          + (" Cells marked blue hold a note only: nothing to correct." if n_notes else ""), styles.text("note"))
    for c, (heading, width) in enumerate(ISSUE_COLUMNS):
        ws.write_string(3, c, heading, styles.fmt("header"))
        ws.set_column(c, c, width)
    for r, i in enumerate(issues, start=4):
        severity_style = styles.text("warn") if i.severity == "error" else styles.text("strong")
        ws.write_number(r, 0, r - 3, styles.fmt("locked", "int"))
        ws.write_string(r, 1, str(i.severity), severity_style)
        where = target(i)
        shown = [where.replace("'", "") if where else f"{i.sheet or ''} {i.cell or ''}".strip() or "(whole file)", i.field, found(i), i.message, i.hint]
        if where:
            ws.write_url(r, 2, f"internal:{where}", styles.text("link"), string=shown[0], tip="Go to the cell")
        else:
            write_value(ws, r, 2, shown[0], styles.fmt("locked", wrap=True))
        for c, value in enumerate(shown[1:], start=3):
            write_value(ws, r, c, value, styles.fmt("locked", wrap=True))
        height = fit_row((value if isinstance(value, str) else None, width) for value, (_, width) in zip(shown, ISSUE_COLUMNS[2:]))
        if height:
            ws.set_row(r, height)
    ws.freeze_panes(4, 0)
    ws.autofilter(3, 0, 3 + len(issues), len(ISSUE_COLUMNS) - 1)
    print_setup(ws, header=header, repeat_row=3)
    protect(ws, None)


def write_lists(wb: Workbook, styles: Styles, lists: Mapping[str, Sequence[str]], sheet: str = "Lists") -> dict[str, str]:
    """A hidden sheet with one column per choice list; returns list name -> range formula."""
    ws = wb.add_worksheet(sheet)
    refs = {}
    for i, (key, items) in enumerate(lists.items()):
        ws.write_string(0, i, key, styles.fmt("header"))
        for r, item in enumerate(items, start=1):
            ws.write_string(r, i, str(item))
        letter = col_letter(i)
        refs[key] = f"='{sheet}'!${letter}$2:${letter}${max(len(items), 1) + 1}"
        ws.set_column(i, i, 24)
    ws.hide()
    ws.protect()
    return refs


PRINTED_WIDTH = 7.1
"""Points LibreOffice prints one unit of column width as, at 100 % (Excel prints it 5.25): measured on its PDFs."""
PRINTED_COLUMN = 5.0
"""Points of padding LibreOffice adds to every printed column."""
A4_WIDTH = {True: 770.0, False: 523.0}
"""Points of an A4 page between the margins ``print_setup`` sets, landscape (True) and portrait."""
A4_HEIGHT = {True: 487.0, False: 734.0}
"""Points of an A4 page between the top and bottom margins ``print_setup`` sets, landscape (True) and portrait."""
LEAST_SCALE = 0.62
"""The smallest a fitted page is printed: 10-point text stays above 6 points, and a wider table is printed over more pages."""


def _printed(widths: Sequence[float]) -> list[float]:
    """The points LibreOffice prints columns of ``widths`` as, at 100 %."""
    return [PRINTED_WIDTH * w + PRINTED_COLUMN for w in widths]


def pages_wide(widths: Sequence[float], *, landscape: bool = True) -> int:
    """How many pages across a table of columns ``widths`` needs so that no page is printed below ``LEAST_SCALE``."""
    points = sum(_printed(widths))
    return max(1, math.ceil(points / (A4_WIDTH[landscape] / LEAST_SCALE)))


def page_height(widths: Sequence[float], *, landscape: bool = True) -> float:
    """Points of rows one printed page holds when columns ``widths`` are fitted to its width."""
    points = sum(_printed(widths))
    return A4_HEIGHT[landscape] / min(1.0, A4_WIDTH[landscape] / points)


def first_page(widths: Sequence[float], *, landscape: bool = True) -> int:
    """How many of the columns ``widths`` print on the first page across (all of them when they fit on one)."""
    points = _printed(widths)
    across = pages_wide(widths, landscape=landscape)
    if across == 1:
        return len(widths)
    scale = min(1.0, across * A4_WIDTH[landscape] / sum(points))
    used = 0.0
    for n, width in enumerate(points):
        used += width
        if used * scale > 0.95 * A4_WIDTH[landscape]:  # LibreOffice breaks between columns, a little before the edge
            return max(n, 1)
    return len(widths)


def print_setup(ws: Worksheet, *, header: str, repeat_row: int | None = None, landscape: bool = True,
                widths: Sequence[float] = (), repeat_cols: int = 0) -> None:
    """A4 (paper 9), fit to page width, header with who and what, footer with page numbers.

    ``widths``, the printed columns' widths, make a table too wide for one page at a readable
    scale print over as many pages across as ``pages_wide`` says, its first ``repeat_cols``
    columns (the row's key) on each.
    """
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    across = pages_wide(widths, landscape=landscape) if widths else 1
    ws.fit_to_pages(across, 0)
    if across > 1 and repeat_cols:
        ws.repeat_columns(0, repeat_cols - 1)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    ws.set_header(f"&L&8{_escape_amp(header)}&R&8&A")
    ws.set_footer("&L&8Printed &D&R&8Page &P of &N")
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)


def _escape_amp(text: str) -> str:
    return text.replace("&", "&&")


def protect(ws: Worksheet, password: str | None) -> None:
    """Protect a sheet: locked cells cannot change, inputs can; formats of rows/columns may."""
    ws.protect(
        password or "",
        {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True},
    )


def new_workbook(path: Path, created: dt.datetime | None = None, *, in_memory: bool = True) -> Workbook:
    """An XlsxWriter workbook that never turns strings into formulas, numbers or links.

    ``in_memory=False`` (a large workbook: the master) assembles each sheet's XML in a
    temporary file rather than in memory before it is zipped, which lowers the peak.
    """
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False, "default_date_format": "yyyy-mm-dd", "in_memory": in_memory},
    )
    if created is not None:
        wb.set_properties({"created": created})
    return wb


@contextlib.contextmanager
def atomic_workbook(path: Path, created: dt.datetime | None = None) -> Iterator[Workbook]:
    """Write a workbook to a temporary file beside ``path``, then rename it into place.

    A failure while writing leaves whatever was at ``path`` untouched.
    """
    with replacing(path) as tmp:
        wb = new_workbook(tmp, created)
        yield wb
        save(wb)


def save(wb: Workbook) -> None:
    """Write the workbook's file (XlsxWriter's ``close``) and free its cells at once.

    XlsxWriter's worksheets refer to themselves (their write handlers), so a sheet and
    every cell it holds would be freed only by the cycle collector: a large master's four
    million cells, which the build (run with the collector paused) left for the first
    collection after it, two and a half seconds of walking them.
    """
    wb.close()
    for ws in wb.worksheets():
        ws.table.clear()
