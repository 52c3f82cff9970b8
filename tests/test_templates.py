"""The partner workbook, re-read with openpyxl the way a careful coordinator would check it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import GENERATED_AT, copy_project
from openpyxl.worksheet.worksheet import Worksheet

from nc_excel.excel.formula import AsNumber, Ref
from nc_excel.excel.libreoffice import convert
from nc_excel.partner.schema import digest
from nc_excel.partner.simulate import partner_entries
from nc_excel.partner.write import write_partner_workbook
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import ProjectError, Workspace


@pytest.fixture(scope="module")
def aal(demo_project: Workspace) -> openpyxl.Workbook:
    """Aalborg's template: a Danish partner, declaring in DKK."""
    return openpyxl.load_workbook(demo_project.outbox(1) / "NC_P1_AAL.xlsx")


@pytest.fixture(scope="module")
def fhh(demo_project: Workspace) -> openpyxl.Workbook:
    """Hamburg's template: a partner declaring in EUR."""
    return openpyxl.load_workbook(demo_project.outbox(1) / "NC_P1_FHH.xlsx")


def validation_at(ws: Worksheet, cell: str):
    matches = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(matches) == 1, f"{ws.title}!{cell} has {len(matches)} validations"
    return matches[0]


def header_cells(ws: Worksheet, row: int = 4) -> dict[str, str]:
    return {c.value: c.column_letter for c in ws[row] if c.value}


def test_one_workbook_per_partner(demo_project: Workspace, demo_setup: ProjectSetup) -> None:
    names = sorted(p.name for p in demo_project.outbox(1).iterdir())
    assert names == sorted(f"NC_P1_{p.code}.xlsx" for p in demo_setup.partners)


def test_sheets_and_named_tables(aal: openpyxl.Workbook) -> None:
    assert aal.sheetnames == ["Start", "Progress", "Deliverables", "Indicators", "Finance", "Living Labs", "Lists", "Rates", "_nc_meta"]
    tables = {name for ws in aal.worksheets for name in ws.tables}
    assert {"Progress", "Deliverables", "Indicators", "Finance", "LivingLabs"} <= tables
    assert aal["Lists"].sheet_state == aal["Rates"].sheet_state == "hidden"
    assert aal["_nc_meta"].sheet_state == "veryHidden"


def test_metadata_identifies_partner_and_period(aal: openpyxl.Workbook, demo_setup: ProjectSetup) -> None:
    meta = {row[0].value: row[1].value for row in aal["_nc_meta"].iter_rows(max_col=2)}
    assert (meta["project"], meta["partner"], meta["period"], meta["schema_version"]) == ("NC", "AAL", 1, 1)
    assert meta["generated_at"] == GENERATED_AT.isoformat()
    assert meta["digest"] == digest(demo_setup, "AAL", 1, meta["generated_at"], currency="DKK")
    assert meta["digest"] != digest(demo_setup, "AAL", 1, meta["generated_at"])  # the currency is sealed: edited to EUR, it is refused
    assert meta["digest"] != digest(demo_setup, "HOE", 1, meta["generated_at"])
    layout = json.loads(meta["layout"])
    assert layout["tables"]["Progress"]["sheet"] == "Progress"
    assert layout["forms"]["FLC"]["sheet"] == "Finance"


def test_progress_has_one_row_per_work_package_of_the_partner(demo_project: Workspace, demo_setup: ProjectSetup) -> None:
    wb = openpyxl.load_workbook(demo_project.outbox(1) / "NC_P1_HCU.xlsx")
    ws = wb["Progress"]
    expected = [w.code for w in demo_setup.work_packages if "HCU" in w.partners]
    assert [ws.cell(r, 1).value for r in range(5, 5 + len(expected))] == expected
    assert ws.cell(5 + len(expected), 1).value is None


def test_status_dropdown_offers_the_statuses(aal: openpyxl.Workbook) -> None:
    ws = aal["Progress"]
    col = header_cells(ws)["Status"]
    dv = validation_at(ws, f"{col}5")
    assert dv.type == "list"
    assert dv.formula1 == '"Not started,In progress,Done,Delayed"'
    assert dv.showErrorMessage


def test_percent_complete_accepts_whole_numbers_0_to_100(aal: openpyxl.Workbook) -> None:
    ws = aal["Progress"]
    dv = validation_at(ws, f"{header_cells(ws)['% complete']}5")
    assert dv.operator in (None, "between")  # "between" is the OOXML default
    assert (dv.type, float(dv.formula1), float(dv.formula2)) == ("whole", 0, 100)
    assert dv.promptTitle == "% complete" and "0 to 100" in dv.prompt


def test_living_lab_region_dropdown_names_the_setup_regions(aal: openpyxl.Workbook, demo_setup: ProjectSetup) -> None:
    ws = aal["Living Labs"]
    dv = validation_at(ws, f"{header_cells(ws)['Region']}5")
    assert dv.type == "list"
    sheet, rng = dv.formula1.lstrip("=").split("!")
    cells = aal[sheet.strip("'")][rng.replace("$", "")]
    assert [c[0].value for c in cells] == [r.name for r in demo_setup.regions]
    score = validation_at(ws, f"{header_cells(ws)['User involvement (ENoLL)']}5")
    assert (score.type, float(score.formula1), float(score.formula2)) == ("whole", 1, 5)
    must = validation_at(ws, f"{header_cells(ws)['A real market perspective']}5")
    assert must.formula1 == '"Yes,No"'


def test_deliverable_dates_must_fall_within_the_project(aal: openpyxl.Workbook) -> None:
    ws = aal["Deliverables"]
    dv = validation_at(ws, f"{header_cells(ws)['Actual or expected date']}5")
    assert dv.type == "date"
    low, high = (dt.date(1899, 12, 30) + dt.timedelta(days=int(float(v))) for v in (dv.formula1, dv.formula2))
    assert (low, high) == (dt.date(2016, 11, 1), dt.date(2020, 4, 30))


def test_inputs_unlocked_everything_else_locked(aal: openpyxl.Workbook) -> None:
    for name in ("Start", "Progress", "Deliverables", "Indicators", "Finance", "Living Labs"):
        assert aal[name].protection.sheet, name
    ws = aal["Progress"]
    cols = header_cells(ws)
    assert ws[f"{cols['Work package']}5"].protection.locked
    assert ws[f"{cols['Title']}5"].protection.locked
    assert not ws[f"{cols['Status']}5"].protection.locked
    assert not ws[f"{cols['Main achievements this period']}5"].protection.locked
    assert ws["A1"].protection.locked
    deliverables = aal["Deliverables"]
    dcols = header_cells(deliverables)
    assert deliverables[f"{dcols['Due date']}5"].protection.locked
    assert not deliverables[f"{dcols['Status']}5"].protection.locked


def test_office_and_administration_is_computed_never_typed(fhh: openpyxl.Workbook) -> None:
    ws = fhh["Finance"]
    cols = header_cells(ws)
    declared = cols["Declared this period (EUR)"]
    assert ws["A6"].value.startswith("Office and administration (15 % of staff)")
    office = ws[f"{declared}6"]
    staff = AsNumber(Ref("staff")).text(lambda _: f"{declared}5")  # staff costs pasted as text count too
    assert office.value == f"=ROUNDDOWN({staff}*15/100,2)"
    assert office.protection.locked
    assert not ws[f"{declared}5"].protection.locked
    assert ws[f"{cols['Cumulative (EUR)']}5"].value == f"={cols['Declared before (EUR)']}5+{staff}"


def test_flc_form_sits_below_the_finance_table(aal: openpyxl.Workbook) -> None:
    ws = aal["Finance"]
    labels = {ws.cell(r, 1).value: r for r in range(1, 30)}
    row = labels["FLC status"]
    assert not ws.cell(row, 2).protection.locked
    assert validation_at(ws, f"B{row}").formula1 == '"Not sent,Sent to FLC,In control,Certified"'
    assert "FLC_flc_status" in aal.defined_names


def test_start_sheet_counts_missing_required_inputs(aal: openpyxl.Workbook, demo_project: Workspace) -> None:
    ws = aal["Start"]
    row = next(r for r in range(1, 40) if ws.cell(r, 1).value == "Required inputs still empty")
    assert ws.cell(row, 2).value.startswith("=COUNTBLANK(")
    values = openpyxl.load_workbook(demo_project.outbox(1) / "NC_P1_AAL.xlsx", data_only=True)["Start"]
    # AAL: 4 work packages x 3 required inputs + 5 of its 12 deliverables (the others are due after
    # 31 October 2017: their status is optional) + 3 indicators + 5 typed finance lines (office is
    # computed) + 4 required submission fields
    assert values.cell(row, 2).value == 4 * 3 + 5 + 3 + 5 + 4


def test_print_setup_and_frozen_headers(aal: openpyxl.Workbook) -> None:
    for name in ("Progress", "Deliverables", "Indicators", "Finance", "Living Labs"):
        ws = aal[name]
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the OOXML default
        assert ws.page_setup.fitToHeight == 0
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("5")
        assert ws.print_title_rows == "$4:$4"
        assert "Aalborg Kommune (AAL)" in ws.oddHeader.left.text
    assert {aal[name].page_setup.paperSize for name in ("Start", "Progress", "Deliverables", "Indicators", "Finance", "Living Labs")} == {9}  # A4


def test_only_named_partners(demo_project: Workspace, tmp_path: Path) -> None:
    project = copy_project(demo_project, tmp_path)
    paths = project.generate_templates(2, ["HOE", "OSL"], now=GENERATED_AT)
    assert [p.name for p in paths] == ["NC_P2_HOE.xlsx", "NC_P2_OSL.xlsx"]
    with pytest.raises(ProjectError, match="Unknown partner code"):
        project.generate_templates(2, ["XYZ"])


def test_text_from_the_setup_stays_text(demo_setup: ProjectSetup, tmp_path: Path) -> None:
    hostile = demo_setup.model_copy(deep=True)
    hostile.work_packages[0].title = '=HYPERLINK("http://evil.example","click")'
    path = tmp_path / "t.xlsx"
    write_partner_workbook(path, hostile, "AAL", 1, generated_at=GENERATED_AT)
    cell = openpyxl.load_workbook(path)["Progress"]["B5"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","click")'


LONG_ANSWER = " ".join(
    f"In month {n} the partner met the regional authority and {n + 2} companies to plan the pilot sites, agreed the next steps and shared the minutes."
    for n in range(1, 20)
)[:1850].rstrip() + ". This closing sentence is the last of the answer."


def long_answer_workbook(setup: ProjectSetup, path: Path) -> Path:
    """A template carrying AAL's period-1 answers over, the first work package's achievements 1,900 characters long."""
    entries = partner_entries(setup, "AAL", 1)
    entries.tables["Progress"][0]["achievements"] = LONG_ANSWER
    write_partner_workbook(path, setup, "AAL", 1, generated_at=GENERATED_AT, entries=entries)
    return path


def test_rows_grow_to_show_their_text_and_leave_room_to_type(demo_setup: ProjectSetup, tmp_path: Path) -> None:
    assert len(LONG_ANSWER) == 1900
    wb = openpyxl.load_workbook(long_answer_workbook(demo_setup, tmp_path / "long.xlsx"))
    progress = wb["Progress"]
    assert progress["E5"].value == LONG_ANSWER
    assert progress.row_dimensions[5].height > 390  # about 31 lines of 13 points
    assert 120 <= progress.row_dimensions[6].height < 409  # a short answer: room to type, not a page of blank
    labs = wb["Living Labs"]
    filled = [r for r in range(5, 35) if labs.cell(r, 1).value]
    assert filled and all(labs.row_dimensions[r].height >= 45 for r in range(5, 35))
    assert wb["Start"].row_dimensions[1].height == 24  # the title clears the line below it


def test_a_long_answer_prints_whole(demo_setup: ProjectSetup, tmp_path: Path) -> None:
    """Rendered by LibreOffice, the PDF holds every word of a 1,900-character answer, in order."""
    from lo.lo import require_soffice

    require_soffice()
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    path = long_answer_workbook(demo_setup, tmp_path / "long.xlsx")
    convert([path], "pdf", tmp_path, timeout=180)
    text = subprocess.run(["pdftotext", str(tmp_path / "long.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert " ".join(LONG_ANSWER.split()) in " ".join(text.split())


def test_every_input_cell_says_what_it_needs(aal: openpyxl.Workbook) -> None:
    """Start tells partners to click a yellow cell to see what it needs: every unlocked cell has an input message."""
    silent = []
    for ws in aal.worksheets:
        if ws.sheet_state != "visible":
            continue
        messages = [dv for dv in ws.data_validations.dataValidation if dv.showInputMessage and dv.prompt]
        for row in ws.iter_rows():
            for cell in row:
                if cell.protection.locked is False and not any(cell.coordinate in dv.sqref for dv in messages):
                    silent.append(f"{ws.title}!{cell.coordinate}")
    assert silent == []
    assert validation_at(aal["Start"], "B24").prompt  # the date of submission


def test_validation_titles_end_at_a_whole_word(aal: openpyxl.Workbook) -> None:
    titles = {dv.promptTitle for ws in aal.worksheets for dv in ws.data_validations.dataValidation if dv.promptTitle}
    assert "Strong backing from local\u2026" in titles
    assert "Strong backing from local politi" not in titles and all(len(t) <= 32 for t in titles)


def test_the_finance_sheet_adds_up_in_a_totals_row_under_the_table(fhh: openpyxl.Workbook) -> None:
    """The total to tie to the FLC certificate: column sums, the declared total as the cumulative counts it."""
    ws = fhh["Finance"]
    cols = header_cells(ws)
    budget, before, declared, cumulative, remaining, absorption = (
        cols[h] for h in ("Budget (EUR)", "Declared before (EUR)", "Declared this period (EUR)", "Cumulative (EUR)", "Remaining budget (EUR)", "Absorption %"))
    assert ws["A11"].value == "Total" and ws["A12"].value == "First level control"
    assert ws[f"{budget}11"].value == f"=SUM({budget}5:{budget}10)" and ws[f"{cumulative}11"].value == f"=SUM({cumulative}5:{cumulative}10)"
    assert ws[f"{declared}11"].value == f"={cumulative}11-{before}11" and ws[f"{remaining}11"].value == f"={budget}11-{cumulative}11"
    assert ws[f"{absorption}11"].value == f"=IF({budget}11=0,0,ROUND({cumulative}11/{budget}11,3))"
    assert ws[f"{absorption}11"].number_format == ws[f"{absorption}5"].number_format == "0.0%"
    assert ws[f"{declared}11"].protection.locked
