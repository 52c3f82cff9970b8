"""excel.edit: cells typed into a saved workbook's XML read back as typed, and the rest of the file as it was."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from nc_excel.excel.edit import Book

SAVED = dt.datetime(2017, 10, 1, 12, 0)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A small workbook as XlsxWriter writes the templates: input cells formatted but empty, a formula with its result."""
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "yyyy-mm-dd", "locked": False})
    ws = wb.add_worksheet("Living Labs")
    ws.write_string(0, 0, "Name")
    ws.write_string(1, 0, "Kept")
    ws.write_blank(1, 1, None, date)
    ws.write_blank(1, 2, None, wb.add_format({"locked": False}))
    ws.write_formula(1, 3, "=LEN(A2)", None, 4)
    ws.write_string(2, 0, "  spaced & <marked>  ")
    wb.close()
    return path


def values(path: Path, sheet: str = "Living Labs") -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(sheet).to_python()
    finally:
        wb.close()


def test_typed_values_read_back_as_typed(book: Path, tmp_path: Path) -> None:
    b = Book(book)
    b.type_in("Living Labs", "B2", dt.date(2017, 2, 28))
    b.type_in("Living Labs", "C2", "12.345,67")  # text stays text, a number in the European way too
    b.type_in("Living Labs", "E2", Decimal("1234.5"))  # a cell that was not there
    b.type_in("Living Labs", "F5", True)  # a row that was not there
    b.type_in("Living Labs", "A4", '=HYPERLINK("http://example.org","site")')  # typed as text, never a formula
    out = b.save(tmp_path / "out.xlsx", SAVED)
    rows = values(out)
    assert rows[1][:5] == ["Kept", dt.date(2017, 2, 28), "12.345,67", "", 1234.5]
    assert rows[3][0] == '=HYPERLINK("http://example.org","site")' and rows[4][5] == "Yes"
    back = openpyxl.load_workbook(out)["Living Labs"]
    assert back["A4"].data_type == "s" and back["C2"].protection.locked is False  # the cell keeps its format
    assert back.dimensions == "A1:F5"


def test_what_a_book_reads_is_what_openpyxl_reads(book: Path) -> None:
    b, wb = Book(book), openpyxl.load_workbook(book)
    for ref in ("A1", "A2", "B2", "D2", "A3", "Z9"):
        assert b.value("Living Labs", ref) == wb["Living Labs"][ref].value, ref
    assert b.last_row("Living Labs") == 3


def test_emptied_cells_keep_their_format_and_formulas_lose_their_results(book: Path, tmp_path: Path) -> None:
    b = Book(book)
    b.type_in("Living Labs", "A2", None)
    out = b.save(tmp_path / "out.xlsx", SAVED)
    assert values(out)[1][0] == ""
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        core = z.read("docProps/core.xml").decode()
        stamps = {info.date_time for info in z.infolist()}
    assert '<c r="A2"/>' not in sheet and '<f>LEN(A2)</f></c>' in sheet  # no stale result of 4 is left
    assert "2017-10-01T12:00:00Z</dcterms:modified>" in core and stamps == {(2017, 10, 1, 12, 0, 0)}


def test_strings_are_shared_once_and_saves_are_the_same_bytes(book: Path, tmp_path: Path) -> None:
    def typed(name: str) -> bytes:
        b = Book(book)
        for ref in ("B3", "C3", "D3"):
            b.type_in("Living Labs", ref, "  spaced & <marked>  ")
        b.type_in("Living Labs", "E3", "new")
        return b.save(tmp_path / name, SAVED).read_bytes()

    assert typed("one.xlsx") == typed("two.xlsx")
    with zipfile.ZipFile(tmp_path / "one.xlsx") as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert sst.count("spaced &amp; &lt;marked&gt;") == 1 and 'uniqueCount="4"' in sst and ' count="7"' in sst  # 3 string cells and 4 typed
    assert values(tmp_path / "one.xlsx")[2][:5] == ["  spaced & <marked>  "] * 4 + ["new"]


def test_a_date_goes_only_where_it_shows_as_a_date(book: Path) -> None:
    with pytest.raises(ValueError, match="not formatted as a date"):
        Book(book).type_in("Living Labs", "C2", dt.date(2017, 2, 28))
