"""Read tables and forms back from a grid of cell values, through the same models.

The grid is what a values-only reader (python-calamine) gives for a sheet, from
A1. Columns are found by their header text, so a moved column or an inserted one
still reads; every parse or validation error becomes an ``Issue`` at its cell.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from nc_excel.excel.parse import (
    ParseError,
    is_blank,
    other_reading,
    parse_cell,
    parse_text,
)
from nc_excel.excel.schema import (
    HEADER_ROW,
    NO,
    YES,
    Column,
    cell_ref,
    col_letter,
    columns,
    evaluate_formulas,
)
from nc_excel.excel.text import removed_characters, xml_safe
from nc_excel.excel.write import Window
from nc_excel.issues import Issue, errors, issue

if TYPE_CHECKING:
    import pandas as pd

Grid = Sequence[Sequence[Any]]


def norm_header(text: Any) -> str:
    """A header or label as compared: spacing and case left out."""
    if text is None:
        return ""
    text = text if isinstance(text, str) else str(text)
    return _norm_label(text) if len(text) <= 120 else _norm_text(text)


def _norm_text(text: str) -> str:
    return " ".join(text.replace("\n", " ").split()).casefold()


_norm_label = functools.lru_cache(maxsize=4096)(_norm_text)
"""Headers and labels recur in every return, and finding them looks at every short text of a sheet;
kept for short texts only, so that no partner's long answer is."""


def value_at(grid: Grid, row: int, col: int) -> Any:
    if row < len(grid) and col < len(grid[row]):
        value = grid[row][col]
        return None if value == "" else value
    return None


@dataclass
class RowRead:
    """One row as read: its sheet row (0-based), the parsed values and, when valid, the model."""

    row: int
    values: dict[str, Any]
    model: BaseModel | None
    cells: dict[str, str] = field(default_factory=dict)  # field -> A1
    issues: list[Issue] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # field -> what the cell held, where it could not be parsed


@dataclass
class TableRead:
    rows: list[RowRead]
    issues: list[Issue]
    header_row: int | None
    columns: dict[str, int]  # field -> 0-based column index


@dataclass(frozen=True)
class ReadContext:
    """What the reader needs besides the grid: choice lists, date windows, date system.

    ``note_text_numbers`` tells a partner (``number-from-text``) when a number was read
    from text, so they know the figure we took; the coordinator's own sheets need no such note.
    """

    sheet: str
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    windows: Mapping[str, Window] = field(default_factory=dict)
    date1904: bool = False
    note_text_numbers: bool = False


def find_header_row(grid: Grid, model: type[BaseModel], *, start: int = 0, stop: int | None = None) -> int | None:
    """The first row (from ``start``) that holds at least half of the model's headers."""
    wanted = {norm_header(c.header) for c in columns(model)}
    need = max(1, (len(wanted) + 1) // 2)
    for r in range(start, min(len(grid), stop if stop is not None else start + 60)):
        if sum(1 for v in grid[r] if isinstance(v, str) and norm_header(v) in wanted) >= need:
            return r
    return None


def _field_issue(column: Column, value: Any, code: str, ctx: ReadContext, cell: str, **params: Any) -> Issue:
    """An issue at a field's cell; the locator's table and row are filled in by the caller that knows them."""
    return issue(code, field=column.header, value=value, sheet=ctx.sheet, cell=cell, locator=("", "", column.name), **params)


def _parse_row(
    grid: Grid, r: int, cols: Sequence[Column], positions: Mapping[str, int], ctx: ReadContext
) -> tuple[dict[str, Any], dict[str, str], list[Issue], dict[str, Any]]:
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    issues: list[Issue] = []
    raw_failed: dict[str, Any] = {}
    number = str(r + 1)
    line = grid[r] if r < len(grid) else ()
    width = len(line)
    for column in cols:
        c = positions.get(column.name)
        if c is None:
            continue
        cell = col_letter(c) + number
        cells[column.name] = cell
        raw = line[c] if c < width else None
        if raw is None or raw == "":  # blank: nothing to parse (``value_at``, ``parse_cell``)
            continue
        if isinstance(raw, str) and (safe := xml_safe(raw)) is not raw:
            issues.append(_field_issue(column, safe, "text-cleaned", ctx, cell, detail=removed_characters(raw)))
            raw = safe
        try:
            parsed = parse_cell(raw, column, lists=ctx.lists, date1904=ctx.date1904)
        except ParseError as e:
            choices = column.choices or ctx.lists.get(column.col.choices or "", ())
            issues.append(_field_issue(column, raw, e.code, ctx, cell, choices=", ".join(choices), detail=e.detail))
            raw_failed[column.name] = raw
            continue
        if parsed is None:
            continue
        if ctx.note_text_numbers and isinstance(raw, str) and column.kind in ("int", "decimal", "money"):
            issues.append(_field_issue(column, raw, "number-from-text", ctx, cell, number=parsed))
        window = ctx.windows.get(column.col.dates or "")
        if window is not None and not (window.low <= parsed <= window.high):
            issues.append(
                _field_issue(column, parsed, "date-outside-window", ctx, cell, window=window.label, low=window.low, high=window.high)
            )
            raw_failed[column.name] = parsed
            continue
        if column.kind == "date" and (other := other_reading(raw)) is not None:
            issues.append(_field_issue(column, raw, "ambiguous-date", ctx, cell, date=f"{parsed:%d %B %Y}", other=f"{other:%d %B %Y}"))
        values[column.name] = parsed
    return values, cells, _without_consequential_errors(issues, cols), raw_failed


def _without_consequential_errors(issues: list[Issue], cols: Sequence[Column]) -> list[Issue]:
    """An error in a computed cell of a row whose input cell shows one follows from it: only the input is reported.

    ``=1/0`` typed as an amount makes the row's Cumulative, Remaining and % cells
    show ``#DIV/0!`` too; the partner can fix (and type into) only the amount.
    """
    computed = {c.name for c in cols if not c.col.input}
    errors = [i for i in issues if i.code == "error-value" and i.locator is not None]
    if not any(i.locator[2] not in computed for i in errors if i.locator is not None):
        return issues
    return [i for i in issues if not (i.code == "error-value" and i.locator is not None and i.locator[2] in computed)]


def _validation_issues(exc: ValidationError, model: type[BaseModel], cells: Mapping[str, str], values: Mapping[str, Any], ctx: ReadContext) -> list[Issue]:
    by_name = {c.name: c for c in columns(model)}
    out = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else ""
        column = by_name.get(name)
        if column is None:  # a check of the row as a whole (no table model has one today): at the row's first cell
            first = next(iter(cells), None)
            if first is not None:
                out.append(issue("invalid-value", field=name, value=None, sheet=ctx.sheet, cell=cells[first], locator=("", "", first), detail=err["msg"]))
            continue
        cell = cells.get(name)
        if cell is None:  # the whole column is missing: ``missing-column`` already says so at the header
            continue
        value = values.get(name)
        kind = err["type"]
        if kind == "missing":
            out.append(_field_issue(column, None, "required", ctx, cell))
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            low = column.ge if column.ge is not None else "-"
            high = column.le if column.le is not None else "-"
            out.append(_field_issue(column, value, "out-of-range", ctx, cell, low=low, high=high))
        elif kind == "string_too_long":
            out.append(_field_issue(column, value, "too-long", ctx, cell, length=len(str(value)), limit=column.max_length))
        elif kind == "literal_error":
            out.append(_field_issue(column, value, "not-a-choice", ctx, cell, choices=", ".join(column.choices)))
        else:
            out.append(_field_issue(column, value, "invalid-value", ctx, cell, detail=err["msg"]))
    return out


def _formulas_filled(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each blank computed column set to what its formula gives.

    A file saved by a program that writes formulas without their results (openpyxl,
    a script, some online editors) shows blank computed cells; filled here, once, the
    rules, the next template and the master all see the figure the sheet would show.
    A computed cell that holds a result keeps it: that is what the partner saw.
    """
    blank = [c.name for c in columns(model) if c.col.formula is not None and values.get(c.name) is None]
    if not blank:
        return values
    computed = evaluate_formulas(model, values)
    return {**values, **{name: computed[name] for name in blank}}


def read_table(
    grid: Grid,
    model: type[BaseModel],
    ctx: ReadContext,
    *,
    header_row: int | None = None,
    end_row: int | None = None,
    computed: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> TableRead:
    """Read every non-blank row under the header of ``model``'s table, collecting all issues.

    ``end_row`` (exclusive) stops the table where another block starts.
    ``computed(values)`` supplies what the template's formulas compute when the file
    carries no computed result (a file saved by a script rather than by Excel or
    LibreOffice), before the row is validated; the model's own formula columns are
    filled the same way (``_formulas_filled``).
    """
    cols = columns(model)
    if header_row is None:
        header_row = find_header_row(grid, model)
    if header_row is None:
        return TableRead([], [issue("missing-sheet", sheet=ctx.sheet, table=model.__name__)], None, {})
    by_header = {norm_header(c.header): c for c in cols}
    positions: dict[str, int] = {}
    issues: list[Issue] = []
    for c, raw in enumerate(grid[header_row]):
        column = by_header.get(norm_header(raw))
        if column is not None and column.name not in positions:
            positions[column.name] = c
        elif not is_blank(raw):
            issues.append(issue("extra-column", value=raw, sheet=ctx.sheet, cell=cell_ref(header_row, c)))
    for column in cols:
        if column.name not in positions:
            issues.append(issue("missing-column", field=column.header, sheet=ctx.sheet, cell=cell_ref(header_row, 0)))
    rows: list[RowRead] = []
    stop = min(len(grid), end_row if end_row is not None else len(grid))
    for r in range(header_row + 1, stop):
        if all(is_blank(value_at(grid, r, c)) for c in positions.values()):
            continue
        values, cells, row_issues, raw = _parse_row(grid, r, cols, positions, ctx)
        if computed is not None:
            values = computed(values)
        values = _formulas_filled(model, values)
        model_obj = None
        if not errors(row_issues):  # a warning (text cleaned) does not stop the row
            try:
                model_obj = model.model_validate(values)
                values = {name: getattr(model_obj, name) for name in values}  # typed: "Yes" becomes True
            except ValidationError as exc:
                row_issues = row_issues + _validation_issues(exc, model, cells, values, ctx)
        issues.extend(row_issues)
        rows.append(RowRead(r, values, model_obj, cells, row_issues, raw))
    return TableRead(rows, issues, header_row, positions)


def read_form(grid: Grid, model: type[BaseModel], ctx: ReadContext, *, label_col: int | None = None) -> tuple[RowRead, list[Issue]]:
    """Read a vertical form (label | value) by finding each field's label."""
    cols = columns(model)
    by_header = {norm_header(c.header): c for c in cols}
    positions: dict[str, tuple[int, int]] = {}
    for r, row in enumerate(grid):
        for c, raw in enumerate(row):
            if not isinstance(raw, str) or (label_col is not None and c != label_col):
                continue
            column = by_header.get(norm_header(raw))
            if column is not None and column.name not in positions:
                positions[column.name] = (r, c + 1)
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    issues: list[Issue] = []
    raw: dict[str, Any] = {}
    for column in cols:
        if column.name not in positions:
            if column.required:
                issues.append(issue("missing-column", field=column.header, sheet=ctx.sheet))
            continue
        r, c = positions[column.name]
        got, got_cells, got_issues, got_raw = _parse_row(grid, r, [column], {column.name: c}, ctx)
        values.update(got)
        cells.update(got_cells)
        issues.extend(got_issues)
        raw.update(got_raw)
    model_obj = None
    if not errors(issues):
        try:
            model_obj = model.model_validate(values)
            values = {name: getattr(model_obj, name) for name in values}
        except ValidationError as exc:
            issues = issues + _validation_issues(exc, model, cells, values, ctx)
    return RowRead(0, values, model_obj, cells, issues, raw), issues


class TableNotFound(ValueError):
    """A sheet nc-excel wrote lacks the header (or a column) its model says it has."""


def _typed_value(value: Any, column: Column) -> Any:
    """A value of a sheet nc-excel wrote itself, as its field's type (blank as None)."""
    if is_blank(value):
        return None
    if column.kind == "choice" and column.choices == (YES, NO):
        return value == YES
    if column.kind in ("int", "decimal", "money", "date"):
        return parse_cell(value, column)
    return parse_text(value)


def read_frame(grid: Grid, model: type[BaseModel], *, fields: Sequence[str] | None = None, header_row: int = HEADER_ROW) -> pd.DataFrame:
    """The table under ``header_row`` of a sheet nc-excel wrote, as a frame of typed values.

    Columns are found by the model's headers, so a column the coordinator moved
    still reads; a missing one raises ``TableNotFound``. Only ``fields`` are read
    (all of the model's by default). Rows are not validated: what we wrote is
    trusted to have the model's types; an empty row ends nothing, a row with
    nothing in any read column is skipped.
    """
    import pandas as pd  # here: the readers of partner files (worker processes) never need it

    wanted = [c for c in columns(model) if fields is None or c.name in fields]
    head = [norm_header(v) for v in grid[header_row]] if len(grid) > header_row else []
    positions = {}
    for column in wanted:
        key = norm_header(column.header)
        if key not in head:
            raise TableNotFound(f"the column {column.header!r} was not found in row {header_row + 1}.")
        positions[column.name] = head.index(key)
    rows = []
    for raw in grid[header_row + 1:]:
        values = {name: _typed_value(raw[c] if c < len(raw) else None, column) for (name, c), column in zip(positions.items(), wanted)}
        if any(v is not None for v in values.values()):
            rows.append(values)
    return pd.DataFrame(rows, columns=[c.name for c in wanted], dtype=object)


def read_fields(grid: Grid, model: type[BaseModel], sheet: str, *, label_col: int | None = None) -> BaseModel:
    """A labelled block (label | value) that nc-excel wrote, as an instance of ``model``; ``label_col``: the labels' column, when the sheet has more."""
    record, issues = read_form(grid, model, ReadContext(sheet=sheet), label_col=label_col)
    if issues or record.model is None:
        first = issues[0] if issues else None
        raise TableNotFound(f"{first.message if first else 'it could not be read'}")
    return record.model
