"""Simulated partners: a sheet renamed through ``rename_sheet`` looks as if renamed in Excel.

Excel rewrites every reference to a renamed sheet; openpyxl alone only changes
the tab, which leaves #NAME? in LibreOffice and a repair prompt in Excel.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table
from sheet_refs import computed, error_cells, meta, missing_count_cell, still_naming

from nc_excel.partner.schema import template_name
from nc_excel.partner.simulate import fill_workbook, partner_entries, rename_sheet, save
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

OLD, NEW = "Progress", "Fremdrift"


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> tuple[Path, Path]:
    """AAR's return with one progress cell left empty, as filled in, and with Progress renamed."""
    folder = tmp_path_factory.mktemp("rename")
    template = demo_project.outbox(1) / template_name(demo_setup, 1, "AAR")
    entries = partner_entries(demo_setup, "AAR", 1)
    before = fill_workbook(template, folder / "before.xlsx", entries, demo_setup, overrides={(OLD, "E5"): None})
    wb = openpyxl.load_workbook(before)
    rename_sheet(wb, OLD, NEW)
    return before, save(wb, folder / "after.xlsx")


def test_no_formula_names_the_old_sheet(renamed: tuple[Path, Path]) -> None:
    before, after = renamed
    assert still_naming(before, OLD), "the template should refer to the Progress sheet, or this test proves nothing"
    assert openpyxl.load_workbook(after).sheetnames[1] == NEW
    assert still_naming(after, OLD) == []
    sheet, cell = missing_count_cell(after)
    count_before = openpyxl.load_workbook(before)[sheet][cell].value
    count_after = openpyxl.load_workbook(after)[sheet][cell].value
    assert count_after == count_before.replace(f"'{OLD}'!", f"{NEW}!")  # as Excel writes it: no quotes needed
    assert "'Fremdrift'!$4:$4" in dict(still_naming(after, NEW))["workbook.xml _xlnm.Print_Titles"]


def test_intake_sees_what_it_would_see_after_a_rename_in_excel(renamed: tuple[Path, Path]) -> None:
    before, after = renamed
    assert meta(after) == meta(before)  # the layout is cell text: Excel leaves it alone
    assert dict(openpyxl.load_workbook(after)[NEW].tables.items()) == {"Progress": "A4:G8"}  # tables keep their names


def test_no_stale_cached_value_is_left(renamed: tuple[Path, Path]) -> None:
    _, after = renamed
    sheet, cell = missing_count_cell(after)
    assert computed(after, sheet, cell) is None  # no result saved, so none that is stale...
    with zipfile.ZipFile(after) as archive:
        assert 'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml").decode()  # ...and the file asks to be recalculated


def test_libreoffice_computes_the_same_count_after_the_rename(renamed: tuple[Path, Path], tmp_path: Path) -> None:
    from lo.lo import convert, require_soffice

    require_soffice()
    before, after = convert(renamed, "xlsx", tmp_path)
    sheet, cell = missing_count_cell(after)
    count = computed(after, sheet, cell)
    assert error_cells(after) == []
    assert isinstance(count, (int, float)) and count == computed(before, sheet, cell) >= 1  # the empty progress cell counts


def a_workbook_that_names_progress_everywhere(path: Path) -> Path:
    """Every kind of place Excel keeps a reference to a sheet, each naming Progress."""
    wb = openpyxl.Workbook()
    start = wb.active
    start.title = "Start"
    progress = wb.create_sheet(OLD)
    wb.create_sheet("Progress 2")
    progress.append(["Item", "B"])
    for r in range(1, 4):
        progress.append([f"Item {r}", r])
    progress.add_table(Table(displayName="Progress", ref="A1:B4"))
    progress.print_title_rows = "1:1"
    progress.print_area = "A1:B4"
    start["A1"] = "=SUM('Progress'!B1:B3)+progress!B1+SUM(Progress!B1:Progress!B2)+SUM(Start:Progress!B1)"
    start["A2"] = "=SUM(Progress[B])+LEN(\"Progress!B1\")+'Progress 2'!A1+[1]Progress!A1"  # none of these name the sheet
    start["A3"] = "=IF(  'Progress'!B1>0 ,\n 1, 0)"
    wb.defined_names["total"] = DefinedName("total", attr_text="SUM('Progress'!$B$1:$B$3)")
    start.defined_names["first"] = DefinedName("first", attr_text="Progress!$B$1")
    items = DataValidation(type="list", formula1="'Progress'!$A$1:$A$3")
    start.add_data_validation(items)
    items.add("B1")
    start.conditional_formatting.add("B1", FormulaRule(formula=["B1>Progress!$B$3"]))
    wb.save(path)
    return path


@pytest.mark.parametrize("new, written", [("Fremdrift", "Fremdrift"), ("Fremdrift 2017", "'Fremdrift 2017'"), ("Partner's", "'Partner''s'"),
                                          ("R2C2", "'R2C2'"), ("FR2017", "'FR2017'")])
def test_every_reference_is_renamed_and_quoted_only_when_needed(tmp_path: Path, new: str, written: str) -> None:
    wb = openpyxl.load_workbook(a_workbook_that_names_progress_everywhere(tmp_path / "before.xlsx"))
    rename_sheet(wb, OLD, new)
    after = save(wb, tmp_path / "after.xlsx")
    assert [where for where, _ in still_naming(after, OLD)] == ["Start!A2"]  # text, a table, another workbook: see below
    back = openpyxl.load_workbook(after)
    start = back["Start"]
    assert back.sheetnames == ["Start", new, "Progress 2"]
    assert start["A1"].value == f"=SUM({written}!B1:B3)+{written}!B1+SUM({written}!B1:{written}!B2)+SUM({_3d('Start', new)}!B1)"
    assert start["A2"].value == "=SUM(Progress[B])+LEN(\"Progress!B1\")+'Progress 2'!A1+[1]Progress!A1"
    assert start["A3"].value == f"=IF(  {written}!B1>0 ,\n 1, 0)"  # spacing kept
    assert back.defined_names["total"].attr_text == f"SUM({written}!$B$1:$B$3)"
    assert start.defined_names["first"].attr_text == f"{written}!$B$1"
    assert [dv.formula1 for dv in start.data_validations.dataValidation] == [f"{written}!$A$1:$A$3"]
    assert [r.formula for cf in start.conditional_formatting for r in cf.rules] == [[f"B1>{written}!$B$3"]]
    written_names = dict(still_naming(after, new))  # openpyxl writes these from the title, always quoted
    quoted = "'" + new.replace("'", "''") + "'"
    assert written_names["workbook.xml _xlnm.Print_Titles"] == f"{quoted}!$1:$1"
    assert written_names["workbook.xml _xlnm.Print_Area"] == f"{quoted}!$A$1:$B$4"
    assert "Progress" in back[new].tables


def _3d(first: str, last: str) -> str:
    return f"{first}:{last}" if last == "Fremdrift" else "'" + f"{first}:{last}".replace("'", "''") + "'"


def test_a_rename_onto_another_sheet_is_refused(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(a_workbook_that_names_progress_everywhere(tmp_path / "book.xlsx"))
    with pytest.raises(ValueError, match="already exists"):
        rename_sheet(wb, OLD, "progress 2")
    assert wb.sheetnames == ["Start", OLD, "Progress 2"]
    formula = wb["Start"]["A1"].value
    rename_sheet(wb, OLD, OLD)  # nothing to do
    assert wb.sheetnames == ["Start", OLD, "Progress 2"] and wb["Start"]["A1"].value == formula
