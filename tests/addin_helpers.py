"""Helpers for the add-in tests: read a built add-in back with independent tools.

Everything here reads with oletools/olefile/zipfile, never with our writer's
code, so a bug in the writer cannot hide itself.
"""

from __future__ import annotations

import io
import zipfile
from importlib import resources
from pathlib import Path

import olefile
from oletools.olevba import VBA_Parser, VBA_Project

REPO = Path(__file__).resolve().parents[1]
MACROS = REPO / "nc_excel" / "addin" / "macros"
XLWINGS = Path(str(resources.files("xlwings")))

CLASS_HEADER = b"VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"
CLASS_BASE = b'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"\r\n'
"""The VB_Base line Excel stores in a class module (VBA's class base type)."""


def vba_bin_of(package: bytes) -> bytes:
    """The xl/vbaProject.bin part of a workbook package."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return archive.read("xl/vbaProject.bin")


def modules_read_back(vba_bin: bytes) -> dict[str, bytes]:
    """Module name -> source bytes, as oletools decompresses them (strict parsing)."""
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    try:
        project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
        project.parse_project_stream()
        list(project.parse_modules())
        return {module.name: bytes(module.code_raw) for module in project.modules}
    finally:
        ole.close()


def class_module_names(vba_bin: bytes) -> list[str]:
    """The modules the PROJECT stream lists as class modules (``Class=`` lines).

    olevba names document and class modules alike ``.cls``; only the PROJECT
    stream tells them apart (MS-OVBA 2.3.1, ProjectClassModule).
    """
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    try:
        lines = ole.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    finally:
        ole.close()
    return [line.removeprefix("Class=") for line in lines if line.startswith("Class=")]


def sources_via_olevba(path: Path) -> dict[str, str]:
    """Module name -> source, as olevba's public API extracts it from a workbook file."""
    parser = VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def module_attribute_lines(source: str) -> list[str]:
    """The module-level ``Attribute VB_...`` lines that open a stored source."""
    lines = []
    for line in source.split("\r\n"):
        if not line.startswith("Attribute VB_"):
            break
        lines.append(line)
    return lines


def expected_sources() -> dict[str, bytes]:
    """What each module's stored source must be, straight from the files on disk.

    Our own files as they are (a .cls without its VBE export header); the
    xlwings module as shipped by the installed xlwings, with only the
    PROJECT_NAME constant set to ours; xlwings' Dictionary class with the
    three attributes Excel adds to a class module on import (VB_Base,
    VB_TemplateDerived, VB_Customizable), where Excel puts them.
    """
    xlwings_bas = (XLWINGS / "xlwings_custom_addin.bas").read_bytes()
    xlwings_bas = xlwings_bas.replace(
        b'Public Const PROJECT_NAME As String = "myaddin"',
        b'Public Const PROJECT_NAME As String = "nc_excel"',
    )
    dictionary = (XLWINGS / "addin" / "Dictionary.cls").read_bytes()
    dictionary = dictionary.replace(
        b'Attribute VB_Name = "Dictionary"\r\n',
        b'Attribute VB_Name = "Dictionary"\r\n' + CLASS_BASE,
    ).replace(
        b"Attribute VB_Exposed = True\r\n",
        b"Attribute VB_Exposed = True\r\nAttribute VB_TemplateDerived = False\r\nAttribute VB_Customizable = False\r\n",
    )
    return {
        "ThisWorkbook": (MACROS / "ThisWorkbook.cls").read_bytes().removeprefix(CLASS_HEADER),
        "Sheet1": (MACROS / "Sheet1.cls").read_bytes().removeprefix(CLASS_HEADER),
        "NCRibbon": (MACROS / "NCRibbon.bas").read_bytes(),
        "xlwings": xlwings_bas,
        "Dictionary": dictionary.removeprefix(CLASS_HEADER),
    }
