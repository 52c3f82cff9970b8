"""Turn what people type into cells into typed values, tolerantly but never by guessing.

Partners in seven countries type ``1.234,56``, ``1 234,56``, ``12,5 %``, dates
as text, numbers stored as text. Each parser accepts every unambiguous form and
raises ``ParseError`` with an issue code for the rest, so an ambiguous ``1.234``
is reported to the partner instead of silently read as 1.234 or 1234.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from nc_excel.excel.schema import NO, YES, Column


class ParseError(ValueError):
    """A cell value that cannot be read as its column's type; ``code`` is an issue code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


class ErrorValue(str):
    """A cell showing a spreadsheet error (``#DIV/0!``, ``#N/A``, ``#VALUE!``, ``#REF!``,
    ``#NAME?``, ``#NUM!``, ``#NULL!``, LibreOffice's ``Err:502``): the text it shows.

    A str, so that code which only shows or compares cell text keeps working; the
    parsers refuse it whatever the column's type, as ``error-value``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ErrorValue({str(self)!r})"


_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
_CURRENCY = re.compile(r"^(EUR|€|DKK|SEK|NOK|GBP|£|kr\.?)\s*|\s*(EUR|€|DKK|SEK|NOK|GBP|£|kr\.?)$", re.I)
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


def _grouped(text: str, sep: str) -> bool:
    return bool(_GROUPED.match(text.replace(sep, ","))) if sep in text else False


def parse_number(value: Any) -> Decimal:
    """A number from a cell: real numbers pass, text in any common notation is read.

    Raises ``ParseError('ambiguous-number')`` for ``1.234`` or ``1,234`` (thousands
    or decimals?) and ``ParseError('not-a-number')`` for anything else.
    """
    if isinstance(value, bool):
        raise ParseError("not-a-number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ParseError("not-a-number")
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ParseError("not-a-number")
    text = _CURRENCY.sub("", value.strip()).strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    text = _SPACES.sub("", text)
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    if not text:
        raise ParseError("not-a-number")
    has_dot, has_comma = "." in text, "," in text
    if has_dot and has_comma:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        whole, _, frac = text.rpartition(decimal_sep)
        if not _grouped(whole.lstrip("+-"), thousands) and thousands in whole:
            raise ParseError("not-a-number")
        text = whole.replace(thousands, "") + "." + frac
    elif has_comma or has_dot:
        sep = "," if has_comma else "."
        parts = text.lstrip("+-").split(sep)
        if len(parts) > 2:
            if not _grouped(text.lstrip("+-"), sep):
                raise ParseError("not-a-number")
            text = text.replace(sep, "")
        elif len(parts[1]) == 3 and parts[0] not in ("", "0") and len(parts[0]) <= 3:
            raise ParseError("ambiguous-number", f"{value!r} could be {parts[0]}{parts[1]} or {parts[0]}.{parts[1]}")
        else:
            text = text.replace(sep, ".")
    if not _PLAIN.match(text):
        raise ParseError("not-a-number")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        raise ParseError("not-a-number") from None


def parse_int(value: Any) -> int:
    if type(value) is float and value.is_integer():  # what a spreadsheet holds for a whole number
        return int(value)
    number = parse_number(value)
    if number != number.to_integral_value():
        raise ParseError("not-a-whole-number")
    return int(number)


_EXCEL_1900 = dt.date(1899, 12, 30)
_EXCEL_1904 = dt.date(1904, 1, 1)
_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"), ("d", "m", "y")),
)


def parse_date(value: Any, *, date1904: bool = False) -> dt.date:
    """A date from a cell: real dates, Excel serial numbers (1900 or 1904 system) and
    text dates (``31.10.2017``, ``31-10-2017``, ``31/10/2017``, ``2017-10-31``).

    Day-first is the European reading; ``10/31/2017`` (month first) is accepted only
    because 31 cannot be a month.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise ParseError("not-a-date")
        return (_EXCEL_1904 if date1904 else _EXCEL_1900) + dt.timedelta(days=int(value))
    if not isinstance(value, str):
        raise ParseError("not-a-date")
    text = value.strip().split(" ")[0].split("T")[0]
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups())))
            if parts["m"] > 12 and parts["d"] <= 12:
                parts["m"], parts["d"] = parts["d"], parts["m"]
            try:
                return dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise ParseError("not-a-date") from None
    raise ParseError("not-a-date")


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def other_reading(value: Any) -> dt.date | None:
    """For a text date with slashes that reads two ways (``03/04/2026``: 3 April, or March 4th as
    in the US), the month-first date it was not read as; None for any other value."""
    m = _SLASHED.match(value.strip().split(" ")[0]) if isinstance(value, str) else None
    if m is None:
        return None
    day, month, year = (int(g) for g in m.groups())
    if day == month or day > 12 or month > 12:
        return None
    return dt.date(year, day, month)


_YES_WORDS = {"yes", "y", "ja", "j", "oui", "true", "1", "x"}
_NO_WORDS = {"no", "n", "nej", "nei", "nein", "nee", "non", "false", "0"}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def parse_choice(value: Any, choices: tuple[str, ...], former: tuple[tuple[str, str], ...] = ()) -> str:
    """One of ``choices``, whatever the case and spacing the partner typed; a ``former`` word
    (one an earlier template offered) as the choice that replaced it."""
    text = value if isinstance(value, str) else _text_of_number(value)
    wanted = _norm(text)
    found = _by_norm(choices).get(wanted)
    if found is not None:
        return found
    for word, successor in former:
        if _norm(word) == wanted:
            return successor
    if set(choices) == {YES, NO}:
        if wanted in _YES_WORDS:
            return YES
        if wanted in _NO_WORDS:
            return NO
    raise ParseError("not-a-choice")


def _by_norm(choices: tuple[str, ...]) -> dict[str, str]:
    """Each choice by its normalised text (the first of two that read alike). Kept for the last lists
    seen, recognised by identity: a list of 1,000 partners is looked up in for every cell of its column,
    and hashing it as a key would cost as much as the search it saves."""
    kept = _BY_NORM.get(id(choices))
    if kept is None or kept[0] is not choices:
        found: dict[str, str] = {}
        for choice in choices:
            found.setdefault(_norm(choice), choice)
        if len(_BY_NORM) >= 64:
            _BY_NORM.clear()
        kept = _BY_NORM[id(choices)] = (choices, found)
    return kept[1]


_BY_NORM: dict[int, tuple[tuple[str, ...], dict[str, str]]] = {}


def _text_of_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def parse_text(value: Any) -> str:
    return (value if isinstance(value, str) else _text_of_number(value)).strip()


def parse_codes(value: Any) -> list[str]:
    """A list of codes typed into one cell: ``AAL, HOE; RNJ``."""
    return [c for c in re.split(r"[,;\s]+", parse_text(value)) if c]


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_cell(
    value: Any, column: Column, *, lists: Mapping[str, tuple[str, ...]] | None = None, date1904: bool = False
) -> Any:
    """Parse one cell for its column; blank cells become ``None``.

    ``lists`` holds the setup's choice lists for columns whose choices only the
    project knows (``Col(choices="regions")``).
    """
    if isinstance(value, ErrorValue):
        raise ParseError("error-value")
    if is_blank(value):
        return None
    match column.kind:
        case "int":
            return parse_int(value)
        case "decimal" | "money":
            return parse_number(value)
        case "date":
            return parse_date(value, date1904=date1904)
        case "choice":
            choices = column.choices or (lists or {}).get(column.col.choices or "", ())
            return parse_choice(value, choices, column.col.former) if choices else parse_text(value)
        case "codes":
            return parse_codes(value)
        case _:
            return parse_text(value)
