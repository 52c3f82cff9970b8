"""The VBA project inside the built add-in, read back with oletools and olefile."""

from __future__ import annotations

import io
import re
from importlib import metadata

import olefile
import pytest
from addin_helpers import MACROS, expected_sources, modules_read_back, vba_bin_of
from oletools.olevba import VBA_Parser, decompress_stream

from nc_excel.addin import AddinError
from nc_excel.addin.build import addin_bytes
from nc_excel.addin.vba_modules import to_stored_source


@pytest.fixture(scope="module")
def xlsm() -> bytes:
    return addin_bytes("xlsm")


@pytest.fixture(scope="module")
def vba_bin(xlsm: bytes) -> bytes:
    return vba_bin_of(xlsm)


def test_every_module_reads_back_byte_for_byte(vba_bin):
    assert modules_read_back(vba_bin) == expected_sources()


def test_olevba_public_api_sees_the_same_sources(tmp_path, xlsm):
    path = tmp_path / "NorthernConnections.xlsm"
    path.write_bytes(xlsm)
    parser = VBA_Parser(str(path))
    try:
        found = {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()
    expected = {name: source.decode("cp1252") for name, source in expected_sources().items()}
    assert found == expected


def test_xlwings_module_matches_the_installed_xlwings(vba_bin):
    source = modules_read_back(vba_bin)["xlwings"].decode("cp1252")
    version = metadata.version("xlwings")
    assert f'XLWINGS_VERSION As String = "{version}"' in source
    assert f"xlwings64-{version}.dll" in source
    assert re.findall(r'PROJECT_NAME As String = "([^"]*)"', source) == ["nc_excel"]


def test_project_is_source_only(vba_bin):
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000300")
    streams = sorted("/".join(path) for path in ole.listdir())
    assert streams == [
        "PROJECT", "PROJECTwm", "VBA/Dictionary", "VBA/NCRibbon", "VBA/Sheet1",
        "VBA/ThisWorkbook", "VBA/_VBA_PROJECT", "VBA/dir", "VBA/xlwings",
    ]
    for module in ("Dictionary", "NCRibbon", "Sheet1", "ThisWorkbook", "xlwings"):
        # MODULEOFFSET 0: the stream starts with the compressed source itself.
        assert ole.openstream(f"VBA/{module}").read()[:1] == b"\x01"


def test_project_stream_lists_modules_and_protection_records(vba_bin):
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    text = ole.openstream("PROJECT").read().decode("cp1252")
    lines = text.split("\r\n")
    assert re.fullmatch(r'ID="\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}"', lines[0])
    assert lines[1:6] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Module=NCRibbon",
        "Module=xlwings",
        "Class=Dictionary",
    ]
    assert 'Name="NorthernConnections"' in lines
    for key in ("CMG", "DPB", "GC"):
        assert any(re.fullmatch(rf'{key}="[0-9A-F]+"', line) for line in lines), key
    assert "[Host Extender Info]" in lines
    wm = ole.openstream("PROJECTwm").read()
    assert b"NCRibbon\x00" + "NCRibbon".encode("utf-16-le") + b"\x00\x00" in wm


def test_dir_stream_has_code_page_1252_and_references_stdole_and_office(vba_bin):
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    directory = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    assert directory[:6] == b"\x01\x00\x04\x00\x00\x00"  # PROJECTSYSKIND first
    assert b"\x03\x00\x02\x00\x00\x00\xe4\x04" in directory  # PROJECTCODEPAGE 1252
    assert b"{00020430-0000-0000-C000-000000000046}" in directory  # stdole
    assert b"{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}" in directory  # Office: IRibbonControl
    assert directory.endswith(b"\x10\x00\x00\x00\x00\x00")


def test_document_modules_carry_excels_vb_base_guids(vba_bin):
    modules = modules_read_back(vba_bin)
    assert b'VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in modules["ThisWorkbook"]
    assert b'VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in modules["Sheet1"]


@pytest.mark.parametrize("path", sorted(MACROS.glob("*.bas")) + sorted(MACROS.glob("*.cls")), ids=lambda p: p.name)
def test_macro_files_keep_crlf_line_ends(path):
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b""), f"{path.name} must use CRLF line ends, as VBA stores them"


def test_text_that_is_not_cp1252_is_refused_with_file_and_line():
    source = 'Attribute VB_Name = "X"\r\n\' Zürich → Oslo\r\n'.encode("utf-8")
    with pytest.raises(AddinError, match=r"X\.bas, line 2: the character '→'.*Windows-1252"):
        to_stored_source(source, "X.bas")


def test_utf8_text_that_fits_cp1252_is_stored_in_cp1252_with_crlf():
    source = 'Attribute VB_Name = "X"\n\' Zürich\n'.encode("utf-8")
    assert to_stored_source(source, "X.bas") == 'Attribute VB_Name = "X"\r\n\' Zürich\r\n'.encode("cp1252")
