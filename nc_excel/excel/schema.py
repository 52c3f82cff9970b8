"""The column annotation: one pydantic model per table describes its columns.

A table model is an ordinary pydantic model whose fields carry a ``Col`` in their
``Annotated`` metadata. The template writer derives headers, widths, number
formats, data validations, input messages and protection from it; the readers
derive header matching, value parsing and the cell of every error from it. So a
column is added to both sides by adding one annotated field.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel

from nc_excel.excel.formula import Expr

Kind = Literal["text", "int", "decimal", "money", "date", "choice", "codes"]

YES, NO = "Yes", "No"

HEADER_ROW = 3
"""0-based row of every table header nc-excel writes: title, intro, a blank row, the header."""

STYLE_KINDS = ("text", "wrap", "int", "money", "share", "date", "decimal")
"""How a cell looks (alignment, number format); ``Column.style`` picks one."""


@dataclass(frozen=True)
class Col:
    """How one field appears as a spreadsheet column.

    ``input`` marks a cell the partner (or coordinator) fills in; other cells are
    locked. ``formula`` computes the cell from other fields of the same row: the
    writer renders it as the cell's formula and ``evaluate_formulas`` computes
    the same figure in Python.
    ``choices`` names a list that only the project setup knows (regions,
    partner codes...), filled in when the template is written. ``dates`` names the
    window a date must fall in (``"project"`` or ``"reporting"``). ``share``
    shows a fraction (0.25) as a percentage (25.0%), so the cell holds what Excel
    calculates with; nc-excel writes no percentage any other way. ``aside`` marks a
    column kept for tracing rather than reading (source file, SHA-256, a row's stable
    key, the parts a score is made of): it goes to the right edge of the table, grouped
    and collapsed, and is left out of the print area.
    """

    header: str
    width: float = 14
    help: str = ""
    input: bool = True
    formula: Expr | None = None
    choices: str | None = None
    dates: str | None = None
    wrap: bool = False
    money: bool = False
    share: bool = False
    number_format: str | None = None
    aside: bool = False
    former: tuple[tuple[str, str], ...] = ()  # (word, its successor): a choice an earlier template offered, read as the one that replaced it


@dataclass(frozen=True)
class Column:
    """Everything the writer and the readers need to know about one column."""

    name: str
    col: Col
    kind: Kind
    required: bool
    choices: tuple[str, ...] = ()
    ge: Decimal | None = None
    le: Decimal | None = None
    max_length: int | None = None

    @property
    def header(self) -> str:
        return self.col.header

    @property
    def style(self) -> str:
        """One of ``STYLE_KINDS``: how the cell is formatted."""
        if self.col.share:
            return "share"
        if self.kind in ("int", "money", "date", "decimal"):
            return self.kind
        return "wrap" if self.col.wrap else "text"


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """Return the inner type and whether ``None`` is allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _strip_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    extra: list[Any] = []
    while typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        annotation, extra = args[0], extra + list(args[1:])
    return annotation, extra


def _kind_and_choices(tp: Any, col: Col) -> tuple[Kind, tuple[str, ...]]:
    if typing.get_origin(tp) is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "choice", tuple(str(m.value) for m in tp)
    if tp is bool:
        return "choice", (YES, NO)
    if typing.get_origin(tp) in (list, tuple):
        return "codes", ()
    if tp is int:
        return "int", ()
    if tp in (Decimal, float):
        return ("money" if col.money else "decimal"), ()
    if tp is dt.date:
        return "date", ()
    if col.choices:
        return "choice", ()
    return "text", ()


@cache
def columns(model: type[BaseModel]) -> tuple[Column, ...]:
    """The columns of a table model, in field order with the ``aside`` ones last; fields without ``Col`` are skipped."""
    result = []
    for name, field in model.model_fields.items():
        inner, nullable = _unwrap_optional(field.annotation)
        inner, extra = _strip_annotated(inner)
        metadata = list(field.metadata) + extra
        col = next((m for m in metadata if isinstance(m, Col)), None)
        if col is None:
            continue
        kind, choices = _kind_and_choices(inner, col)
        ge = le = max_length = None
        for m in metadata:
            if isinstance(m, annotated_types.Ge):
                ge = Decimal(str(m.ge))
            elif isinstance(m, annotated_types.Gt):
                ge = Decimal(str(m.gt))
            elif isinstance(m, annotated_types.Le):
                le = Decimal(str(m.le))
            elif isinstance(m, annotated_types.MaxLen):
                max_length = m.max_length
        required = field.is_required() and not nullable
        result.append(Column(name, col, kind, required, choices, ge, le, max_length))
    return tuple(sorted(result, key=lambda c: c.col.aside))


def printed(model: type[BaseModel]) -> tuple[Column, ...]:
    """The columns a table prints: all but the ``aside`` ones, which ``columns`` puts last."""
    return tuple(c for c in columns(model) if not c.col.aside)


def column(model: type[BaseModel], name: str) -> Column:
    """One column of a table model by field name."""
    for c in columns(model):
        if c.name == name:
            return c
    raise KeyError(f"{model.__name__} has no column {name!r}")


def _blank_as_zero(value: Decimal | None) -> Decimal:
    return Decimal(0) if value is None else value


def evaluate_formulas(
    model: type[BaseModel], row: Mapping[str, Any], number: Callable[[Any], Decimal] = _blank_as_zero
) -> dict[str, Any]:
    """``row`` with every formula column set to what its formula gives for the row's values.

    Columns are evaluated left to right, so a formula may use the result of one to
    its left, as the sheet does (remaining = budget - cumulative); a value the row
    already has for a formula column is replaced. ``number`` turns a field's value
    into a Decimal; by default a missing value counts as 0, as an empty cell does.
    """
    result = dict(row)
    for c in columns(model):
        if c.col.formula is not None:
            result[c.name] = c.col.formula.evaluate(lambda name: number(result.get(name)))
    return result


@cache
def col_letter(index: int) -> str:
    """0-based column index to its Excel letters (0 -> A, 26 -> AA); kept, as every cell read is named by it."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """0-based row and column to an A1 reference."""
    return f"{col_letter(col)}{row + 1}"
