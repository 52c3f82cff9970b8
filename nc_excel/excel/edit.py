"""Values typed into some cells of a saved workbook, the rest of the file left as it was.

How the simulated partners and controllers fill in the workbooks they are sent: a
template is one ZIP of XML parts, and a person filling it in changes only cells
(and the strings they typed). Loading the whole workbook into objects and writing
it all out again (openpyxl) costs ten times as much and rewrites every part;
``Book`` edits the cells' XML and leaves every other part's text as it was: styles,
validations, tables, names, protection, comments.

A saved ``Book`` looks like what a program that writes no results saves (openpyxl,
a script): every formula keeps its text and loses its cached result, so no figure
computed from the template's blank inputs is left stale, and the workbook asks to
be recalculated when opened (``fullCalcOnLoad``, as the generated workbooks already
do). Text goes into the shared strings, as Excel saves it.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, unescape

MAIN = "xl/workbook.xml"
STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
CORE = "docProps/core.xml"
ENTITIES = {"&quot;": '"', "&apos;": "'"}  # beside the &amp; &lt; &gt; that unescape knows
EPOCH = dt.datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (with its leap-year 1900)
DATE_FORMAT_IDS = frozenset({*range(14, 23), 45, 46, 47})  # the built-in number formats that show a date or a time

_SHEET = re.compile(r'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL = re.compile(r'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.S)
_ROW = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(r'\s([\w:]+)="([^"]*)"')
_REF = re.compile(r"([A-Z]+)([0-9]+)")
_STRING_ITEM = re.compile(r"<si>(.*?)</si>|<si/>", re.S)
_TEXT = re.compile(r"<t\b[^>]*>(.*?)</t>|<t\b[^>]*/>", re.S)
_VALUE = re.compile(r"<v>(.*?)</v>", re.S)
_FORMULA = re.compile(r"<f\b[^>]*>(.*?)</f>|<f\b[^>]*/>", re.S)
_FORMULA_CELL = re.compile(r"<c\b([^>]*)>(<f\b[^>]*(?:/>|>.*?</f>))(?:<v>.*?</v>|<v/>)?</c>", re.S)
_TYPE_ATTR = re.compile(r'\st="[^"]*"')
_DIMENSION = re.compile(r'<dimension ref="([^"]*)"/>')
_MODIFIED = re.compile(r"(<dcterms:modified\b[^>]*>)[^<]*")
_XF_LIST = re.compile(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_XF = re.compile(r"<xf\b([^>]*)")
_NUM_FMT = re.compile(r'<numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_NOT_DATE_PARTS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


def _attrs(text: str) -> dict[str, str]:
    return dict(_ATTR.findall(" " + text))


@functools.cache
def _split(ref: str) -> tuple[int, int]:
    """``"D5"`` -> (5, 4): the 1-based row and column."""
    m = _REF.fullmatch(ref)
    if m is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = 0
    for letter in m.group(1):
        col = col * 26 + ord(letter) - 64
    return int(m.group(2)), col


def _cell(xml: str) -> tuple[dict[str, str], str]:
    """A cell's attributes and the XML inside it."""
    m = _CELL.fullmatch(xml)
    if m is None:
        raise ValueError(f"not a cell: {xml[:80]!r}")
    return _attrs(m.group(1)), m.group(2) or ""


def _number(value: float | int) -> str:
    return str(value) if isinstance(value, int) else repr(value)


def _text(xml: str) -> str:
    """The text of a string item or an inline string: its runs' texts joined."""
    return "".join(unescape(m.group(1) or "", ENTITIES) for m in _TEXT.finditer(xml))


def _string_item(text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f"<si><t{space}>{escape(text)}</t></si>"


class _Sheet:
    """One worksheet's XML: its cells by row and column, each kept as the XML it was written as until typed over."""

    def __init__(self, xml: str) -> None:
        data = _SHEET_DATA.search(xml)
        if data is None:
            raise ValueError("a worksheet without sheetData")
        self.head, self.tail = xml[: data.start()], xml[data.end():]
        self.rows: dict[int, tuple[str, dict[int, str]]] = {}
        for row in _ROW.finditer(data.group(1) or ""):
            cells = {_split(_attrs(c.group(1))["r"])[1]: c.group(0) for c in _CELL.finditer(row.group(2) or "")}
            self.rows[int(_attrs(row.group(1))["r"])] = (row.group(1), cells)

    def cell(self, row: int, col: int) -> str | None:
        found = self.rows.get(row)
        return found[1].get(col) if found else None

    def put(self, row: int, col: int, xml: str | None) -> None:
        """Set a cell's XML (None: no cell there), widening the row's spans and the sheet's dimension to hold it."""
        attrs, cells = self.rows.setdefault(row, (f' r="{row}"', {}))
        if xml is None:
            cells.pop(col, None)
            return
        new = col not in cells
        cells[col] = xml
        if not new:
            return
        spans = _attrs(attrs).get("spans")
        if spans:
            low, high = (int(n) for n in spans.split(":"))
            if not low <= col <= high:
                self.rows[row] = (attrs.replace(f'spans="{spans}"', f'spans="{min(low, col)}:{max(high, col)}"'), cells)
        dimension = _DIMENSION.search(self.head)
        if dimension:
            corners = [_split(r) for r in dimension.group(1).split(":")]
            (top, left), (bottom, right) = corners[0], corners[-1]
            if not (top <= row <= bottom and left <= col <= right):
                first = _ref(min(top, row), min(left, col))
                last = _ref(max(bottom, row), max(right, col))
                self.head = self.head.replace(dimension.group(0), f'<dimension ref="{first}:{last}"/>')

    def xml(self) -> str:
        rows = []
        for r in sorted(self.rows):
            attrs, cells = self.rows[r]
            body = "".join(cells[c] for c in sorted(cells))
            if body:
                rows.append(f"<row{attrs}>{body}</row>")
            elif attrs != f' r="{r}"':  # a row with a height or a format of its own stays; one made for a cell since emptied goes
                rows.append(f"<row{attrs}/>")
        return f"{self.head}<sheetData>{''.join(rows)}</sheetData>{self.tail}"


def _ref(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


class Book:
    """A saved .xlsx (one with shared strings, as every generated workbook has) opened to type into
    some of its cells; ``save`` writes it as a person's save would."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as z:
            self.parts = {info.filename: z.read(info) for info in z.infolist()}
        rels = dict(_REL.findall(self.parts["xl/_rels/workbook.xml.rels"].decode()))
        self.paths = {unescape(name, ENTITIES): "xl/" + rels[rid].removeprefix("/xl/") for name, rid in _SHEET.findall(self.parts[MAIN].decode())}
        sst = self.parts[STRINGS].decode()
        self.strings = [_text(m.group(1) or "") for m in _STRING_ITEM.finditer(sst)]
        self.index = {s: i for i, s in reversed(list(enumerate(self.strings)))}  # the first item of each text, as Excel keeps one
        self.known = len(self.strings)
        self.string_cells = 0  # string cells added (less those typed over with something else)
        self.sheets: dict[str, _Sheet] = {}
        self.date_styles: set[int] | None = None

    def _sheet(self, name: str) -> _Sheet:
        if name not in self.sheets:
            self.sheets[name] = _Sheet(self.parts[self.paths[name]].decode())
        return self.sheets[name]

    def last_row(self, sheet: str) -> int:
        """The number of the sheet's last row that has cells (0 for an empty sheet)."""
        return max((r for r, (_, cells) in self._sheet(sheet).rows.items() if cells), default=0)

    def value(self, sheet: str, ref: str) -> Any:
        """The cell's value as openpyxl gives it: text, a number, a bool, None; a formula as ``"=..."``."""
        xml = self._sheet(sheet).cell(*_split(ref))
        if xml is None:
            return None
        attrs, body = _cell(xml)
        kind = attrs.get("t", "n")
        formula = _FORMULA.search(body)
        if formula:
            return "=" + unescape(formula.group(1) or "", ENTITIES)
        if kind == "inlineStr":
            return _text(body)
        v = _VALUE.search(body)
        if v is None:
            return None
        text = unescape(v.group(1), ENTITIES)
        if kind == "s":
            return self.strings[int(text)]
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text == "1"
        return int(text) if text.lstrip("-").isdigit() else float(text)

    def type_in(self, sheet: str, ref: str, value: Any) -> None:
        """Type ``value`` into a cell as a person would: text stays text (never a formula), a bool is
        Yes or No, a date goes in as Excel's day number under the cell's own date format, None empties
        the cell. The cell keeps its format."""
        ws = self._sheet(sheet)
        row, col = _split(ref)
        old = ws.cell(row, col)
        if value is None and (old is None or old.endswith("/>")):
            return  # empty already
        attrs = _cell(old)[0] if old else {}
        style = f' s="{attrs["s"]}"' if "s" in attrs else ""
        self.string_cells -= int(attrs.get("t") == "s")
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        if isinstance(value, str):
            if value not in self.index:
                self.index[value] = len(self.strings)
                self.strings.append(value)
            self.string_cells += 1
            xml = f'<c r="{ref}"{style} t="s"><v>{self.index[value]}</v></c>'
        elif value is None:
            xml = f'<c r="{ref}"{style}/>' if style else None
        elif isinstance(value, dt.date):
            if not self._is_date_style(int(attrs.get("s", 0))):
                raise ValueError(f"{sheet}!{ref} is not formatted as a date: a date typed there would show as a number")
            moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
            days = (moment - EPOCH) / dt.timedelta(days=1)
            xml = f'<c r="{ref}"{style}><v>{_number(int(days) if days.is_integer() else days)}</v></c>'
        elif isinstance(value, (int, float, Decimal)):
            xml = f'<c r="{ref}"{style}><v>{_number(float(value) if isinstance(value, Decimal) else value)}</v></c>'
        else:
            raise TypeError(f"cannot type a {type(value).__name__} into a cell")
        ws.put(row, col, xml)

    def _is_date_style(self, index: int) -> bool:
        if self.date_styles is None:
            styles = self.parts[STYLES].decode()
            custom = {int(i): unescape(code, ENTITIES) for i, code in _NUM_FMT.findall(styles)}
            dated = DATE_FORMAT_IDS | {i for i, code in custom.items() if re.search("[dmyhs]", _NOT_DATE_PARTS.sub("", code), re.I)}
            xfs = _XF_LIST.search(styles)
            self.date_styles = {n for n, xf in enumerate(_XF.findall(xfs.group(1) if xfs else "")) if int(_attrs(xf).get("numFmtId", 0)) in dated}
        return index in self.date_styles

    def save(self, out: Path, saved_at: dt.datetime) -> Path:
        """Write the workbook to ``out``, byte for byte the same for the same cells typed: every ZIP
        entry and the document's modified time stamped ``saved_at``."""
        parts = dict(self.parts)
        for name, sheet in self.sheets.items():
            parts[self.paths[name]] = sheet.xml().encode()
        for path in self.paths.values():
            parts[path] = _without_results(parts[path].decode()).encode()
        if len(self.strings) > self.known or self.string_cells:
            sst = parts[STRINGS].decode()
            head = sst[: sst.index(">", sst.index("<sst")) + 1]
            counts = _attrs(head[head.index("<sst") + 4: -1])
            new_head = re.sub(r'\scount="\d+"', f' count="{int(counts.get("count", self.known)) + self.string_cells}"', head)
            new_head = re.sub(r'\suniqueCount="\d+"', f' uniqueCount="{len(self.strings)}"', new_head)
            end = sst.rindex("</sst>")
            added = "".join(_string_item(s) for s in self.strings[self.known:])
            parts[STRINGS] = (new_head + sst[len(head): end] + added + sst[end:]).encode()
        if CORE in parts:
            parts[CORE] = _MODIFIED.sub(lambda m: m.group(1) + f"{saved_at:%Y-%m-%dT%H:%M:%SZ}", parts[CORE].decode()).encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                entry = zipfile.ZipInfo(name, saved_at.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(entry, data)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(buffer.getvalue())
        return out


def _without_results(xml: str) -> str:
    """A worksheet's formulas without their cached results (and result types)."""
    if "<f" not in xml:
        return xml
    return _FORMULA_CELL.sub(lambda m: f"<c{_TYPE_ATTR.sub('', m.group(1))}>{m.group(2)}</c>", xml)
