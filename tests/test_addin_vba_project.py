"""The VBA project inside the built add-in, read back with oletools and olefile."""

from __future__ import annotations

import io
import re
from importlib import metadata
from pathlib import Path

import olefile
import pytest
from addin_helpers import (
    MACROS,
    XLWINGS,
    class_module_names,
    expected_sources,
    module_attribute_lines,
    modules_read_back,
    sources_via_olevba,
    vba_bin_of,
)
from oletools.olevba import decompress_stream

from nc_excel.addin import AddinError, build_addin
from nc_excel.addin.build import addin_bytes
from nc_excel.addin.vba_modules import to_stored_source, with_class_attributes

CLASS_BASE = 'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"'
EXCEL_SAVED_XLWINGS_ADDIN = XLWINGS / "addin" / "xlwings.xlam"
"""xlwings' own add-in, saved by Excel: its Dictionary class is stored as Excel stores one."""


@pytest.fixture(scope="module")
def xlsm() -> bytes:
    return addin_bytes("xlsm")


@pytest.fixture(scope="module")
def vba_bin(xlsm: bytes) -> bytes:
    return vba_bin_of(xlsm)


@pytest.fixture(scope="module")
def built_files(tmp_path_factory) -> dict[str, Path]:
    """The .xlam and .xlsm as nc-excel addin build writes them, on disk."""
    xlam, xlsm = build_addin(tmp_path_factory.mktemp("built") / "NorthernConnections.xlam")
    return {"xlam": xlam, "xlsm": xlsm}


def test_every_module_reads_back_byte_for_byte(vba_bin):
    assert modules_read_back(vba_bin) == expected_sources()


def test_olevba_public_api_sees_the_same_sources(tmp_path, xlsm):
    path = tmp_path / "NorthernConnections.xlsm"
    path.write_bytes(xlsm)
    found = sources_via_olevba(path)
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


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_every_class_module_carries_excels_class_attributes_once(built_files, kind):
    path = built_files[kind]
    classes = class_module_names(vba_bin_of(path.read_bytes()))
    assert "Dictionary" in classes
    sources = sources_via_olevba(path)
    for name in classes:
        header = module_attribute_lines(sources[name])
        for attribute in ("VB_Base", "VB_TemplateDerived", "VB_Customizable"):
            found = [line for line in header if line.startswith(f"Attribute {attribute} = ")]
            assert len(found) == 1, f"{name}: {attribute} {len(found)} times in {header}"
            assert sources[name].count(f"Attribute {attribute} = ") == 1, f"{name}: {attribute} repeated below"
    dictionary = module_attribute_lines(sources["Dictionary"])
    assert CLASS_BASE in dictionary
    assert "Attribute VB_TemplateDerived = False" in dictionary
    assert "Attribute VB_Customizable = False" in dictionary


def test_dictionary_attributes_are_the_ones_excel_saved_in_xlwings_addin(built_files):
    ours = module_attribute_lines(sources_via_olevba(built_files["xlam"])["Dictionary"])
    excels = module_attribute_lines(sources_via_olevba(EXCEL_SAVED_XLWINGS_ADDIN)["Dictionary"])
    assert ours == excels
    assert [line.split(" = ")[0] for line in ours] == [
        "Attribute VB_Name", "Attribute VB_Base", "Attribute VB_GlobalNameSpace", "Attribute VB_Creatable",
        "Attribute VB_PredeclaredId", "Attribute VB_Exposed", "Attribute VB_TemplateDerived",
        "Attribute VB_Customizable", "Attribute VB_Description",
    ]


def test_a_bare_class_gets_excels_attributes_for_a_new_class_module():
    source = b'Attribute VB_Name = "Counter"\r\nOption Explicit\r\nPublic Count As Long\r\n'
    assert with_class_attributes(source, "Counter.cls").decode("cp1252").split("\r\n") == [
        'Attribute VB_Name = "Counter"',
        CLASS_BASE,
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = False",
        "Attribute VB_Exposed = False",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = False",
        "Option Explicit",
        "Public Count As Long",
        "",
    ]


def test_class_attributes_already_present_keep_their_values_and_are_not_repeated():
    source = (
        'Attribute VB_Name = "Factory"\r\nAttribute VB_PredeclaredId = True\r\n'
        'Attribute VB_Customizable = False\r\nAttribute VB_Description = "Makes things"\r\n'
        "Public Property Get Item() As Long\r\nAttribute Item.VB_UserMemId = 0\r\nEnd Property\r\n"
    ).encode("cp1252")
    lines = with_class_attributes(source, "Factory.cls").decode("cp1252").split("\r\n")
    assert lines[:9] == [
        'Attribute VB_Name = "Factory"',
        CLASS_BASE,
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = False",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = False",
        'Attribute VB_Description = "Makes things"',
    ]
    assert lines[9:] == ["Public Property Get Item() As Long", "Attribute Item.VB_UserMemId = 0", "End Property", ""]


def test_a_class_as_excel_saved_it_is_left_unchanged():
    saved = sources_via_olevba(EXCEL_SAVED_XLWINGS_ADDIN)["Dictionary"].encode("cp1252")
    assert with_class_attributes(saved, "Dictionary") == saved


def test_a_class_that_sets_an_attribute_twice_is_refused():
    source = b'Attribute VB_Name = "X"\r\nAttribute VB_Exposed = False\r\nAttribute VB_Exposed = True\r\n'
    with pytest.raises(AddinError, match=r"X\.cls sets Attribute VB_Exposed 2 times"):
        with_class_attributes(source, "X.cls")


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
