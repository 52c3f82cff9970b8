"""Copying a sheet read with openpyxl into a workbook written with XlsxWriter keeps what a person made of it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from nc_excel.excel.copy import SheetCopier, copy_names
from nc_excel.excel.write import new_workbook


def _a_sheet_someone_worked_on(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Partners"
    ws.append(["Code", "Name", "Budget", "Since", "Active", "Contact"])
    ws.append(["OSL", "=HYPERLINK(\"x\")", 1234.5, dt.date(2016, 11, 1), True, "anna@example.org"])
    ws.append(["RSD", "Region of Southern Denmark", 99, dt.date(2017, 1, 15), False, None])
    ws["B2"].data_type = "s"
    ws["B2"].quotePrefix = True
    ws["C2"].number_format = "#,##0.00 €"
    ws["A2"].font = Font(name="Arial", size=12, bold=True, italic=True, color="C00000", underline="single")
    ws["A3"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["B3"].border = Border(left=Side("thick", color="0000FF"), bottom=Side("dashed"))
    ws["B3"].alignment = Alignment(horizontal="center", vertical="top", wrap_text=True, indent=1)
    ws["F2"].protection = Protection(locked=False)
    ws["F3"].fill = PatternFill("solid", fgColor=openpyxl.styles.colors.Color(theme=4, tint=0.6))
    ws["C4"] = "=SUM(C2:C3)"
    ws["A2"].comment = Comment("Lead partner", "coordinator")
    ws["A6"] = "A note across three columns"
    ws.merge_cells("A6:C6")
    ws.column_dimensions["B"].width = 41
    ws.column_dimensions["F"].hidden = True
    ws.row_dimensions[3].height = 33
    ws.freeze_panes = "B2"
    ws.add_table(Table(displayName="SetupPartners", ref="A1:F3", tableStyleInfo=TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)))
    dv = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True, showErrorMessage=True, error="Yes or No", errorTitle="Active")
    ws.add_data_validation(dv)
    dv.add("E2:E3")
    amounts = DataValidation(type="decimal", operator="between", formula1="0", formula2="1000000")
    ws.add_data_validation(amounts)
    amounts.add("C2:C3")
    ws.conditional_formatting.add("C2:C3", CellIsRule(operator="greaterThan", formula=["1000"], fill=PatternFill(bgColor="FFC7CE")))
    ws.conditional_formatting.add("A2:A3", FormulaRule(formula=['$E2=FALSE'], font=Font(color="9C0006")))
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.oddHeader.left.text = "Partners"
    ws.print_title_rows = "1:1"
    ws.sheet_properties.tabColor = "00B050"
    wb.create_sheet("Hidden notes").sheet_state = "hidden"
    wb.defined_names["lead_partner"] = openpyxl.workbook.defined_name.DefinedName("lead_partner", attr_text="'Partners'!$A$2")
    wb.save(path)


def test_a_copied_sheet_keeps_values_formats_and_everything_around_them(tmp_path: Path) -> None:
    source = tmp_path / "source.xlsx"
    _a_sheet_someone_worked_on(source)
    copied = tmp_path / "copied.xlsx"
    original = openpyxl.load_workbook(source)
    wb = new_workbook(copied)
    copier = SheetCopier(original, wb)
    for ws in original.worksheets:
        copier.copy(ws)
    copy_names(original, wb)
    wb.close()

    book = openpyxl.load_workbook(copied)
    ws = book["Partners"]
    assert [[c.value for c in row] for row in ws.iter_rows(max_row=3)] == [
        ["Code", "Name", "Budget", "Since", "Active", "Contact"],
        ["OSL", "=HYPERLINK(\"x\")", 1234.5, dt.datetime(2016, 11, 1), True, "anna@example.org"],
        ["RSD", "Region of Southern Denmark", 99, dt.datetime(2017, 1, 15), False, None],
    ]
    assert ws["B2"].data_type == "s" and ws["B2"].quotePrefix  # partner text stays text
    assert ws["C4"].value == "=SUM(C2:C3)"
    assert ws["C2"].number_format == "#,##0.00 €" and ws["D2"].is_date
    font = ws["A2"].font
    assert (font.name, font.sz, font.b, font.i, font.u, font.color.rgb[-6:]) == ("Arial", 12, True, True, "single", "C00000")
    assert ws["A3"].fill.fgColor.rgb.endswith("FFFF00")
    assert ws["F3"].fill.fgColor.rgb.endswith("B9CDE5")  # the workbook theme's accent 1 (4F81BD) lightened 60 %, as Excel shows it
    assert (ws["B3"].border.left.style, ws["B3"].border.left.color.rgb[-6:], ws["B3"].border.bottom.style) == ("thick", "0000FF", "dashed")
    assert (ws["B3"].alignment.horizontal, ws["B3"].alignment.wrap_text, ws["B3"].alignment.indent) == ("center", True, 1)
    assert ws["F2"].protection.locked is False and ws["A2"].protection.locked is True
    assert ws["A2"].comment.text == "Lead partner"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A6:C6"] and ws["A6"].value == "A note across three columns"
    assert ws.column_dimensions["B"].width == 41 and ws.column_dimensions["F"].hidden
    assert ws.row_dimensions[3].height == 33
    assert ws.freeze_panes == "B2"
    assert ws.tables["SetupPartners"].ref == "A1:F3" and ws.tables["SetupPartners"].tableStyleInfo.name == "TableStyleMedium2"
    rules = {(dv.type, str(dv.sqref), dv.formula1, dv.formula2, dv.error) for dv in ws.data_validations.dataValidation}
    assert rules == {("list", "E2:E3", '"Yes,No"', None, "Yes or No"), ("decimal", "C2:C3", "0", "1000000", None)}
    formats = {(str(cf.sqref), rule.type, tuple(rule.formula)) for cf in ws.conditional_formatting for rule in cf.rules}
    assert formats == {("C2:C3", "cellIs", ("1000",)), ("A2:A3", "expression", ("$E2=FALSE",))}
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A3)
    assert ws.oddHeader.left.text == "Partners" and ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.tabColor.rgb.endswith("00B050")
    assert book["Hidden notes"].sheet_state == "hidden"
    assert book.defined_names["lead_partner"].attr_text == "'Partners'!$A$2"


def test_copying_twice_changes_nothing(tmp_path: Path) -> None:
    """A master is rebuilt many times: widths, heights and styles must not drift with each copy."""
    source = tmp_path / "source.xlsx"
    _a_sheet_someone_worked_on(source)
    for n in (1, 2):
        original = openpyxl.load_workbook(source)
        target = tmp_path / f"copy{n}.xlsx"
        wb = new_workbook(target)
        copier = SheetCopier(original, wb)
        for ws in original.worksheets:
            copier.copy(ws)
        wb.close()
        source = target
    first, second = openpyxl.load_workbook(tmp_path / "copy1.xlsx")["Partners"], openpyxl.load_workbook(tmp_path / "copy2.xlsx")["Partners"]
    assert {k: d.width for k, d in first.column_dimensions.items()} == {k: d.width for k, d in second.column_dimensions.items()}
    assert [(c.coordinate, c.value, c.font.b, c.fill.fgColor.rgb, c.number_format) for row in first.iter_rows() for c in row] == \
           [(c.coordinate, c.value, c.font.b, c.fill.fgColor.rgb, c.number_format) for row in second.iter_rows() for c in row]
