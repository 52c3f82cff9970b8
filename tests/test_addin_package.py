"""The .xlam/.xlsm packages: parts, content types, relationships, reproducibility."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import pytest
from addin_helpers import REPO

from nc_excel.addin import AddinError, build_addin, install_addin
from nc_excel.addin.build import addin_bytes, default_addin_path
from nc_excel.addin.ribbon_xml import customui_xml

CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
OFFICE_DOCUMENT_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
MAIN_TYPES = {
    "xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    xlam, xlsm = build_addin(tmp_path_factory.mktemp("build") / "NorthernConnections.xlam")
    return {"xlam": xlam, "xlsm": xlsm}


def content_type_of(archive: zipfile.ZipFile, part: str) -> str:
    types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    for override in types.iter(f"{CT}Override"):
        if override.get("PartName") == "/" + part:
            return override.get("ContentType")
    extension = PurePosixPath(part).suffix.lstrip(".")
    for default in types.iter(f"{CT}Default"):
        if default.get("Extension") == extension:
            return default.get("ContentType")
    raise AssertionError(f"no content type for {part}")


def relationships(archive: zipfile.ZipFile, rels_part: str) -> dict[str, str]:
    root = ElementTree.fromstring(archive.read(rels_part))
    return {rel.get("Type"): rel.get("Target") for rel in root.iter(f"{REL}Relationship")}


def test_build_writes_xlam_and_xlsm_beside_it(built):
    assert built["xlam"].name == "NorthernConnections.xlam"
    assert built["xlsm"] == built["xlam"].with_suffix(".xlsm")


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_main_part_content_type_decides_add_in_or_workbook(built, kind):
    with zipfile.ZipFile(built[kind]) as archive:
        assert content_type_of(archive, "xl/workbook.xml") == MAIN_TYPES[kind]
        assert content_type_of(archive, "xl/vbaProject.bin") == "application/vnd.ms-office.vbaProject"


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_ribbon_part_is_reachable_from_the_root_relationships(built, kind):
    with zipfile.ZipFile(built[kind]) as archive:
        assert archive.testzip() is None
        root_rels = relationships(archive, "_rels/.rels")
        assert root_rels[RIBBON_REL] == "customUI/customUI14.xml"
        assert archive.read(root_rels[RIBBON_REL]) == customui_xml()
        assert content_type_of(archive, root_rels[RIBBON_REL]) in ("application/xml", "text/xml")
        assert root_rels[OFFICE_DOCUMENT_REL] == "xl/workbook.xml"
        assert relationships(archive, "xl/_rels/workbook.xml.rels")[VBA_REL] == "vbaProject.bin"
        ids = [r.get("Id") for r in ElementTree.fromstring(archive.read("_rels/.rels")).iter(f"{REL}Relationship")]
        assert len(ids) == len(set(ids))


def test_code_names_match_the_document_modules(built):
    with zipfile.ZipFile(built["xlam"]) as archive:
        assert b'codeName="ThisWorkbook"' in archive.read("xl/workbook.xml")
        assert b'codeName="Sheet1"' in archive.read("xl/worksheets/sheet1.xml")


def test_two_builds_are_byte_identical(tmp_path):
    first = build_addin(tmp_path / "a" / "NorthernConnections.xlam")
    second = build_addin(tmp_path / "b" / "NorthernConnections.xlam")
    for one, two in zip(first, second):
        assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_committed_workbook_equals_a_fresh_build(kind):
    committed = REPO / "workbooks" / f"NorthernConnections.{kind}"
    assert committed.is_file(), f"{committed} is missing: run nc-excel addin build and commit it"
    assert committed.read_bytes() == addin_bytes(kind), (
        f"{committed.name} differs from a fresh build (macros/, xlwings or the builder changed): "
        "run nc-excel addin build and commit workbooks/"
    )


def test_wrong_suffix_is_refused_with_a_hint(tmp_path):
    with pytest.raises(AddinError, match=r"must end in \.xlam"):
        build_addin(tmp_path / "NorthernConnections.xlsx")


@pytest.mark.parametrize(
    ("platform", "addin_folder", "config"),
    [
        ("win32", "AppData/Roaming/Microsoft/Excel/XLSTART", ".nc_excel/nc_excel.conf"),
        (
            "darwin",
            "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel",
            "Library/Containers/com.microsoft.Excel/Data/nc_excel.conf",
        ),
    ],
)
def test_install_puts_the_add_in_in_xlstart_and_sets_the_interpreter(tmp_path, platform, addin_folder, config):
    import sys

    settings = tmp_path / config
    settings.parent.mkdir(parents=True)
    settings.write_bytes(b'"PYTHONPATH","C:\\work"\r\n"INTERPRETER_WIN","old"\r\n"INTERPRETER_MAC","old"\r\n')
    result = install_addin(platform, tmp_path)
    assert result.installed
    assert result.path == tmp_path / addin_folder / "NorthernConnections.xlam"
    assert result.path.read_bytes() == addin_bytes("xlam")
    assert result.config_path == settings
    key = "INTERPRETER_WIN" if platform == "win32" else "INTERPRETER_MAC"
    lines = settings.read_bytes().decode("cp1252").splitlines()
    assert f'"{key}","{sys.executable}"' in lines
    assert '"PYTHONPATH","C:\\work"' in lines
    assert sum(line.startswith(f'"{key}"') for line in lines) == 1
    if platform == "darwin":
        assert list((tmp_path / "Library" / "Application Scripts" / "com.microsoft.Excel").glob("xlwings-*.applescript"))


def test_default_add_in_path_is_the_workbooks_folder_beside_the_code_that_runs():
    """From a checkout (an editable install) the checkout's workbooks/, from an installed package the package's."""
    import nc_excel

    package = Path(nc_excel.__file__).resolve().parent
    expected = REPO if package == REPO / "nc_excel" else package
    assert default_addin_path() == expected / "workbooks" / "NorthernConnections.xlam"


def test_install_on_linux_says_excel_is_not_available_and_where_the_file_is(tmp_path):
    # Built for a project in tmp_path: at the default path this would overwrite the committed
    # workbooks/ and make test_committed_workbook_equals_a_fresh_build pass on the
    # next run whatever was committed.
    target = tmp_path / "addin" / "NorthernConnections.xlam"
    result = install_addin("linux", project=tmp_path)
    assert not result.installed
    assert "not available" in result.message
    assert result.path == target
    assert str(result.path) in result.message
    assert result.path.read_bytes() == addin_bytes("xlam")
