"""Open one returned file safely and hand back its values.

A partner's return is untrusted input. A 5 kB file with one value in XFD1048576
makes python-calamine allocate 512 GiB and abort the whole process; a zip entry
can inflate to gigabytes or lie about its size; an XML part can declare
entities; an "xlsx" can be a PDF, an encrypted OLE container or a CSV. So a file
is opened in three steps, cheapest first:

1. Sniff the real format from the bytes (not the name) and check the size.
2. For zip formats, check the zip directory (sizes, ratios, entry count), then
   read every part once (CRC and size checks, capped by the declared sizes;
   inflated straight from the file's bytes, or through ``zipfile`` when a part
   is big or anything about it is unusual) while scanning XML for DOCTYPE/ENTITY
   declarations and the sheet XML for the cells that are really there (the
   ``<dimension>`` can lie) and for the cells that show an error value
   (calamine hands ``#DIV/0!`` over as an empty string; the grids carry it back
   as an ``ErrorValue``).
3. Only then let calamine's dense reader read the values, in a worker process
   with memory and CPU limits, so that a reader abort becomes an issue on this
   file and the other returns are still collected.

Every expected problem is raised (or yielded) as ``FileProblem`` carrying an
``Issue`` from the catalogue; nothing here prints or executes anything.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from defusedxml import DTDForbidden
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetVisibleEnum,
)

from nc_excel.excel.parse import ErrorValue
from nc_excel.excel.schema import cell_ref, col_letter
from nc_excel.issues import Issue, issue

try:  # not on Windows: there the worker process is the only safety net
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

MiB = 1 << 20
GiB = 1 << 30
CHUNK = 256 * 1024
MAX_TAG = 1 * MiB  # a sheet XML start tag longer than this is not a spreadsheet's
MAX_ERROR_CELLS = 10_000  # error values recorded per sheet; more are left as calamine gives them (blank)

Grid = list[list[Any]]


@dataclass(frozen=True)
class Limits:
    """How much one return may cost before it is refused; tests pass small ones."""

    max_file_bytes: int = 20 * MiB
    max_unpacked_bytes: int = 200 * MiB  # sum of the zip entries' declared sizes
    max_ratio: float = 200.0  # per entry compression ratio ...
    ratio_min_bytes: int = 1 * MiB  # ... checked for entries unpacking to more than this
    max_entries: int = 10_000
    max_rows: int = 5000  # a cell with content beyond these on any sheet is a stray cell
    max_cols: int = 200
    memory_bytes: int = 1 * GiB  # RLIMIT_AS of the worker process
    cpu_seconds: int = 30  # RLIMIT_CPU per file in the worker process
    wall_seconds: float = 120.0  # wall-clock time per file: a worker that waits (sleeps, blocks) is not bounded by RLIMIT_CPU


@dataclass(frozen=True)
class OpenedFile:
    """What was read from one return: its identity, values and the workbook facts the reader needs."""

    path: Path
    sha256: str
    size: int
    format: str  # "xlsx" | "xlsm" | "xls" | "ods"
    sheets: dict[str, Grid]  # every sheet's values as a grid from A1; a cell showing an error holds an ErrorValue
    visibility: dict[str, str]  # sheet -> "visible" | "hidden" | "veryhidden"
    tables: dict[str, tuple[str, str]]  # Excel table name -> (sheet, "A4:H10")
    date1904: bool
    warnings: list[Issue] = field(default_factory=list)


class FileProblem(Exception):
    """A return that cannot be read; ``issue`` says what is wrong, where and what to do."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(f"{issue.file}: {issue.message} {issue.hint}")
        self.issue = issue

    def __reduce__(self) -> tuple[Any, ...]:  # survives the trip from a worker process
        return (FileProblem, (self.issue,))


def _problem(code: str, path: Path, **params: Any) -> FileProblem:
    return FileProblem(issue(code, file=path.name, **params))


def mb(n: float) -> str:
    return f"{n / MiB:.1f} MB" if n < 10 * GiB else f"{n / GiB:.0f} GB"


# --------------------------------------------------------------------------- sniffing

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"

_MAGIC_NAMES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"PK", "a damaged or unusual zip archive"),
)


def looks_like(head: bytes) -> str:
    """A short guess what non-spreadsheet bytes are, for the partner's message."""
    for magic, name in _MAGIC_NAMES:
        if head.startswith(magic):
            return name
    text: str | None = None
    for enc in ("utf-8-sig", "utf-16") if head[:2] not in (b"\xff\xfe", b"\xfe\xff") else ("utf-16",):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if enc == "utf-8-sig" and exc.start >= len(head) - 3:  # a character cut at the end
                text = head[: exc.start].decode(enc, "ignore")
                break
    if text is None or not text.strip():
        return "unknown binary data" if text is None else "blank text"
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text) / len(text)
    if printable < 0.95:
        return "unknown binary data"
    low = text.lstrip().lower()
    if low.startswith("<!doctype html") or "<html" in low[:1000]:
        return "an HTML page"
    if low.startswith("<"):
        return "an XML file" if "urn:schemas-microsoft-com:office:spreadsheet" not in low else "an Excel 2003 XML file"
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if lines and sum(any(sep in ln for sep in ",;\t") for ln in lines) >= max(1, len(lines) // 2):
        return "a text/CSV file"
    return "a text file"


# --------------------------------------------------------------------------- OLE (.xls, encrypted)


def ole_entries(data: bytes) -> set[str]:
    """The stream and storage names of an OLE compound file (minimal CFB directory reader).

    Enough to tell an encrypted Office file (EncryptionInfo + EncryptedPackage)
    from a legacy .xls (Workbook/Book) without a dependency. Raises ValueError
    on a damaged container.
    """
    try:
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12):
            raise ValueError("not a valid header")
        size = 1 << shift
        nsect = max(0, len(data) - size) // size
        num_fat, first_dir = struct.unpack_from("<II", data, 44)
        first_difat, num_difat = struct.unpack_from("<II", data, 68)
        if num_fat > nsect:
            raise ValueError("its allocation table is larger than the file")
        fat_sectors = list(struct.unpack_from("<109I", data, 76)[: min(num_fat, 109)])
        nxt, seen = first_difat, 0
        while len(fat_sectors) < num_fat and nxt < nsect and seen <= min(num_difat, nsect):
            ids = struct.unpack_from(f"<{size // 4}I", data, (nxt + 1) * size)
            fat_sectors.extend(ids[:-1])
            nxt, seen = ids[-1], seen + 1
        fat_sectors = fat_sectors[:num_fat]
        if any(s >= nsect for s in fat_sectors):
            raise ValueError("an allocation table sector lies beyond the end")
        fat = b"".join(data[(s + 1) * size : (s + 2) * size] for s in fat_sectors)
        nfat = len(fat) // 4
        names: set[str] = set()
        sector, steps = first_dir, 0
        while sector < nsect and sector < nfat:
            steps += 1
            if steps > nsect:
                raise ValueError("directory chain loops")
            base = (sector + 1) * size
            for off in range(base, base + size, 128):
                name_len, kind = struct.unpack_from("<HB", data, off + 64)
                if kind in (1, 2, 5) and 2 <= name_len <= 64:
                    names.add(data[off : off + name_len - 2].decode("utf-16-le", "replace"))
            sector = struct.unpack_from("<I", fat, sector * 4)[0]
        if not names:
            raise ValueError("no directory entries")
        return names
    except struct.error as exc:
        raise ValueError(str(exc)) from exc


def _ole_format(data: bytes, path: Path) -> str:
    try:
        names = ole_entries(data)
    except ValueError as exc:
        raise _problem("corrupt-file", path, detail=f"damaged Office container: {exc}") from None
    if {"EncryptionInfo", "EncryptedPackage"} & names:
        raise _problem("encrypted-file", path)
    if {"Workbook", "Book"} & names:
        return "xls"
    if "WordDocument" in names:
        what = "a Word document (.doc)"
    elif "PowerPoint Document" in names:
        what = "a PowerPoint presentation (.ppt)"
    elif any(n.startswith("__substg1.0_") for n in names) or "__properties_version1.0" in names:
        what = "an Outlook message (.msg): save the attached workbook and send that"
    else:
        what = "an Office container without a workbook"
    raise _problem("not-a-spreadsheet", path, detail=what)


# --------------------------------------------------------------------------- XML scanning

_ENTITY = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_OVERLAP = 32


class _EntityCheck:
    """Finds DOCTYPE/ENTITY declarations in a part fed in chunks (UTF-8 or UTF-16)."""

    def __init__(self) -> None:
        self.mode: str | None = None  # None until the first bytes; "skip" for non-XML parts
        self.tail = b""
        self.decoder: Any = None
        self.found = False

    def feed(self, chunk: bytes) -> None:
        if self.mode is None:
            head = chunk[:4]
            if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 1 and 0 in head[:2] and b"<" in head):
                self.mode = "utf16"
                self.decoder = codecs.getincrementaldecoder("utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-16-le" if head[0:1] == b"<" else "utf-16-be"))("replace")
            elif chunk.lstrip()[:1] == b"<" or chunk.startswith(b"\xef\xbb\xbf"):
                self.mode = "utf8"
            else:
                self.mode = "skip"  # images, vbaProject.bin, printer settings: no parser reads them as XML
        if self.mode == "skip" or self.found:
            return
        if self.mode == "utf16":
            chunk = self.decoder.decode(chunk).encode("utf-8", "replace")
        buf = self.tail + chunk
        if b"!" in buf and _ENTITY.search(buf):  # one byte is found far faster than the regex runs; most parts have no "!"
            self.found = True
        self.tail = buf[-_OVERLAP:]


_SHEET_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_C_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')
_ROW_IRREGULAR = re.compile(rb'<row(?! r="\d+")(?=[\s/>])')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.\-]*+:(?:c|row)[\s/>]")
_PREFIXED_HINT = re.compile(rb":(?:c|row)[\s/>]")
"""A row or cell tag not written as ``<row r="N"`` / ``<c r="A1"`` (no reference, another attribute or other
whitespace first, a namespace prefix) sends a chunk to the slow path. A regex that starts with a literal skips
through a part far faster than one that tries every ``<``: so rows are looked for as ``<row``, a prefixed tag
only where ``:c`` or ``:row`` ends a name (``:`` is rare), and cells by ``_unusual_cells``."""


@functools.cache
def _unusual_cells(max_rows: int, max_cols: int) -> re.Pattern[bytes]:
    """Cell tags other than ``<c r="A1"`` with fewer column letters and row digits than the limits have.

    Those are the irregular cells and the regular ones whose reference is long
    enough to be out of bounds; an ordinary sheet has none, so the search stops at
    no cell.
    """
    letters, digits = len(col_letter(max_cols - 1)), len(str(max_rows))
    if letters <= 1 or digits <= 1:  # no reference is short enough: every cell needs a look
        return re.compile(rb"<c(?=[\s/>])")
    # the usual cell fails the first test: one assertion per cell, not two
    return re.compile(rb'<c(?! r="[A-Z]{1,%d}\d{1,%d}")(?=[\s/>])' % (min(letters - 1, 3), digits - 1))


_ROW_R = re.compile(rb'(?:^|\s)r\s*=\s*["\'](\d+)["\']')
_CELL_R = re.compile(rb'(?:^|\s)r\s*=\s*["\']\$?([A-Za-z]{1,3})\$?(\d*)["\']')


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


class _TagStream:
    """Splits a chunked XML stream so that tags are never cut in two."""

    def __init__(self) -> None:
        self.tail = b""

    def complete(self, chunk: bytes) -> bytes:
        buf = self.tail + chunk if self.tail else chunk
        cut = buf.rfind(b"<")
        if cut == -1 or buf.find(b">", cut) != -1:
            self.tail = b""
            return buf
        self.tail = buf[cut:]
        if len(self.tail) > MAX_TAG:
            raise ValueError("an XML tag longer than 1 MiB")
        return buf[:cut]


class _SheetExtent:
    """The farthest cell with content beyond the limits in a worksheet XML part.

    Looks at the cell references themselves (and counts rows and cells that have
    no ``r`` attribute as Excel does), never at ``<dimension ref>``. A
    self-closing ``<c .../>`` holds no value (calamine does not place it); any
    other ``<c>`` is counted. Chunks where every row and cell has its reference
    (all that Excel, LibreOffice and the writers produce) take a fast path that
    looks closer only at references long enough to be out of bounds.
    """

    def __init__(self, max_rows: int, max_cols: int) -> None:
        self.max_rows, self.max_cols = max_rows, max_cols
        self.unusual = _unusual_cells(max_rows, max_cols)
        self.row = 0
        self.col = 0
        self.worst: tuple[int, int] | None = None  # 1-based (row, col)
        self.stream = _TagStream()

    def _offends(self, row: int, col: int) -> None:
        if (row > self.max_rows or col > self.max_cols) and (self.worst is None or (row, col) > self.worst):
            self.worst = (row, col)

    def feed(self, chunk: bytes) -> None:
        buf = self.stream.complete(chunk)
        if not self._fast(buf):
            self._slow(buf)

    def _fast(self, buf: bytes) -> bool:
        """Every row and cell as ``<row r="N"`` / ``<c r="A1"``: only long references need a look."""
        if _ROW_IRREGULAR.search(buf) or (_PREFIXED_HINT.search(buf) and _PREFIXED.search(buf)):
            return False
        refs = [_C_REF.match(buf, m.start()) for m in self.unusual.finditer(buf)]
        if None in refs:
            return False
        for m in refs:
            end = buf.find(b">", m.end())
            if buf[end - 1 : end] != b"/":
                self._offends(int(m.group(2)), _col_number(m.group(1)))
        last_row = buf.rfind(b'<row r="')
        if last_row != -1:
            self.row = int(buf[last_row + 8 : buf.find(b'"', last_row + 8)])
            self.col = 0
        last_cell = buf.rfind(b'<c r="')
        if last_cell > last_row:
            m = _C_REF.match(buf, last_cell)
            if m:
                self.col = _col_number(m.group(1))
        return True

    def _slow(self, buf: bytes) -> None:
        for m in _SHEET_TAG.finditer(buf):
            if m.group(1):
                continue
            attrs = m.group(3)
            if m.group(2) == b"row":
                r = _ROW_R.search(attrs)
                self.row = int(r.group(1)) if r else self.row + 1
                self.col = 0
                continue
            r = _CELL_R.search(attrs)
            if r:
                self.col = _col_number(r.group(1))
                row = int(r.group(2)) if r.group(2) else self.row
            else:
                self.col += 1
                row = self.row
            if not attrs.endswith(b"/"):
                self._offends(row, self.col)


_QUOTED_E, _APOSTROPHED_E = re.compile(rb'"e"'), re.compile(rb"'e'")  # no error cell without one of them
_ERROR_CELL = re.compile(rb"""<(?:[\w.\-]+:)?c\s((?:[^>]*?\s)?t\s*=\s*["']e["'][^>]*)>""")
_C_END = re.compile(rb"</(?:[\w.\-]+:)?c>")
_V_TEXT = re.compile(rb"<(?:[\w.\-]+:)?v(?:\s[^>]*)?>([^<]*)</(?:[\w.\-]+:)?v>")


class _ErrorCells:
    """The cells of a worksheet XML part that hold an error value (``t="e"``), with the error shown.

    python-calamine hands an error cell over as an empty string, so a ``#DIV/0!``
    would read as a blank cell; this records (row, col) -> ``#DIV/0!`` (0-based)
    while the part streams by, for the reader to put back. A cell without an
    ``r`` reference (no writer in use omits it) is not recorded.
    """

    def __init__(self) -> None:
        self.found: dict[tuple[int, int], str] = {}
        self.stream = _TagStream()
        self.pending = b""  # an error cell whose end is in the next chunk

    def feed(self, chunk: bytes) -> None:
        buf = self.pending + self.stream.complete(chunk)
        self.pending = b""
        if not _QUOTED_E.search(buf) and not (b"'" in buf and _APOSTROPHED_E.search(buf)):  # faster than two ``in``
            return
        pos = 0
        while (m := _ERROR_CELL.search(buf, pos)) is not None:
            if m.group(1).endswith(b"/"):  # <c t="e"/>: no value
                pos = m.end()
                continue
            end = _C_END.search(buf, m.end())
            if end is None:
                rest = buf[m.start():]
                self.pending = rest if len(rest) <= MAX_TAG else b""
                return
            ref = _CELL_R.search(m.group(1))
            value = _V_TEXT.search(buf, m.end(), end.start())
            if ref and ref.group(2) and value and len(self.found) < MAX_ERROR_CELLS:
                self.found[(int(ref.group(2)) - 1, _col_number(ref.group(1)) - 1)] = _xml_unescape(value.group(1)).strip()
            pos = end.end()


_ODS_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>")
_ODS_NAME = re.compile(rb'(?:^|\s)(?:[\w.\-]+:)?name\s*=\s*"([^"]*)"')
_ODS_ROWS = re.compile(rb'number-rows-repeated\s*=\s*"(\d+)"')
_ODS_COLS = re.compile(rb'number-columns-repeated\s*=\s*"(\d+)"')
_ODS_ERROR = re.compile(rb'(?:^|\s)calcext:value-type\s*=\s*"error"')  # what LibreOffice writes for a cell showing an error


class _OdsExtent:
    """The farthest cell with content beyond the limits per table of an ODS content.xml.

    Repeated rows and cells (``number-rows-repeated``, ``number-columns-repeated``)
    are counted; an empty self-closing cell repeated to the end of the sheet, as
    LibreOffice writes, is not content.
    """

    def __init__(self, max_rows: int, max_cols: int) -> None:
        self.max_rows, self.max_cols = max_rows, max_cols
        self.sheet = ""
        self.row = 0  # rows before the current one
        self.row_rep = 1
        self.col = 0
        self.worst: dict[str, tuple[int, int]] = {}
        self.errors: dict[str, dict[tuple[int, int], str]] = {}  # sheet -> (row, col) 0-based -> "#DIV/0!"
        self.error_cells: list[tuple[int, int]] | None = None  # the open error cell's places, until its end tag
        self.error_text = bytearray()
        self.stream = _TagStream()

    def feed(self, chunk: bytes) -> None:
        buf = self.stream.complete(chunk)
        text_from = 0
        for m in _ODS_TAG.finditer(buf):
            closing, name, attrs = m.groups()
            selfclose = attrs.endswith(b"/")
            if self.error_cells is not None and name in (b"table-cell", b"covered-table-cell") and closing:
                self._error_end(buf[text_from : m.start()])
            if name == b"table":
                if not closing:
                    n = _ODS_NAME.search(attrs)
                    self.sheet = _xml_unescape(n.group(1)) if n else ""
                    self.row = 0
            elif name == b"table-row":
                if closing:
                    self.row += self.row_rep
                    continue
                r = _ODS_ROWS.search(attrs)
                self.row_rep = int(r.group(1)) if r else 1
                self.col = 0
                if selfclose:
                    self.row += self.row_rep
            elif not closing:
                c = _ODS_COLS.search(attrs)
                rep = int(c.group(1)) if c else 1
                first = self.col
                self.col += rep
                if selfclose and b"value-type" not in attrs:
                    continue
                if not selfclose and _ODS_ERROR.search(attrs):
                    self.error_cells = [(self.row + i, first + j) for i in range(min(self.row_rep, 100)) for j in range(min(rep, 100))]
                    self.error_text.clear()
                    text_from = m.end()
                last_row, last_col = self.row + self.row_rep, first + rep  # 1-based
                if last_row > self.max_rows or last_col > self.max_cols:
                    prev = self.worst.get(self.sheet)
                    if prev is None or (last_row, last_col) > prev:
                        self.worst[self.sheet] = (last_row, last_col)
        if self.error_cells is not None and len(self.error_text) < 4096:
            self.error_text += buf[text_from:][: 4096]

    def _error_end(self, text: bytes) -> None:
        """An error cell ends: what it shows is the text of its paragraphs (``#DIV/0!``, ``Err:502``)."""
        self.error_text += text[:4096]
        shown = _xml_unescape(re.sub(rb"<[^>]*>", b"", bytes(self.error_text))).strip()
        found = self.errors.setdefault(self.sheet, {})
        for where in self.error_cells or ():
            if len(found) < MAX_ERROR_CELLS:
                found[where] = shown
        self.error_cells = None
        self.error_text.clear()


def _xml_unescape(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


# --------------------------------------------------------------------------- zip checks


@dataclass
class _ZipFacts:
    format: str
    date1904: bool = False
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # Excel table -> (sheet, ref)
    macros: bool = False
    errors: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)  # sheet -> (row, col) -> "#DIV/0!"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_RELATIONSHIP = re.compile(rb"<(?:[\w.\-]+:)?Relationship\s([^>]*)>")


def _rel_targets(rels_xml: bytes, base: str, kind: bytes = b"") -> dict[str, str]:
    """Relationship id -> the part it points at (internal targets whose type ends with ``kind``).

    A regex, not a parser: the part has passed the entity check, and rels are flat.
    Only the id and the target are unescaped: no escape can spell ``External``
    or end a type in ``/table``.
    """
    targets: dict[str, str] = {}
    for m in _RELATIONSHIP.finditer(rels_xml):
        attrs = _attrs(m.group(1))
        if attrs.get(b"TargetMode") != b"External" and attrs.get(b"Type", b"").endswith(kind):
            target = _xml_unescape(attrs.get(b"Target", b"")).replace("\\", "/")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            targets[_xml_unescape(attrs.get(b"Id", b""))] = posixpath.normpath(resolved)
    return targets


def _table(head: bytes) -> tuple[str, str] | None:
    """(name, ref) from the start tag of a table part; Excel shows and references displayName."""
    m = _TABLE_START.search(head)
    if not m:
        return None
    attrs = {k.split(b":")[-1]: v for k, v in _attrs(m.group(1)).items()}
    name, ref = attrs.get(b"displayName") or attrs.get(b"name"), attrs.get(b"ref")
    return (_xml_unescape(name), ref.decode("ascii", "replace")) if name and ref else None


def _workbook_sheets(wb_xml: bytes, rels_xml: bytes | None, path: Path) -> tuple[dict[str, str], bool]:
    """Sheet part -> sheet name from workbook.xml and its rels; and the 1904 date system.

    Parsed by expat itself, refusing a DOCTYPE as defusedxml does when told to
    (the entity check has refused it already, unless the part hides it in an
    encoding the check cannot read): the element tree that defusedxml builds in
    Python cost ten times the parse, for two elements.
    """
    targets = _rel_targets(rels_xml, "xl") if rels_xml is not None else {}
    parts: dict[str, str] = {}
    date1904 = False

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal date1904
        if not tag.endswith(("sheet", "workbookPr")):  # most elements: the cheapest test first
            return
        name = _local(tag)
        if name == "workbookPr":
            date1904 = (attrs.get("date1904") or "").lower() in ("1", "true")
        elif name == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid in targets:
                parts[targets[rid]] = attrs.get("name") or ""

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: bool) -> None:
        raise DTDForbidden(name, sysid, pubid)

    parser = expat.ParserCreate(None, "}")  # namespaced names as "uri}local", as ElementTree asks for them
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(wb_xml, True)
    except Exception as exc:  # ExpatError, DTDForbidden, LookupError for an encoding expat does not know
        raise _problem("corrupt-file", path, detail=f"xl/workbook.xml is not valid XML ({exc})") from None
    return parts, date1904


_TABLE_START = re.compile(rb"<(?:[\w.\-]+:)?table\s([^>]*)>")
_ATTR = re.compile(rb'([\w:.\-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {k: double or single for k, double, single in _ATTR.findall(raw)}


LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a zip entry's local file header, as zipfile reads it
WHOLE_PART = 4 * MiB  # parts declaring up to this are inflated in one go from the file's bytes


def _unpacked(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A part's bytes straight from the file's buffer, or None where zipfile's reader must read it.

    zipfile's reader costs more per part (a file object, a decompressor wrapper,
    chunked reads) than inflating the 28 small parts of an ordinary return. This
    takes only what that reader would take, byte for byte: a local header with its
    signature and the directory's name, stored or deflated, not patched or
    encrypted, all its data inside the file, exactly the declared size out and the
    declared CRC. For anything else (a damaged or lying part, another method, a big
    part) it gives None and the part is read through zipfile, which raises what it
    always raised.
    """
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x61 or info.file_size > WHOLE_PART:
        return None  # 0x61: encrypted, compressed patched data, strong encryption
    try:
        sig, _, _, flags, _, _, _, _, _, _, name_len, extra_len = LOCAL_HEADER.unpack_from(data, info.header_offset)
        start = info.header_offset + LOCAL_HEADER.size
        name = data[start : start + name_len]  # decoded as zipfile does (an ASCII name reads the same in both, and UTF-8 is the quicker)
        if sig != b"PK\x03\x04" or name.decode("utf-8" if flags & 0x800 or name.isascii() else "cp437") != info.orig_filename:
            return None
        start += name_len + extra_len
        packed = data[start : start + info.compress_size]
        if len(packed) != info.compress_size:
            return None
        if info.compress_type == zipfile.ZIP_STORED:
            raw = packed
        else:  # at most one byte more than declared: enough to tell a lying size
            raw = zlib.decompressobj(-15).decompress(packed, info.file_size + 1)
    except (struct.error, UnicodeDecodeError, zlib.error):
        return None
    if len(raw) != info.file_size or zlib.crc32(raw) != info.CRC:
        return None
    return raw


def _read_part(zf: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, path: Path, sinks: Sequence[Callable[[bytes], None]], keep: int = 0) -> bytes:
    """Feed one part through the sinks; return its first ``keep`` bytes.

    The sinks get the part in chunks of ``CHUNK`` bytes, whichever way it is read
    (so a scanner sees the same chunks, and refuses the same parts): a small part
    is inflated from the file's bytes in one go (``_unpacked``); any other is
    streamed through zipfile, which stops at the declared size and checks the CRC,
    so a lying entry never costs more than the directory admits (already checked
    against the limits).
    """
    try:
        raw = _unpacked(data, info)
        if raw is not None:
            for at in range(0, len(raw), CHUNK):
                chunk = raw[at : at + CHUNK]
                for sink in sinks:
                    sink(chunk)
            return raw[:keep]
        kept = bytearray()
        n = 0
        with zf.open(info) as f:
            while chunk := f.read(CHUNK):
                n += len(chunk)
                if len(kept) < keep:
                    kept += chunk[: keep - len(kept)]
                for sink in sinks:
                    sink(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError) as exc:
        # ValueError also comes from a scanner refusing the part
        raise _problem("corrupt-file", path, detail=f"part {info.filename}: {exc}") from None
    if n != info.file_size:
        raise _problem("corrupt-file", path, detail=f"part {info.filename} has {n} bytes, its directory says {info.file_size}")
    return bytes(kept)


def check_zip(data: bytes, path: Path, limits: Limits) -> _ZipFacts:
    """Zip directory checks, then every part read once; raises FileProblem."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise _problem("corrupt-file", path, detail=f"incomplete or damaged zip: {exc}") from None
    if len(infos) > limits.max_entries:
        raise _problem("zip-bomb", path, detail=f"{len(infos)} parts")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        raise _problem("zip-bomb", path, detail=mb(total))
    for i in infos:
        if i.file_size > limits.ratio_min_bytes and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise _problem("zip-bomb", path, detail=f"{mb(i.file_size)} from a {i.compress_size}-byte part ({i.filename})")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _problem("corrupt-file", path, detail="the zip holds two parts with the same name")
    if any(i.flag_bits & 0x1 for i in infos):
        raise _problem("encrypted-file", path)
    byname = {i.filename: i for i in infos}

    # what kind of zip is it?
    if "mimetype" in byname and byname["mimetype"].file_size < 200:
        mime = _read_part(zf, data, byname["mimetype"], path, (), keep=200).strip()
        if mime == ODS_MIME:
            if _odf_encrypted(zf, data, byname, path):
                raise _problem("encrypted-file", path)
            return _check_ods(zf, data, infos, path, limits)
        kind = mime.decode("ascii", "replace").rsplit(".", 1)[-1]
        raise _problem("not-a-spreadsheet", path, detail=f"an OpenDocument {kind}")
    if "xl/workbook.bin" in byname:
        raise _problem("unreadable-file", path, detail="it is an Excel binary workbook (.xlsb)")
    if "[Content_Types].xml" not in byname or "xl/workbook.xml" not in byname:
        if "word/document.xml" in byname:
            what = "a Word document (.docx)"
        elif "ppt/presentation.xml" in byname:
            what = "a PowerPoint presentation (.pptx)"
        else:
            what = "a zip archive without a workbook in it"
        raise _problem("not-a-spreadsheet", path, detail=what)
    return _check_xlsx(zf, data, infos, byname, path, limits)


_ODF_ENCRYPTION = re.compile(rb"<(?:[\w.\-]+:)?encryption-data[\s/>]")
ODF_MANIFEST = "META-INF/manifest.xml"


def _odf_encrypted(zf: zipfile.ZipFile, data: bytes, byname: dict[str, zipfile.ZipInfo], path: Path) -> bool:
    """Whether an OpenDocument file is saved with a password.

    ODF encrypts part by part (the zip itself is not encrypted): the manifest
    declares ``<manifest:encryption-data>`` for every encrypted part, which is
    what LibreOffice's Save with password writes. ODF 1.3's whole-package
    encryption keeps the parts in one ``encrypted-package`` entry instead. A
    regex, not a parser: the manifest is scanned before any XML is parsed.
    """
    if "encrypted-package" in byname:
        return True
    info = byname.get(ODF_MANIFEST)
    if info is None:
        return False
    check = _EntityCheck()
    manifest = _read_part(zf, data, info, path, (check.feed,), keep=info.file_size)
    if check.found:
        raise _problem("xml-entities", path)
    return bool(_ODF_ENCRYPTION.search(manifest))


def _check_xml_parts(
    zf: zipfile.ZipFile,
    data: bytes,
    infos: Sequence[zipfile.ZipInfo],
    path: Path,
    scanners: dict[str, Sequence[Any]],
    keep: dict[str, int],
) -> dict[str, bytes]:
    """Read every part once: CRC, sizes, entity declarations, and the given scanners."""
    kept: dict[str, bytes] = {}
    for info in infos:
        check = _EntityCheck()
        name = info.filename
        head = _read_part(zf, data, info, path, [check.feed, *[scanner.feed for scanner in scanners.get(name, ())]], keep.get(name, 0))
        if check.found:
            raise _problem("xml-entities", path)
        if name in keep:
            kept[name] = head
    return kept


def _check_xlsx(zf: zipfile.ZipFile, data: bytes, infos: Sequence[zipfile.ZipInfo], byname: dict[str, zipfile.ZipInfo], path: Path, limits: Limits) -> _ZipFacts:
    index = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels"]
    first = _check_xml_parts(zf, data, [byname[n] for n in index if n in byname], path, {}, {n: byname[n].file_size for n in index if n in byname})
    sheets, date1904 = _workbook_sheets(first["xl/workbook.xml"], first.get("xl/_rels/workbook.xml.rels"), path)
    if not any(part in byname for part in sheets):  # no usable rels: scan where sheets usually are
        folders = ("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")
        sheets = {n: posixpath.basename(n) for n in byname if n.startswith(folders) and n.endswith(".xml") and n.count("/") == 2}
    scanners = {part: _SheetExtent(limits.max_rows, limits.max_cols) for part in sheets if part in byname}
    error_cells = {part: _ErrorCells() for part in scanners}
    sheet_rels = {posixpath.join(posixpath.dirname(p), "_rels", posixpath.basename(p) + ".rels"): p for p in sheets}
    small = {i.filename: 64 * 1024 for i in infos if i.filename in sheet_rels or i.filename.startswith("xl/tables/")}
    rest = [i for i in infos if i.filename not in index]
    kept = _check_xml_parts(zf, data, rest, path, {part: (scanners[part], error_cells[part]) for part in scanners}, small)
    for part, scan in scanners.items():
        if scan.worst:
            row, col = scan.worst
            raise _problem("stray-cell", path, sheet=sheets[part], cell=cell_ref(row - 1, col - 1))
    tables: dict[str, tuple[str, str]] = {}
    for rels, sheet_part in sheet_rels.items():
        if rels in kept:
            for target in _rel_targets(kept[rels], posixpath.dirname(sheet_part), b"/table").values():
                found = _table(kept.get(target, b""))
                if found:
                    tables[found[0]] = (sheets[sheet_part], found[1])
    macros = any(n.lower().endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in byname)
    fmt = "xlsm" if macros else "xlsx"
    errors = {sheets[part]: scan.found for part, scan in error_cells.items() if scan.found}
    return _ZipFacts(format=fmt, date1904=date1904, tables=tables, macros=macros, errors=errors)


def _check_ods(zf: zipfile.ZipFile, data: bytes, infos: Sequence[zipfile.ZipInfo], path: Path, limits: Limits) -> _ZipFacts:
    scan = _OdsExtent(limits.max_rows, limits.max_cols)
    _check_xml_parts(zf, data, infos, path, {"content.xml": (scan,)}, {})
    for sheet, (row, col) in scan.worst.items():
        raise _problem("stray-cell", path, sheet=sheet, cell=cell_ref(row - 1, col - 1))
    macros = any(i.filename.startswith(("Basic/", "Scripts/")) for i in infos)
    return _ZipFacts(format="ods", macros=macros, errors={sheet: found for sheet, found in scan.errors.items() if found})


# --------------------------------------------------------------------------- reading


def _visibility(meta: Any) -> str:
    if meta.visible == SheetVisibleEnum.VeryHidden:  # calamine's enums compare but do not hash
        return "veryhidden"
    return "hidden" if meta.visible == SheetVisibleEnum.Hidden else "visible"


def read_bytes(data: bytes, path: Path, limits: Limits) -> OpenedFile:
    """All checks and the read itself for bytes already in memory (runs in a worker)."""
    size = len(data)
    if size == 0:
        raise _problem("empty-file", path)
    if size > limits.max_file_bytes:
        raise _problem("file-too-large", path, detail=mb(size), limit=mb(limits.max_file_bytes))
    if data.startswith(ZIP_MAGIC):
        facts = check_zip(data, path, limits)
    elif data.startswith(OLE_MAGIC):
        facts = _ZipFacts(format=_ole_format(data, path))
    else:
        raise _problem("not-a-spreadsheet", path, detail=looks_like(data[:4096]))
    try:
        # no load_tables: the table parts were read above (calamine's own table range leaves out the header row)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise _problem("encrypted-file", path) from None
    except (CalamineError, ValueError, OSError) as exc:
        if "password" in str(exc).lower():
            raise _problem("encrypted-file", path) from None
        raise _problem("corrupt-file", path, detail=short_reason(exc)) from None
    with book:
        try:
            sheets: dict[str, Grid] = {}
            visibility: dict[str, str] = {}
            for meta in book.sheets_metadata:
                sheet = book.get_sheet_by_name(meta.name)
                end = sheet.end
                if end is not None and (end[0] >= limits.max_rows or end[1] >= limits.max_cols):
                    # formats without a pre-scan (.xls) reach here with the range already read
                    raise _problem("stray-cell", path, sheet=meta.name, cell=cell_ref(*end))
                sheets[meta.name] = _with_errors(sheet.to_python(skip_empty_area=False), facts.errors.get(meta.name, {}))
                visibility[meta.name] = _visibility(meta)
        except PasswordError:
            raise _problem("encrypted-file", path) from None
        except (CalamineError, ValueError, OSError) as exc:
            raise _problem("corrupt-file", path, detail=short_reason(exc)) from None
    warnings = [issue("macros-ignored", file=path.name)] if facts.macros else []
    return OpenedFile(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=size,
        format=facts.format,
        sheets=sheets,
        visibility=visibility,
        tables={name: where for name, where in facts.tables.items() if where[0] in sheets},
        date1904=facts.date1904,
        warnings=warnings,
    )


def _with_errors(grid: Grid, errors: dict[tuple[int, int], str]) -> Grid:
    """The grid with the error values the pre-scan found where calamine left an empty string."""
    for (row, col), shown in errors.items():
        if row < len(grid) and col < len(grid[row]) and grid[row][col] == "":
            grid[row][col] = ErrorValue(shown)
    return grid


def short_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def read_path(path: Path, limits: Limits) -> OpenedFile:
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:  # refuse before reading it
            raise _problem("file-too-large", path, detail=mb(size), limit=mb(limits.max_file_bytes))
        with path.open("rb") as f:
            data = f.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise _problem("unreadable-file", path, detail=exc.strerror or short_reason(exc)) from None
    return read_bytes(data, path, limits)


# --------------------------------------------------------------------------- worker processes


