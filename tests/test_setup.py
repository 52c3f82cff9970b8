"""The project setup: the embedded Northern Connections data, and the setup sheets of master.xlsx
as a coordinator edits them, with every mistake reported at its sheet and cell."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from nc_excel.excel.schema import HEADER_ROW, col_letter, columns
from nc_excel.setup.models import Partner, Project, ProjectSetup
from nc_excel.setup.sheets import read_setup
from nc_excel.workspace import ProjectError, SetupInvalid, Workspace


def test_demo_setup_is_northern_connections(demo_setup: ProjectSetup) -> None:
    assert len(demo_setup.partners) == 21
    assert {p.country for p in demo_setup.partners} == {"DK", "DE", "SE", "NO", "NL", "BE", "UK"}
    lead = [p for p in demo_setup.partners if p.role == "Lead partner"]
    assert [p.name for p in lead] == ["Aalborg Kommune"]
    assert sum(p.total_budget for p in demo_setup.partners) == Decimal(5_285_707)
    assert [w.code for w in demo_setup.work_packages] == ["WP1", "WP2", "WP3", "WP4", "WP5", "WP6"]
    first = demo_setup.periods[0]
    assert (first.start, first.end) == (dt.date(2016, 11, 1), dt.date(2017, 10, 31))
    assert demo_setup.periods[-1].end == dt.date(2020, 4, 30)
    for before, after in zip(demo_setup.periods, demo_setup.periods[1:]):
        assert after.start == before.end + dt.timedelta(days=1)
        assert (after.end.year * 12 + after.end.month) - (after.start.year * 12 + after.start.month) == 5
    kinds = {c.kind for c in demo_setup.criteria}
    assert kinds == {"score", "must-have", "knock-out"}


def test_office_budget_is_the_flat_rate_of_staff(demo_setup: ProjectSetup) -> None:
    for p in demo_setup.partners:
        assert p.budget_office == (p.budget_staff * Decimal("0.15")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")


def test_init_writes_the_setup_that_reads_back_unchanged(demo_project: Workspace, demo_setup: ProjectSetup) -> None:
    assert demo_project.setup() == demo_setup
    for folder in ("outbox", "inbox", "archive", "feedback", "board", "backups"):
        assert (demo_project.root / folder).is_dir()
    wb = openpyxl.load_workbook(demo_project.master)
    assert wb.sheetnames == ["Project", "Regions", "Partners", "Work packages", "Deliverables", "Indicators", "Periods", "Criteria", "Rates", "Choices", "Settings"]
    assert wb["Partners"]["C5"].value == "Aalborg Kommune"
    assert "SetupPartners" in wb["Partners"].tables


def test_init_refuses_an_existing_project(demo_project: Workspace) -> None:
    with pytest.raises(ProjectError, match="already holds a project"):
        Workspace.create(demo_project.root)


@pytest.fixture()
def master_copy(demo_project: Workspace, tmp_path: Path) -> Path:
    """A copy of the master for a test to edit the way a coordinator would in Excel."""
    target = tmp_path / "master.xlsx"
    shutil.copy(demo_project.master, target)
    return target


def edit(path: Path, changes: dict[tuple[str, str], object]) -> None:
    wb = openpyxl.load_workbook(path)
    for (sheet, cell), value in changes.items():
        wb[sheet][cell] = value
    wb.save(path)


def found(path: Path) -> set[tuple[str, str | None, str | None]]:
    setup, issues = read_setup(path)
    assert setup is None
    return {(i.code, i.sheet, i.cell) for i in issues}


def test_duplicate_partner_code_is_reported_at_the_second_row(master_copy: Path) -> None:
    edit(master_copy, {("Partners", "B6"): "AAL"})  # row 6 is the second partner
    assert ("setup-duplicate-key", "Partners", "B6") in found(master_copy)


def test_deliverable_of_an_unknown_work_package(master_copy: Path) -> None:
    edit(master_copy, {("Deliverables", "B5"): "WP9"})
    assert ("setup-unknown-reference", "Deliverables", "B5") in found(master_copy)


def test_partner_in_an_unknown_region(master_copy: Path) -> None:
    edit(master_copy, {("Partners", "F7"): "XX"})
    assert ("setup-unknown-reference", "Partners", "F7") in found(master_copy)


def test_overlapping_periods(master_copy: Path) -> None:
    edit(master_copy, {("Periods", "B6"): dt.datetime(2017, 10, 1)})  # period 2 starts inside period 1
    assert ("setup-period-overlap", "Periods", "B6") in found(master_copy)


def test_scored_criterion_weight_must_be_positive(master_copy: Path) -> None:
    wb = openpyxl.load_workbook(master_copy)
    row = next(r for r in range(5, 30) if wb["Criteria"][f"C{r}"].value == "score")
    edit(master_copy, {("Criteria", f"D{row}"): 0})
    assert ("setup-weight-not-positive", "Criteria", f"D{row}") in found(master_copy)


def test_dates_outside_the_project(master_copy: Path) -> None:
    edit(master_copy, {("Deliverables", "E8"): dt.datetime(2021, 6, 30), ("Work packages", "D6"): dt.datetime(2015, 1, 1)})
    issues = found(master_copy)
    assert ("setup-date-outside-project", "Deliverables", "E8") in issues
    assert ("setup-date-outside-project", "Work packages", "D6") in issues


def test_all_problems_at_once_and_typed_values_tolerated(master_copy: Path) -> None:
    edit(master_copy, {
        ("Partners", "B6"): "AAL",
        ("Periods", "C5"): "not a date",
        ("Partners", "I5"): "1.234.567,00",  # a European number typed as text is fine
        ("Regions", "C6"): "dk",  # case of a dropdown value does not matter
    })
    issues = found(master_copy)
    assert ("setup-duplicate-key", "Partners", "B6") in issues
    assert ("not-a-date", "Periods", "C5") in issues
    assert not any(sheet == "Regions" for _, sheet, _ in issues)
    assert not any(cell == "I5" and code.startswith("not-a") for code, _, cell in issues)
    assert ("setup-budget-total", "Partners", "I5") in issues  # read as 1234567, so the total is off


def test_every_issue_has_a_message_and_a_hint(master_copy: Path) -> None:
    edit(master_copy, {("Deliverables", "D5"): "NOPE"})
    _, issues = read_setup(master_copy)
    bad = next(i for i in issues if i.cell == "D5")
    assert bad.code == "setup-unknown-reference"
    assert "NOPE" in bad.message and "Partners" in bad.hint
    assert bad.file == "master.xlsx"


def test_workspace_refuses_templates_from_a_broken_setup(master_copy: Path, tmp_path: Path) -> None:
    edit(master_copy, {("Partners", "B6"): "AAL"})
    project = tmp_path / "broken"
    project.mkdir()
    shutil.copy(master_copy, project / "master.xlsx")
    with pytest.raises(SetupInvalid) as exc:
        Workspace.open(project).generate_templates(1)
    assert any(i.cell == "B6" for i in exc.value.issues)
    assert not (project / "outbox" / "1").exists()


def test_a_missing_sheet_is_named(master_copy: Path) -> None:
    wb = openpyxl.load_workbook(master_copy)
    del wb["Criteria"]
    wb.save(master_copy)
    assert ("missing-sheet", "Criteria", None) in found(master_copy)


def test_a_master_from_before_a_column_was_added_still_reads_and_says_how_to_use_it(master_copy: Path) -> None:
    """An upgrade must not stop a project: a master made before partners had a Currency reads as all euros, with a warning."""
    wb = openpyxl.load_workbook(master_copy)
    partners = wb["Partners"]
    partners.delete_cols([c.name for c in columns(Partner)].index("currency") + 1)
    wb.save(master_copy)
    setup, issues = read_setup(master_copy)
    assert setup is not None and {p.currency for p in setup.partners} == {"EUR"}
    [added] = [i for i in issues if i.code == "setup-column-added"]
    assert (str(added.severity), added.sheet, added.field) == ("warning", "Partners", "Currency")
    assert added.cell.endswith(str(HEADER_ROW + 1)) and "'EUR'" in added.message
    partners.delete_cols(1)  # a required column (the partner's code) is still an error at the header
    wb.save(master_copy)
    assert ("missing-column", "Partners", f"A{HEADER_ROW + 1}") in found(master_copy)


def _cell_of(model: type, name: str, *, form: bool) -> str:
    """The cell (form: the value beside the label) or column letter of a field on the sheet init writes."""
    fields = [c.name for c in columns(model)]
    return f"B{HEADER_ROW + 1 + fields.index(name)}" if form else col_letter(fields.index(name))


def test_the_norwegian_partners_are_funded_by_norway_and_the_erdf_total_ties(demo_setup: ProjectSetup) -> None:
    funding = {p.code: (p.funding, p.cofinancing_rate) for p in demo_setup.partners}
    assert funding["OSL"] == funding["ORC"] == ("Norwegian national funding", Decimal(50))
    assert {f for code, f in funding.items() if code not in ("OSL", "ORC")} == {("ERDF", Decimal(50))}
    erdf_budgets = sum(p.total_budget for p in demo_setup.partners if p.funding == "ERDF")
    assert erdf_budgets * Decimal("0.5") == demo_setup.project.erdf == Decimal(2_369_624)
    assert all(p.contact and p.email for p in demo_setup.partners)


def test_an_erdf_total_that_disagrees_with_the_partners_rates_is_an_error_at_the_project_cell(master_copy: Path) -> None:
    rate = _cell_of(Partner, "cofinancing_rate", form=False)
    edit(master_copy, {("Partners", f"{rate}5"): 60})  # the lead partner at 60 % instead of 50 %
    erdf = _cell_of(Project, "erdf", form=True)
    setup, issues = read_setup(master_copy)
    assert setup is None
    [problem] = [i for i in issues if i.code == "setup-erdf-total"]
    assert (problem.sheet, problem.cell, problem.severity) == ("Project", erdf, "error")
    assert "2,369,624.00" in problem.message


def test_funding_source_and_contact_are_read_back_from_the_partners_sheet(master_copy: Path, demo_setup: ProjectSetup) -> None:
    funding, email = _cell_of(Partner, "funding", form=False), _cell_of(Partner, "email", form=False)
    erdf = _cell_of(Project, "erdf", form=True)
    edit(master_copy, {("Partners", f"{funding}5"): "Other", ("Partners", f"{email}5"): "someone@aalborg.example.dk",
                       ("Project", erdf): float(demo_setup.project.erdf - demo_setup.partners[0].total_budget / 2)})  # no ERDF for the lead now
    setup, issues = read_setup(master_copy)
    lead = setup.partners[0] if setup else None
    assert lead is not None, issues
    assert (lead.funding, lead.email) == ("Other", "someone@aalborg.example.dk")


def test_one_bad_cell_is_one_issue_at_that_cell(master_copy: Path) -> None:
    """A budget typed with its currency, a blank budget and a blank No. on the rows of three partners:
    one issue each, at the cell, and nothing about the partners' codes elsewhere (LUN-style cascades)."""
    edit(master_copy, {("Partners", "I6"): "12.000 EUR", ("Partners", "K7"): None, ("Partners", "A8"): None})
    _, issues = read_setup(master_copy)
    errors = [(i.code, i.sheet, i.cell) for i in issues if i.severity == "error"]
    assert sorted(errors) == [("ambiguous-number", "Partners", "I6"), ("required", "Partners", "A8"), ("required", "Partners", "K7")]
    assert not any(i.message.endswith("..") or i.hint.endswith("..") for i in issues)
    assert next(i for i in issues if i.cell == "A8").hint == "Fill in No."


def test_countries_and_partner_types_come_from_the_choices_sheet(master_copy: Path) -> None:
    wb = openpyxl.load_workbook(master_copy)
    assert wb["Partners"]["E5"].value == "DK"
    assert "FI" in [wb["Choices"][f"A{r}"].value for r in range(5, 40)]  # the Interreg default: more than the project's own countries
    edit(master_copy, {("Partners", "E5"): "FI", ("Regions", "C5"): "FI", ("Partners", "G6"): "Chamber of commerce"})
    assert found(master_copy) == {("not-a-choice", "Partners", "G6")}
    edit(master_copy, {("Choices", "C40"): "Chamber of commerce"})  # the coordinator adds the type to the list
    setup, _ = read_setup(master_copy)
    assert setup is not None and setup.partners[0].country == "FI" and setup.partners[1].type == "Chamber of commerce"


def test_without_living_labs_the_criteria_may_be_empty(master_copy: Path) -> None:
    wb = openpyxl.load_workbook(master_copy)
    label_row = next(r for r in range(1, 40) if wb["Project"][f"A{r}"].value == "Living labs")
    wb["Project"][f"B{label_row}"] = "No"
    wb["Project"][f"B{label_row + 1}"] = 0
    wb["Criteria"].delete_rows(5, 20)
    wb.save(master_copy)
    setup, issues = read_setup(master_copy)
    assert setup is not None and not setup.project.living_labs and setup.criteria == []
    assert not any(i.sheet in ("Criteria", "Project") for i in issues)


def test_an_ambiguous_text_date_is_read_day_first_and_flagged(master_copy: Path) -> None:
    edit(master_copy, {("Deliverables", "E5"): "02/03/2017", ("Deliverables", "E6"): "31/03/2017"})  # the second reads one way only
    setup, issues = read_setup(master_copy)
    assert setup is not None and setup.deliverables[0].due == dt.date(2017, 3, 2)
    flagged = [i for i in issues if i.code == "ambiguous-date"]
    assert [(i.severity, i.sheet, i.cell) for i in flagged] == [("warning", "Deliverables", "E5")]
    assert "02 March 2017" in flagged[0].message and "03 February 2017" in flagged[0].hint


@pytest.mark.parametrize("typed", [50, "50", "50 %", "50%", 0.5], ids=["number", "text", "text with %", "text with % unspaced", "Excel's 50 %"])
def test_a_rate_typed_as_50_or_50_percent_is_50_percent(master_copy: Path, typed: object) -> None:
    """Rates are kept as a number of percent (50): Excel stores 50 % typed into a cell as 0.5, which reads as 50 too."""
    rate, flat = _cell_of(Partner, "cofinancing_rate", form=False), _cell_of(Project, "office_flat_rate", form=True)
    edit(master_copy, {("Partners", f"{rate}5"): typed, ("Project", flat): 0.15 if typed == 0.5 else 15})
    setup, issues = read_setup(master_copy)
    assert setup is not None, issues
    assert (setup.partners[0].cofinancing_rate, setup.project.office_flat_rate) == (Decimal(50), Decimal(15))
