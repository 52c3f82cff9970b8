"""Formulas written once, for the spreadsheet and for Python alike.

A computed cell of a generated workbook holds a formula that Excel or LibreOffice
evaluates, yet nc-excel needs the same figure itself: as the cached result stored
beside the formula (readers, and LibreOffice before it recalculates, show that),
and in its own checks and carry-overs. Written twice, once as formula text and
once as Python arithmetic, the two drift apart (a rounding mode, an operand
order). An ``Expr`` is the formula as a small tree that does both:
``excel(ref)`` renders the formula text and ``evaluate(value)`` computes it with
Decimal. It knows cells only through the function it is given: ``ref(name)``
names the cell of a field (``"D5"``), ``value(name)`` gives its value.

Only what the templates use: field references, numbers, + - * /, ROUNDDOWN and
ROUND to n decimals, a share that is 0 when the whole is 0, an input read as a
number even when it was typed (or pasted) as text, a column's sum for a totals
row, and a figure left blank until a value it needs is known.
"""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

Refs = Callable[[str], str]
"""Field name -> cell reference, e.g. ``"declared"`` -> ``"D5"``."""

Values = Callable[[str], Decimal]
"""Field name -> the field's value."""

ATOM = 3
"""Precedence of what never needs parentheses: numbers, references, functions."""

_OPERATORS: dict[str, tuple[int, Callable[[Decimal, Decimal], Decimal]]] = {
    "+": (1, operator.add),
    "-": (1, operator.sub),
    "*": (2, operator.mul),
    "/": (2, operator.truediv),
}


class Expr(ABC):
    """A formula over named fields; combine with + - * / (numbers become ``Num``)."""

    def precedence(self) -> int:
        """How tightly the formula text binds; an operand binding less gets parentheses."""
        return ATOM

    def excel(self, ref: Refs) -> str:
        """The formula as Excel writes it in a cell, ``=`` included."""
        return "=" + self.text(ref)

    @abstractmethod
    def text(self, ref: Refs) -> str:
        """The formula text without the leading ``=``, as an operand of a larger formula."""

    @abstractmethod
    def evaluate(self, value: Values) -> Decimal:
        """The result, computed as the spreadsheet computes it but exactly, in Decimal."""

    def __add__(self, other: Expr | Decimal | int) -> Expr:
        return BinOp("+", self, _expr(other))

    def __sub__(self, other: Expr | Decimal | int) -> Expr:
        return BinOp("-", self, _expr(other))

    def __mul__(self, other: Expr | Decimal | int) -> Expr:
        return BinOp("*", self, _expr(other))

    def __truediv__(self, other: Expr | Decimal | int) -> Expr:
        return BinOp("/", self, _expr(other))


def _expr(operand: Expr | Decimal | int) -> Expr:
    return operand if isinstance(operand, Expr) else Num(Decimal(operand))


@dataclass(frozen=True)
class Ref(Expr):
    """The value of a field: in a table row, the cell of that column in the same row."""

    name: str

    def text(self, ref: Refs) -> str:
        return ref(self.name)

    def evaluate(self, value: Values) -> Decimal:
        return value(self.name)


@dataclass(frozen=True)
class Num(Expr):
    """A number, written as Decimal prints it (``15``, ``12.5``)."""

    value: Decimal

    def text(self, ref: Refs) -> str:
        return str(self.value)

    def evaluate(self, value: Values) -> Decimal:
        return self.value


@dataclass(frozen=True)
class BinOp(Expr):
    """``left op right`` for + - * /, evaluated left to right as Excel does.

    Parentheses are written only where Excel's precedence needs them, and around
    a right operand of equal precedence, so Excel groups exactly as the tree does.
    """

    op: str
    left: Expr
    right: Expr

    def precedence(self) -> int:
        return _OPERATORS[self.op][0]

    def text(self, ref: Refs) -> str:
        left, right = self.left.text(ref), self.right.text(ref)
        if self.left.precedence() < self.precedence():
            left = f"({left})"
        if self.right.precedence() <= self.precedence():
            right = f"({right})"
        return f"{left}{self.op}{right}"

    def evaluate(self, value: Values) -> Decimal:
        return _OPERATORS[self.op][1](self.left.evaluate(value), self.right.evaluate(value))


@dataclass(frozen=True)
class RoundDown(Expr):
    """Excel's ROUNDDOWN: cut to ``digits`` decimals, towards zero (1500.195 -> 1500.19)."""

    arg: Expr
    digits: int

    def text(self, ref: Refs) -> str:
        return f"ROUNDDOWN({self.arg.text(ref)},{self.digits})"

    def evaluate(self, value: Values) -> Decimal:
        return self.arg.evaluate(value).quantize(Decimal(1).scaleb(-self.digits), rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Share(Expr):
    """``part`` as a fraction of ``whole`` to a tenth of a percent (0.123 shown as 12.3%), 0 when ``whole`` is 0.

    Rounded as Excel's ROUND rounds: half away from zero (0.1225 -> 0.123). The
    guard keeps an empty budget line at 0 % instead of #DIV/0!.
    """

    part: Expr
    whole: Expr

    def _fraction(self) -> Expr:
        return self.part / self.whole

    def text(self, ref: Refs) -> str:
        return f"IF({self.whole.text(ref)}=0,0,ROUND({self._fraction().text(ref)},3))"

    def evaluate(self, value: Values) -> Decimal:
        if self.whole.evaluate(value) == 0:
            return Decimal(0)
        return self._fraction().evaluate(value).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AsNumber(Expr):
    """An input cell as intake reads it: a number, or a number typed as text.

    A partner who pastes ``12.345,67`` stores text; ``previous + declared`` would show
    ``#VALUE!`` while intake reads 12345.67 into the master. This reads the text as
    ``parse_number`` does for its common forms: the decimal separator is the comma
    when it is the only comma and no point follows it, or when there is no comma
    and several points (``1.234.567``); the other sign groups thousands; spaces and
    a euro sign are ignored (NUMBERVALUE, Excel 2013 and LibreOffice alike). What
    is no number counts as 0, as intake reports it as an error anyway. Python's
    side needs nothing more: the values it is given are already parsed numbers.
    """

    arg: Expr

    def text(self, ref: Refs) -> str:
        x = self.arg.text(ref)
        commas, points = f'LEN({x})-LEN(SUBSTITUTE({x},",",""))', f'LEN({x})-LEN(SUBSTITUTE({x},".",""))'
        comma = f'OR(AND({commas}=1,ISERROR(FIND(".",{x},FIND(",",{x})))),AND({commas}=0,{points}>1))'
        return f'IF(ISNUMBER({x}),{x},IFERROR(_xlfn.NUMBERVALUE(SUBSTITUTE({x},"€",""),IF({comma},",","."),IF({comma},".",",")),0))'

    def evaluate(self, value: Values) -> Decimal:
        return self.arg.evaluate(value)


@dataclass(frozen=True)
class Sum(Expr):
    """A field added up over the rows of its table, for a totals row: ``SUM(E5:E10)``.

    The column is named to ``ref`` and ``value`` as ``key`` (``"budget[]"``), so the
    same functions give the totals row's own cells (``"budget"``) and its columns.
    """

    name: str

    @property
    def key(self) -> str:
        return f"{self.name}[]"

    def text(self, ref: Refs) -> str:
        return f"SUM({ref(self.key)})"

    def evaluate(self, value: Values) -> Decimal:
        return value(self.key)


@dataclass(frozen=True)
class Round(Expr):
    """Excel's ROUND: to ``digits`` decimals, half away from zero (1500.195 -> 1500.20)."""

    arg: Expr
    digits: int

    def text(self, ref: Refs) -> str:
        return f"ROUND({self.arg.text(ref)},{self.digits})"

    def evaluate(self, value: Values) -> Decimal:
        return self.arg.evaluate(value).quantize(Decimal(1).scaleb(-self.digits), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class WhenNumber(Expr):
    """``then`` while ``test`` holds a number, else an empty text: a figure that waits for a value
    not known yet (the rate of a month to come) shows nothing, never an error value.

    Python's side is only ever asked once the value is known: it is ``then``.
    """

    test: Expr
    then: Expr

    def text(self, ref: Refs) -> str:
        return f'IF(ISNUMBER({self.test.text(ref)}),{self.then.text(ref)},"")'

    def evaluate(self, value: Values) -> Decimal:
        return self.then.evaluate(value)
