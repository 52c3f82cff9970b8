"""The OOXML package of the add-in: workbook, VBA project and ribbon part.

XlsxWriter writes a clean macro workbook (``add_vba_project`` adds the part,
its relationship and content type; ``set_vba_name`` sets the code names that
match the document modules). XlsxWriter has no ribbon support, so the package
is then rewritten entry by entry: the ribbon part ``customUI/customUI14.xml``
and its root relationship are added and, for the add-in, the main part's
content type is changed. The workbook is never re-saved with openpyxl, which
drops the ribbon relationship without a word.

The output is deterministic: fixed document properties, fixed entry dates,
order and attributes, and entries stored uncompressed, since deflate output
may differ between zlib builds (Windows, Linux) and the committed add-in must
equal a fresh build on every machine.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from typing import Literal

import xlsxwriter

from nc_excel.addin.ribbon_xml import CUSTOMUI_PART, CUSTOMUI_RELATIONSHIP

PackageKind = Literal["xlam", "xlsm"]

MAIN_CONTENT_TYPES: dict[PackageKind, str] = {
    "xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
}
"""Content type of xl/workbook.xml: it alone makes Excel treat the file as an add-in."""

FIXED_TIMESTAMP = datetime(2025, 1, 1, tzinfo=timezone.utc)
"""Created/modified date written into docProps/core.xml, fixed for reproducible builds."""

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _workbook(vba_project: bytes, sheet_lines: list[str], title: str) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties(
        {
            "title": title,
            "subject": "Excel add-in of the nc-excel reporting tools",
            "author": "nc-excel",
            "company": "Northern Connections",
            "comments": "Built by nc-excel; the ribbon buttons run nc_excel.ribbon through xlwings.",
            "created": FIXED_TIMESTAMP,
        }
    )
    workbook.set_vba_name("ThisWorkbook")
    sheet = workbook.add_worksheet("Sheet1")
    sheet.set_vba_name("Sheet1")
    bold = workbook.add_format({"bold": True, "font_size": 14})
    sheet.set_column(0, 0, 100)
    for row, line in enumerate(sheet_lines):
        sheet.write_string(row, 0, line, bold if row == 0 else None)
    workbook.add_vba_project(io.BytesIO(vba_project), is_stream=True)
    workbook.close()
    return buffer.getvalue()


def _set_main_content_type(content_types: bytes, kind: PackageKind) -> bytes:
    text = content_types.decode("utf-8")
    pattern = re.compile(r'(<Override PartName="/xl/workbook.xml" ContentType=")[^"]+(")')
    text, count = pattern.subn(lambda m: m.group(1) + MAIN_CONTENT_TYPES[kind] + m.group(2), text)
    if count != 1:  # pragma: no cover - XlsxWriter always writes this override
        raise RuntimeError("XlsxWriter wrote no workbook content type override")
    return text.encode("utf-8")


def _add_ribbon_relationship(root_rels: bytes) -> bytes:
    text = root_rels.decode("utf-8")
    used = [int(n) for n in re.findall(r'Id="rId(\d+)"', text)]
    relationship = (
        f'<Relationship Id="rId{max(used, default=0) + 1}" '
        f'Type="{CUSTOMUI_RELATIONSHIP}" Target="{CUSTOMUI_PART}"/>'
    )
    return text.replace("</Relationships>", relationship + "</Relationships>").encode("utf-8")


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 0  # the default depends on the OS the build runs on
    info.external_attr = 0
    return info


def package(
    kind: PackageKind,
    vba_project: bytes,
    customui: bytes,
    sheet_lines: list[str],
    title: str,
) -> bytes:
    """The bytes of an .xlam or .xlsm holding this VBA project and ribbon."""
    source = zipfile.ZipFile(io.BytesIO(_workbook(vba_project, sheet_lines, title)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "[Content_Types].xml":
                data = _set_main_content_type(data, kind)
            elif name == "_rels/.rels":
                data = _add_ribbon_relationship(data)
            target.writestr(_zip_entry(name), data)
        target.writestr(_zip_entry(CUSTOMUI_PART), customui)
    return out.getvalue()
