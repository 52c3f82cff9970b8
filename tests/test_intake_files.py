"""Opening returned files: a corpus of hostile and broken files, each built here.

Every file is made by the test itself in tmp_path (no binary fixtures). Each
must come back as a FileProblem with the right catalogue code (and sheet and
cell for a stray cell), and none may take the test process down.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import random
import shutil
import struct
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lo.lo import convert, fill_with_libreoffice, require_soffice, soffice

from nc_excel.intake.sniff import FileProblem, Limits, OpenedFile
from nc_excel.intake.workers import open_file, open_files
from nc_excel.partner.write import write_partner_workbook
from nc_excel.setup.demo import northern_connections

TABLES = {"Progress", "Deliverables", "Indicators", "Finance", "LivingLabs"}
SHEET1 = "xl/worksheets/sheet1.xml"  # the Start sheet of a template


# --------------------------------------------------------------------------- builders


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    setup = northern_connections("k")
    partner = next(p for p in setup.partners if p.currency == "EUR")  # its sheets all fit in 25 x 25 (a partner outside the euro area also has 44 months of rates)
    path = tmp_path_factory.mktemp("tpl") / f"NC_1_{partner.code}.xlsx"
    write_partner_workbook(path, setup, partner.code, setup.periods[0].number, generated_at=dt.datetime(2025, 1, 15, 9, 0))
    return path


def rezip(src: Path, dst: Path, replace: dict[str, bytes | None] | None = None, add: dict[str, bytes] | None = None, method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Copy a zip, replacing (None: dropping) and adding parts."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", method) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def with_cells(template: Path, dst: Path, cells: bytes, sheet: str = SHEET1) -> Path:
    """The template with extra XML appended inside the sheetData of one sheet."""
    xml = part(template, sheet).replace(b"</sheetData>", cells + b"</sheetData>")
    return rezip(template, dst, {sheet: xml})


def problem(path: Path, limits: Limits = Limits()) -> FileProblem:
    with pytest.raises(FileProblem) as info:
        open_file(path, limits)
    exc = info.value
    assert exc.issue.file == path.name
    assert path.name in str(exc) and exc.issue.hint in str(exc)  # names the file, says what to do
    return exc


def code(path: Path, limits: Limits = Limits()) -> str:
    return problem(path, limits).issue.code


ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (v3, 512-byte sectors): olefile cannot write one.

    Streams are padded to 4096 bytes so they live in regular sectors (no mini stream).
    """
    size = 512
    names = list(streams)
    datas = [streams[n].ljust(4096, b"\0") for n in names]
    n_dir = math.ceil((len(names) + 1) / 4)
    fat = [FATSECT] + [2 + i if i + 1 < n_dir else ENDOFCHAIN for i in range(n_dir)]
    starts = []
    for data in datas:
        count = math.ceil(len(data) / size)
        start = len(fat)
        fat += [start + j + 1 for j in range(count - 1)] + [ENDOFCHAIN]
        starts.append(start)
    assert len(fat) <= size // 4
    fat += [FREESECT] * (size // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, length: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), kind, 1, NOSTREAM, right, child)
            + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
            + struct.pack("<IQ", start, length)
        )

    entries = [entry("Root Entry", 5, 1 if names else NOSTREAM, NOSTREAM, ENDOFCHAIN, 0)]
    for i, (name, data) in enumerate(zip(names, datas)):
        entries.append(entry(name, 2, NOSTREAM, i + 2 if i + 1 < len(names) else NOSTREAM, starts[i], len(streams[name])))
    directory = b"".join(entries).ljust(n_dir * size, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
        + struct.pack("<109I", 0, *([FREESECT] * 108))
    )
    assert len(header) == size
    return header + struct.pack(f"<{size // 4}I", *fat) + directory + b"".join(datas)


def saved_by_libreoffice(sources: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """``sources`` converted by LibreOffice headless in one run; skipped without it, except in CI where it must be there."""
    if soffice() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is required in CI for the .xls and .ods tests")
        pytest.skip("LibreOffice (soffice) is not installed")
    return convert(sources, fmt, outdir, timeout=180)


# --------------------------------------------------------------------------- a normal return


def test_template_opens_with_sheets_visibility_and_tables(template: Path) -> None:
    opened = open_file(template)
    assert opened.format == "xlsx" and not opened.warnings and not opened.date1904
    assert opened.size == template.stat().st_size and len(opened.sha256) == 64
    assert {"Start", "Progress", "Deliverables", "Indicators", "Finance", "Living Labs", "Lists", "_nc_meta"} <= set(opened.sheets)
    assert opened.visibility["_nc_meta"] == "veryhidden"
    assert opened.visibility["Lists"] == "hidden" and opened.visibility["Start"] == "visible"
    assert set(opened.tables) == TABLES
    meta = {row[0]: row[1] for row in opened.sheets["_nc_meta"]}
    layout = json.loads(meta["layout"])
    for name, (sheet, ref) in opened.tables.items():  # where the writer put them, header row included
        assert (sheet, ref) == (layout["tables"][name]["sheet"], layout["tables"][name]["ref"])
    grid = opened.sheets["Progress"]
    assert grid[3][0] == "Work package"  # a grid from A1: the header of the table at A4


def test_protected_sheets_read_normally(template: Path) -> None:
    assert b"<sheetProtection" in part(template, "xl/worksheets/sheet2.xml")  # the template protects its sheets
    assert open_file(template).sheets["Progress"][4][0]  # and they read like any other


def test_date1904_is_reported(template: Path, tmp_path: Path) -> None:
    xml = part(template, "xl/workbook.xml").replace(b"<workbookPr ", b'<workbookPr date1904="1" ')
    assert open_file(rezip(template, tmp_path / "d1904.xlsx", {"xl/workbook.xml": xml})).date1904


def test_xlsm_with_vba_project_warns_macros_ignored(template: Path, tmp_path: Path) -> None:
    types = part(template, "[Content_Types].xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    src = rezip(template, tmp_path / "macro.xlsm", {"[Content_Types].xml": types}, {"xl/vbaProject.bin": cfb({"VBA": b"Sub AutoOpen()\nEnd Sub\n"})})
    opened = open_file(src)
    assert opened.format == "xlsm"
    assert [w.code for w in opened.warnings] == ["macros-ignored"]
    assert opened.warnings[0].file == "macro.xlsm"
    assert set(opened.tables) == TABLES


# --------------------------------------------------------------------------- not a spreadsheet at all


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert code(tmp_path / "empty.xlsx") == "empty-file"


def test_random_bytes(tmp_path: Path) -> None:
    (tmp_path / "noise.xlsx").write_bytes(random.Random(1).randbytes(5000))
    exc = problem(tmp_path / "noise.xlsx")
    assert exc.issue.code == "not-a-spreadsheet" and "binary" in exc.issue.message


@pytest.mark.parametrize(
    ("content", "looks"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
        ("Work package;Status;Comment\nWP1;on track;fine\nWP2;delayed;staff\n".encode(), "CSV"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "PNG"),
        (b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
    ],
)
def test_other_formats_named_by_what_they_look_like(tmp_path: Path, content: bytes, looks: str) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(content)
    exc = problem(path)
    assert exc.issue.code == "not-a-spreadsheet" and looks in exc.issue.message


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "photos.xlsx", "w") as z:
        z.writestr("readme.txt", "holiday pictures")
    assert code(tmp_path / "photos.xlsx") == "not-a-spreadsheet"


def test_opendocument_text_is_not_a_spreadsheet(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "letter.ods", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    exc = problem(tmp_path / "letter.ods")
    assert exc.issue.code == "not-a-spreadsheet" and "text" in exc.issue.message


def test_file_too_large_is_refused_before_reading(template: Path) -> None:
    exc = problem(template, Limits(max_file_bytes=1000))
    assert exc.issue.code == "file-too-large"


# --------------------------------------------------------------------------- damaged zips


def test_truncated_xlsx(template: Path, tmp_path: Path) -> None:
    data = template.read_bytes()
    (tmp_path / "half.xlsx").write_bytes(data[: len(data) // 2])
    assert code(tmp_path / "half.xlsx") == "corrupt-file"


def test_corrupted_entry_fails_its_crc(template: Path, tmp_path: Path) -> None:
    src = rezip(template, tmp_path / "stored.xlsx", method=zipfile.ZIP_STORED)
    data = src.read_bytes()
    assert data.count(b"<sheetData>") >= 1
    (tmp_path / "crc.xlsx").write_bytes(data.replace(b"<sheetData>", b"<sheetDatb>", 1))  # same length, wrong CRC
    exc = problem(tmp_path / "crc.xlsx")
    assert exc.issue.code == "corrupt-file" and "CRC" in exc.issue.message


def _declare_size(data: bytes, name: str, delta: int) -> bytes:
    """Change the uncompressed size an entry declares, in its local header and the central directory."""
    out = bytearray(data)
    raw = name.encode()
    local = out.find(b"PK\x03\x04")
    while local != -1:
        nlen = struct.unpack_from("<H", out, local + 26)[0]
        if out[local + 30 : local + 30 + nlen] == raw:
            struct.pack_into("<I", out, local + 22, struct.unpack_from("<I", out, local + 22)[0] + delta)
            break
        local = out.find(b"PK\x03\x04", local + 4)
    central = out.find(b"PK\x01\x02")
    while central != -1:
        nlen = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + nlen] == raw:
            struct.pack_into("<I", out, central + 24, struct.unpack_from("<I", out, central + 24)[0] + delta)
            return bytes(out)
        central = out.find(b"PK\x01\x02", central + 4)
    raise AssertionError(f"{name} not found")


@pytest.mark.parametrize("delta", [-2000, +2000])
def test_zip_entry_lying_about_its_size(template: Path, tmp_path: Path, delta: int) -> None:
    path = tmp_path / f"lying{delta}.xlsx"
    path.write_bytes(_declare_size(template.read_bytes(), SHEET1, delta))
    exc = problem(path)
    assert exc.issue.code == "corrupt-file" and SHEET1 in exc.issue.message


def _record(data: bytes, name: str, signature: bytes, length_at: int, name_at: int) -> int:
    """Where the zip record with ``signature`` naming the entry starts (its name's length and the name at those offsets)."""
    raw = name.encode()
    at = data.find(signature)
    while at != -1:
        nlen = struct.unpack_from("<H", data, at + length_at)[0]
        if data[at + name_at : at + name_at + nlen] == raw:
            return at
        at = data.find(signature, at + 4)
    raise AssertionError(f"{name} not found")


def _local_header(data: bytes, name: str) -> int:
    """Where the local file header of an entry starts (the first one carrying that name)."""
    return _record(data, name, b"PK\x03\x04", 26, 30)


def _central_entry(data: bytes, name: str) -> int:
    return _record(data, name, b"PK\x01\x02", 28, 46)


def _patched(src: Path, dst: Path, name: str, local: dict[int, bytes], central: dict[int, bytes] | None = None) -> Path:
    """A copy of a zip with bytes overwritten at offsets into one entry's local header (and central directory entry)."""
    data = bytearray(src.read_bytes())
    for where, patches in ((_local_header(data, name), local), (_central_entry(data, name), central or {})):
        for offset, raw in patches.items():
            data[where + offset : where + offset + len(raw)] = raw
    dst.write_bytes(bytes(data))
    return dst


def test_local_header_naming_another_part(template: Path, tmp_path: Path) -> None:
    """The central directory is what the checks read; a local header that disagrees with it is a damaged file."""
    src = _patched(template, tmp_path / "renamed.xlsx", SHEET1, {30: b"xl/worksheets/sheetX.xml"})
    exc = problem(src)
    assert exc.issue.code == "corrupt-file" and SHEET1 in exc.issue.message and "differ" in exc.issue.message


def test_local_header_with_a_bad_signature(template: Path, tmp_path: Path) -> None:
    src = _patched(template, tmp_path / "magic.xlsx", SHEET1, {0: b"PK\x07\x08"})
    exc = problem(src)
    assert exc.issue.code == "corrupt-file" and SHEET1 in exc.issue.message and "magic number" in exc.issue.message


def test_local_header_lying_about_sizes_is_not_read(template: Path, tmp_path: Path) -> None:
    """Sizes and CRC are taken from the central directory, as zipfile does: the local header's are not looked at."""
    src = _patched(template, tmp_path / "local.xlsx", SHEET1, {14: struct.pack("<III", 0, 1, 0xFFFFFFFF)})
    opened = open_file(src)
    assert opened.sheets["Start"] == open_file(template).sheets["Start"]


def test_deflated_part_failing_its_crc(template: Path, tmp_path: Path) -> None:
    crc = struct.pack("<I", zipfile.ZipFile(template).getinfo(SHEET1).CRC ^ 1)
    src = _patched(template, tmp_path / "crc.xlsx", SHEET1, {14: crc}, {16: crc})
    exc = problem(src)
    assert exc.issue.code == "corrupt-file" and "CRC" in exc.issue.message and SHEET1 in exc.issue.message


def test_damaged_deflate_data(template: Path, tmp_path: Path) -> None:
    data = bytearray(template.read_bytes())
    start = _local_header(data, SHEET1) + 30 + len(SHEET1)
    data[start : start + 40] = b"\xff" * 40  # no valid deflate block starts like this
    (tmp_path / "inflate.xlsx").write_bytes(bytes(data))
    exc = problem(tmp_path / "inflate.xlsx")
    assert exc.issue.code == "corrupt-file" and SHEET1 in exc.issue.message


def test_unknown_compression_method(template: Path, tmp_path: Path) -> None:
    method = struct.pack("<H", 99)
    src = _patched(template, tmp_path / "method.xlsx", SHEET1, {8: method}, {10: method})
    exc = problem(src)
    assert exc.issue.code == "corrupt-file" and SHEET1 in exc.issue.message and "compression method" in exc.issue.message


def test_stored_parts_read_like_deflated_ones(template: Path, tmp_path: Path) -> None:
    stored = open_file(rezip(template, tmp_path / "stored.xlsx", method=zipfile.ZIP_STORED))
    assert all(i.compress_type == zipfile.ZIP_STORED for i in zipfile.ZipFile(tmp_path / "stored.xlsx").infolist())
    deflated = open_file(template)
    assert (stored.sheets, stored.tables, stored.visibility) == (deflated.sheets, deflated.tables, deflated.visibility)


class _Unseekable(io.RawIOBase):
    """A write-only stream without tell/seek: zipfile then writes each entry's sizes in a data descriptor."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.data += b
        return len(b)


def test_parts_with_data_descriptors(template: Path, tmp_path: Path) -> None:
    out = _Unseekable()
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    (tmp_path / "streamed.xlsx").write_bytes(bytes(out.data))
    assert all(i.flag_bits & 0x08 for i in zipfile.ZipFile(tmp_path / "streamed.xlsx").infolist())
    assert open_file(tmp_path / "streamed.xlsx").sheets == open_file(template).sheets


@pytest.mark.parametrize("padding", [300 << 10, 5 << 20])  # more than one read, and more than a part read in one go
def test_stray_cell_after_a_long_sheet(template: Path, tmp_path: Path, padding: int) -> None:
    src = with_cells(template, tmp_path / "long.xlsx", b'<row r="2"><c r="Z2"><v>1</v></c></row>' + b" " * padding + b'<row r="9000"><c r="B9000"><v>1</v></c></row>')
    exc = problem(src, Limits(max_ratio=100_000))
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Start", "B9000")


# --------------------------------------------------------------------------- zip bombs and XML attacks


def test_zip_bomb_by_total_size(template: Path, tmp_path: Path) -> None:
    bomb = b"<sheetData>" + b" " * (8 << 20) + b"</sheetData>"
    src = rezip(template, tmp_path / "bomb.xlsx", add={"xl/worksheets/sheet99.xml": bomb})
    assert src.stat().st_size < 100_000
    assert code(src, Limits(max_unpacked_bytes=4 << 20)) == "zip-bomb"


def test_zip_bomb_by_ratio(template: Path, tmp_path: Path) -> None:
    src = with_cells(template, tmp_path / "ratio.xlsx", b" " * (3 << 20))
    exc = problem(src, Limits(ratio_min_bytes=1 << 20))
    assert exc.issue.code == "zip-bomb" and SHEET1 in exc.issue.message


def test_zip_bomb_by_entry_count(template: Path, tmp_path: Path) -> None:
    src = rezip(template, tmp_path / "many.xlsx", add={f"xl/media/x{i}.txt": b"" for i in range(60)})
    assert code(src, Limits(max_entries=50)) == "zip-bomb"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>\n"
)


def test_billion_laughs_in_sheet_xml(template: Path, tmp_path: Path) -> None:
    xml = part(template, SHEET1).split(b"\n", 1)[1]
    xml = BILLION_LAUGHS + xml.replace(b"</sheetData>", b'<row r="99"><c r="A99" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>')
    assert code(rezip(template, tmp_path / "lol.xlsx", {SHEET1: xml})) == "xml-entities"


def test_xxe_in_shared_strings(template: Path, tmp_path: Path) -> None:
    xml = part(template, "xl/sharedStrings.xml").split(b"\n", 1)[1]
    xml = b'<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + xml.replace(b"<t>", b"<t>&xxe;", 1)
    assert code(rezip(template, tmp_path / "xxe.xlsx", {"xl/sharedStrings.xml": xml})) == "xml-entities"


def test_entity_declaration_in_utf16_part(template: Path, tmp_path: Path) -> None:
    text = part(template, "xl/styles.xml").decode().split("\n", 1)[1]
    xml = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n' + text).encode("utf-16")
    assert code(rezip(template, tmp_path / "utf16.xlsx", {"xl/styles.xml": xml})) == "xml-entities"


# --------------------------------------------------------------------------- OLE containers


def test_encrypted_ole_container_built_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(cfb({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": os.urandom(600)}))
    assert code(path) == "encrypted-file"


def test_xlsx_encrypted_with_a_password(template: Path, tmp_path: Path) -> None:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")  # msoffcrypto-tool comes with the test extra (oletools)
    out = io.BytesIO()
    with template.open("rb") as f:
        ooxml.OOXMLFile(f).encrypt("secret", out)
    (tmp_path / "locked.xlsx").write_bytes(out.getvalue())
    assert code(tmp_path / "locked.xlsx") == "encrypted-file"


def test_ods_saved_with_a_password_by_libreoffice(template: Path, tmp_path: Path) -> None:
    """LibreOffice's Save with password encrypts the parts of the .ods, not the zip: the manifest says so."""
    require_soffice()
    locked = tmp_path / "locked.ods"
    fill_with_libreoffice(template, [], [locked], password="secret")
    assert b"encryption-data" in part(locked, "META-INF/manifest.xml")
    assert part(locked, "mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    assert code(locked) == "encrypted-file"


def test_ole_container_of_a_word_document(tmp_path: Path) -> None:
    (tmp_path / "report.xls").write_bytes(cfb({"WordDocument": b"\xec\xa5" + b"\0" * 100}))
    exc = problem(tmp_path / "report.xls")
    assert exc.issue.code == "not-a-spreadsheet" and "Word" in exc.issue.message


def test_damaged_ole_container(tmp_path: Path) -> None:
    (tmp_path / "broken.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 700)
    assert code(tmp_path / "broken.xls") == "corrupt-file"


def test_ole_with_a_workbook_stream_that_is_garbage(tmp_path: Path) -> None:
    (tmp_path / "old.xls").write_bytes(cfb({"Workbook": os.urandom(5000)}))
    assert code(tmp_path / "old.xls") == "corrupt-file"


# --------------------------------------------------------------------------- stray cells


def _openpyxl_far_cell(path: Path, ref: str) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Report"
    ws["A1"] = "Work package"
    ws["B2"] = 12.5
    ws[ref] = "oops"
    wb.save(path)
    return path


def test_value_in_the_last_cell_of_the_sheet(tmp_path: Path) -> None:
    path = _openpyxl_far_cell(tmp_path / "ctrl_end.xlsx", "XFD1048576")
    assert path.stat().st_size < 20_000
    exc = problem(path)
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Report", "XFD1048576")


def test_sheet_reaching_row_one_million(tmp_path: Path) -> None:
    exc = problem(_openpyxl_far_cell(tmp_path / "deep.xlsx", "A1000000"))
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Report", "A1000000")


def test_stray_cell_in_a_template_despite_its_dimension(template: Path, tmp_path: Path) -> None:
    src = with_cells(template, tmp_path / "far.xlsx", b'<row r="70000"><c r="B70000"><v>1</v></c><c r="KZ70000"/></row>')
    assert b'<dimension ref="A1:' in part(src, SHEET1)  # the dimension still says the sheet is small
    exc = problem(src)
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Start", "B70000")  # KZ70000 is empty


def test_rows_and_cells_without_references_are_counted(template: Path, tmp_path: Path) -> None:
    xml = part(template, "xl/worksheets/sheet7.xml")  # Lists: A1:A14
    start, end = xml.index(b"<sheetData>"), xml.index(b"</sheetData>")
    rows = b"".join(b"<row><c><v>%d</v></c><c/><c><v>2</v></c></row>" % i for i in range(30))
    src = rezip(template, tmp_path / "norefs.xlsx", {"xl/worksheets/sheet7.xml": xml[:start] + b"<sheetData>" + rows + xml[end:]})
    exc = problem(src, Limits(max_rows=29, max_cols=25))  # the other sheets of the template fit in 25 x 25
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Lists", "C30")
    assert open_file(src, Limits(max_rows=30, max_cols=25)).sheets["Lists"][29] == [29, "", 2]


def test_prefixed_sheet_xml_is_scanned_too(template: Path, tmp_path: Path) -> None:
    src = with_cells(template, tmp_path / "prefixed.xlsx", b'<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="9000"><x:c r="A9000"><x:v>1</x:v></x:c></x:row>')
    exc = problem(src)
    assert (exc.issue.code, exc.issue.cell) == ("stray-cell", "A9000")


@pytest.mark.parametrize("cell", [b'<c\tr="B9000"><v>1</v></c>', b'<c t="n" r="B9000"><v>1</v></c>', b'<c\n r="B9000"><v>1</v></c>'])
def test_a_stray_cell_written_unusually_is_found(template: Path, tmp_path: Path, cell: bytes) -> None:
    """Other whitespace or another attribute before the reference is still XML a reader takes."""
    src = with_cells(template, tmp_path / "odd.xlsx", b'<row r="9000">' + cell + b"</row>")
    exc = problem(src)
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Start", "B9000")


def _ods(path: Path, rows: bytes, name: str = "Report") -> Path:
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        b'<office:body><office:spreadsheet><table:table table:name="' + name.encode() + b'">' + rows
        + b"</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        b'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


ODS_ROW = b'<table:table-row><table:table-cell office:value-type="string"><text:p>WP1</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1022"/></table:table-row>'


def test_hand_made_ods_opens(tmp_path: Path) -> None:
    src = _ods(tmp_path / "small.ods", ODS_ROW + b'<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    opened = open_file(src)
    assert opened.format == "ods" and opened.sheets["Report"][0][:2] == ["WP1", 3.0] and opened.tables == {}


def test_ods_repeated_content_far_away_is_a_stray_cell(tmp_path: Path) -> None:
    far = b'<table:table-row table:number-rows-repeated="999998"><table:table-cell table:number-columns-repeated="3"/></table:table-row>'
    far += b'<table:table-row><table:table-cell table:number-columns-repeated="700"/><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="2"/></table:table-row>'
    exc = problem(_ods(tmp_path / "far.ods", ODS_ROW + far))
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Report", "ZZ1000000")


# --------------------------------------------------------------------------- LibreOffice formats


@pytest.fixture(scope="session")
def legacy_xls(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Saved as .xls by LibreOffice, in one run: the template, and a sheet with a stray cell at C60000."""
    folder = tmp_path_factory.mktemp("lo")
    far = _openpyxl_far_cell(folder / "far_xls.xlsx", "C60000")
    xls, far_xls = saved_by_libreoffice([template, far], "xls", folder / "xls")
    return {"template": xls, "far": far_xls}


def test_legacy_xls_from_libreoffice(legacy_xls: dict[str, Path]) -> None:
    xls = legacy_xls["template"]
    assert xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    opened = open_file(xls)
    assert opened.format == "xls" and opened.tables == {}
    assert opened.sheets["Progress"][3][0] == "Work package"
    assert opened.visibility["_nc_meta"] in ("hidden", "veryhidden")


def test_ods_from_libreoffice(template: Path, tmp_path: Path) -> None:
    [ods] = saved_by_libreoffice([template], "ods", tmp_path)
    opened = open_file(ods)
    assert opened.format == "ods"
    assert opened.sheets["Progress"][3][0] == "Work package"
    assert "_nc_meta" in opened.sheets


def test_xls_renamed_to_xlsx_is_read_by_its_bytes(legacy_xls: dict[str, Path], tmp_path: Path) -> None:
    renamed = tmp_path / "report.xlsx"
    shutil.copy(legacy_xls["template"], renamed)
    assert open_file(renamed).format == "xls"


# --------------------------------------------------------------------------- worker processes


def test_reader_abort_in_a_worker_spares_the_next_file(template: Path, tmp_path: Path) -> None:
    """With limits loose enough to pass the scan, calamine aborts on XFD1048576 (exit 134):
    the worker dies, the file is reader-crashed, the file after it opens, and so do we."""
    far = _openpyxl_far_cell(tmp_path / "abort.xlsx", "XFD1048576")
    far2 = shutil.copy(far, tmp_path / "abort2.xlsx")
    good = [shutil.copy(template, tmp_path / f"good{i}.xlsx") for i in range(3)]
    loose = Limits(max_rows=2_000_000, max_cols=20_000)
    seen: list[tuple[int, int, str]] = []
    paths = [far, good[0], far2, good[1], good[2]]
    results = dict(open_files(paths, loose, workers=2, progress=lambda d, t, n: seen.append((d, t, n))))
    assert set(results) == set(paths)
    for crashed in (results[far], results[far2]):
        assert isinstance(crashed, FileProblem) and crashed.issue.code == "reader-crashed"
        assert "SIGABRT" in crashed.issue.message or "memory" in crashed.issue.message
    assert all(isinstance(results[g], OpenedFile) for g in good)
    assert [d for d, _, _ in seen] == [1, 2, 3, 4, 5] and {t for _, t, _ in seen} == {5}


def test_memory_limit_is_reader_crashed_and_the_call_goes_on(template: Path, tmp_path: Path) -> None:
    """A cell at GR40000 is within these limits, but its dense grid (eight million cells) does
    not fit in 256 MiB: the worker dies or runs out of memory, the next file still opens.

    (The limit leaves room for what a worker inherits: under the ``pytest`` script the
    workers carry pytest and its plugins, some 100 MiB of address space.)"""
    big = with_cells(template, tmp_path / "big.xlsx", b'<row r="40000"><c r="GR40000"><v>1</v></c></row>')
    roomy = Limits(max_rows=50_000, memory_bytes=4 << 30)
    assert isinstance(open_file(big, roomy), OpenedFile)  # fine with room enough
    results = dict(open_files([big, template], Limits(max_rows=50_000, memory_bytes=256 << 20), workers=2))
    assert isinstance(results[big], FileProblem) and results[big].issue.code == "reader-crashed"
    assert isinstance(results[template], OpenedFile) and set(results[template].tables) == TABLES


def _hang_on_slow_files(opened: OpenedFile) -> OpenedFile:
    """A ``then`` hook (run in the worker) that sleeps on files named slow*: RLIMIT_CPU never fires."""
    if opened.path.name.startswith("slow"):
        time.sleep(600)
    return opened


def test_a_worker_that_hangs_is_stopped_by_the_wall_clock(template: Path, tmp_path: Path) -> None:
    slow = shutil.copy(template, tmp_path / "slow.xlsx")
    good = [shutil.copy(template, tmp_path / f"good{i}.xlsx") for i in range(3)]
    limits = Limits(wall_seconds=2)
    started = time.monotonic()
    results = dict(open_files([good[0], slow, good[1], good[2]], limits, workers=2, then=_hang_on_slow_files))
    assert time.monotonic() - started < 30
    assert set(results) == {slow, *good}
    crashed = results[slow]
    assert isinstance(crashed, FileProblem) and crashed.issue.code == "reader-crashed"
    assert crashed.issue.level == "file" and crashed.issue.cell is None and crashed.issue.file == "slow.xlsx"
    assert "took longer than 2 s" in crashed.issue.message
    assert all(isinstance(results[g], OpenedFile) and set(results[g].tables) == TABLES for g in good)


_IMPORTED = time.monotonic()
"""In a worker: when it started (it imports this module to run the hook below)."""


def _worker_started(opened: OpenedFile) -> float:
    """A ``then`` hook that tells when the worker process that read the file started."""
    return _IMPORTED


def test_the_reads_of_a_command_share_their_workers(template: Path, tmp_path: Path) -> None:
    """Starting workers costs more than reading a few files, and a command reads many times (the inbox,
    the earlier returns, the archive): the workers started by the first read are reused by the next."""
    list(open_files([template] * 4, then=_worker_started))
    between = time.monotonic()
    # one file: the pool starts its workers as files wait for one, so the first read may have
    # needed only one worker (a fast one reads all four) and a second file would start the other
    again = [started for _, started in open_files([template], then=_worker_started)]
    assert all(started < between for started in again)  # a worker of the first read
    other = [started for _, started in open_files([template], Limits(max_rows=4000), then=_worker_started)]
    assert all(started > between for started in other)  # other limits: workers of their own


def test_a_read_stopped_early_leaves_no_worker_busy(template: Path, tmp_path: Path) -> None:
    """A caller that stops reading halfway (an exception in its loop) does not leave the next read
    waiting behind files nobody wants: the next call reads at once."""
    slow = shutil.copy(template, tmp_path / "slow.xlsx")
    limits = Limits(wall_seconds=60)
    reads = open_files([template, slow, slow], limits, then=_hang_on_slow_files)
    next(reads)
    reads.close()
    started = time.monotonic()
    assert [type(r) for _, r in open_files([template], limits, then=_hang_on_slow_files)] == [OpenedFile]
    assert time.monotonic() - started < 20


def test_open_files_mixes_good_and_bad(template: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.xlsx").write_bytes(b"")
    far = _openpyxl_far_cell(tmp_path / "far.xlsx", "XFD1048576")
    paths = [template, tmp_path / "empty.xlsx", far, tmp_path / "missing.xlsx", template]
    results = list(open_files(paths))
    assert len(results) == 5
    codes = {p.name: (r.issue.code if isinstance(r, FileProblem) else "ok") for p, r in results}
    assert codes == {template.name: "ok", "empty.xlsx": "empty-file", "far.xlsx": "stray-cell", "missing.xlsx": "unreadable-file"}


def test_stray_cell_found_even_without_workbook_rels(template: Path, tmp_path: Path) -> None:
    src = with_cells(template, tmp_path / "norels.xlsx", b'<row r="6000"><c r="A6000"><v>1</v></c></row>')
    src = rezip(src, tmp_path / "norels2.xlsx", {"xl/_rels/workbook.xml.rels": None})
    exc = problem(src)
    assert (exc.issue.code, exc.issue.cell) == ("stray-cell", "A6000")


def test_stray_cell_in_a_legacy_xls(legacy_xls: dict[str, Path]) -> None:
    """No pre-scan reads BIFF: the worker checks the extent calamine found (an .xls has at most 65,536 rows)."""
    exc = problem(legacy_xls["far"])
    assert (exc.issue.code, exc.issue.sheet, exc.issue.cell) == ("stray-cell", "Report", "C60000")
