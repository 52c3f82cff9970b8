"""The master workbook: rebuilt from the archive, the coordinator's decisions kept, nothing lost."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import sheet_values as values
from python_calamine import CalamineWorkbook
from test_collect import make_return
from typer.testing import CliRunner

from nc_excel.board.read import SummaryError, read_master
from nc_excel.cli import app
from nc_excel.excel.schema import HEADER_ROW
from nc_excel.intake.archive import Register
from nc_excel.master.decisions import MasterError, read_decisions
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import NcError, ProjectError, Workspace

AS_OF = dt.date(2017, 10, 15)


@pytest.fixture(scope="module")
def collected(period_1_built: Workspace) -> Workspace:
    """All partners but two have reported for period 1 (collected on 14 October); the master was built once, as of AS_OF."""
    return period_1_built


@pytest.fixture()
def project(collected: Workspace, tmp_path: Path) -> Workspace:
    """A copy of the collected project for a test to change."""
    return Workspace(Path(shutil.copytree(collected.root, tmp_path / "project")))



def table(path: Path, sheet: str) -> list[dict]:
    """A rebuilt sheet's table as dicts by header (header in row 4)."""
    grid = values(path, sheet)
    start = next(i for i, row in enumerate(grid) if row and row[0] not in ("", None) and i >= 3)
    header = grid[start]
    return [dict(zip(header, row)) for row in grid[start + 1:] if any(v not in ("", None) for v in row)]


def test_master_has_the_rebuilt_sheets_first_and_the_setup_after(collected: Workspace) -> None:
    wb = openpyxl.load_workbook(collected.master)
    assert wb.sheetnames[:2] == ["Contents", "Dashboard"] and wb.active.title == "Dashboard"  # it opens on the Dashboard
    for name in ("Returns", "Issues", "Progress", "Deliverables reported", "Indicators reported", "Finance", "Living Labs", "Shortlist", "Schedule", "Timeline"):
        assert name in wb.sheetnames
    assert {"Project", "Regions", "Partners", "Periods", "Criteria", "Settings"} <= set(wb.sheetnames)
    assert wb.defined_names["nc_status"].attr_text == "'Settings'!$B$5"
    assert "MasterProgress" in wb["Progress"].tables and "LivingLabs" in wb["Living Labs"].tables


def test_the_contents_sheet_links_to_every_sheet_and_says_what_it_is_for(collected: Workspace) -> None:
    wb = openpyxl.load_workbook(collected.master)
    contents = wb["Contents"]
    lines = {contents.cell(r, 1).value: (contents.cell(r, 1).hyperlink, contents.cell(r, 3).value) for r in range(HEADER_ROW + 2, contents.max_row + 1)}
    assert set(lines) == set(wb.sheetnames) - {"Contents"}
    for name, (link, about) in lines.items():
        assert link is not None and link.location == f"'{name}'!A1", name
        assert about, name
    assert lines["Returns"][1].startswith("Returns register: Every file collected")
    assert lines["Partners"][1].startswith("Setup: One row per partner")
    assert wb["Dashboard"].sheet_properties.tabColor.rgb.endswith("1F3864") and wb["Finance"].sheet_properties.tabColor.rgb.endswith("548235")


def test_rebuilt_sheets_never_take_the_name_of_a_setup_sheet() -> None:
    from nc_excel.master.build import KEPT
    from nc_excel.master.schema import REBUILT

    assert not KEPT & {s.name for s in REBUILT}


def test_every_reported_row_carries_its_source(collected: Workspace) -> None:
    register = Register(collected.root)
    accepted = {e.sha256: e for e in register.current(1)}
    rows = table(collected.master, "Progress")
    assert rows and all(r["SHA-256"] in accepted for r in rows)
    assert all(r["Source file"] == accepted[r["SHA-256"]].archived for r in rows)
    assert {r["Partner"] for r in rows} == {e.partner for e in accepted.values()}


def test_finance_totals_equal_the_sum_of_the_returns(collected: Workspace) -> None:
    declared = sum(Decimal(str(r["Declared in period (EUR)"])) for r in table(collected.master, "Finance") if r["Period"] == 1)
    *position, project = table(collected.master, "Finance position")
    assert sum(Decimal(str(r["Declared in period (EUR)"])) for r in position) == declared == Decimal(str(project["Declared in period (EUR)"]))
    assert {r["Partner"] for r in position if r["Reported"] == "No"} == {"SCE", "FKC"}
    dashboard = {row[0]: row[1] for row in values(collected.master, "Dashboard") if row and row[0]}
    assert Decimal(str(dashboard["Declared this period (EUR)"])).quantize(Decimal("0.01")) == declared
    assert dashboard["Returns missing"] == "SCE, FKC"


def test_shortlist_has_two_places_per_region_or_a_flag(collected: Workspace, demo_setup: ProjectSetup) -> None:
    regions = table(collected.master, "Shortlist by region")
    assert len(regions) == len(demo_setup.regions)
    for r in regions:
        assert r["Shortlisted"] == 2 or r["Flag"], r
    shortlist = table(collected.master, "Shortlist")
    assert len(shortlist) == sum(r["Shortlisted"] for r in regions)
    assert all(r["Why"] for r in shortlist)
    scotland = next(r for r in regions if r["Region"] == "Scotland")
    assert scotland["Candidates"] == 0 and scotland["Flag"] == "No candidates for 2 places"


def test_schedule_agrees_with_the_returns(collected: Workspace) -> None:
    schedule = {r["Deliverable"]: r for r in table(collected.master, "Schedule")}
    reported = [r for r in table(collected.master, "Deliverables reported") if r["Deliverable"] == "D1.1" and r["Partner"] == "AAL"]
    assert schedule["D1.1"]["Reported"] == reported[0]["Status"]
    if reported[0]["Status"] == "Done":
        assert schedule["D1.1"]["Status"] == "Done"
    assert all(r["Status"] in ("Done", "On track", "At risk", "Overdue", "Not started") for r in schedule.values())


def set_decision(master: Path, place: str, decision: str, note: str) -> str:
    wb = openpyxl.load_workbook(master)
    ws = wb["Living Labs"]
    header = {c.value: c.column for c in ws[4]}
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, header["Place"]).value == place)
    ws.cell(row, header["Decision"]).value = decision
    ws.cell(row, header["Coordinator note"]).value = note
    key = ws.cell(row, header["Place key"]).value
    wb.save(master)
    return key


def longlist(master: Path) -> dict[str, dict]:
    return {r["Place key"]: r for r in table(master, "Living Labs")}


def test_decisions_survive_any_number_of_rebuilds(project: Workspace) -> None:
    places = table(project.master, "Living Labs")
    loser = next(p for p in places if p["Eligible"] == "Yes" and p["Shortlisted"] == "No")
    winner = next(p for p in places if p["Shortlisted"] == "Yes")
    k1 = set_decision(project.master, loser["Place"], "Include", "Strong political backing")
    k2 = set_decision(project.master, winner["Place"], "Exclude", "Already funded elsewhere")
    for _ in range(2):
        project.build(as_of=AS_OF)
        rows = longlist(project.master)
        assert (rows[k1]["Decision"], rows[k1]["Coordinator note"], rows[k1]["Shortlisted"]) == ("Include", "Strong political backing", "Yes")
        assert (rows[k2]["Decision"], rows[k2]["Shortlisted"]) == ("Exclude", "No")


def test_issue_resolution_and_deliverable_comment_are_kept(project: Workspace) -> None:
    wb = openpyxl.load_workbook(project.master)
    issues, schedule = wb["Issues"], wb["Schedule"]
    ih = {c.value: c.column for c in issues[4]}
    sh = {c.value: c.column for c in schedule[4]}
    issues.cell(5, ih["Resolution"]).value = "Agreed by phone"
    key = issues.cell(5, ih["Issue key"]).value
    schedule.cell(6, sh["Coordinator comment"]).value = "Chased on 10 Oct"
    code = schedule.cell(6, sh["Deliverable"]).value
    wb.save(project.master)
    project.build(as_of=AS_OF)
    assert next(r for r in table(project.master, "Issues") if r["Issue key"] == key)["Resolution"] == "Agreed by phone"
    assert next(r for r in table(project.master, "Schedule") if r["Deliverable"] == code)["Coordinator comment"] == "Chased on 10 Oct"


def test_decision_for_a_withdrawn_candidate_is_kept_as_orphaned(project: Workspace, demo_setup: ProjectSetup) -> None:
    first = next(r for r in table(project.master, "Living Labs") if "AAL" == r["Proposed by"])
    key = set_decision(project.master, first["Place"], "Include", "Visit planned")
    labs = [r for r in _entries(demo_setup, "AAL") if r["name"] != first["Place"]]
    make_return(project, demo_setup, "AAL", "AAL corrected.xlsx", LivingLabs=labs)
    project.collect(now=dt.datetime(2017, 10, 15, 9))
    project.build(as_of=AS_OF)
    assert key not in longlist(project.master)
    orphaned = table(project.master, "Orphaned decisions")
    assert [(r["Sheet"], r["Key"], r["Decision"], r["Note"]) for r in orphaned] == [("Living Labs", key, "Include", "Visit planned")]
    project.build(as_of=AS_OF)  # and it stays there
    assert len(table(project.master, "Orphaned decisions")) == 1


def _entries(setup: ProjectSetup, partner: str) -> list[dict]:
    from nc_excel.partner.simulate import partner_entries

    return partner_entries(setup, partner, 1).tables["LivingLabs"]


def test_rebuilding_twice_gives_the_same_workbook(project: Workspace) -> None:
    project.build(as_of=AS_OF)
    book = CalamineWorkbook.from_path(str(project.master))
    first = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    book.close()
    project.build(as_of=AS_OF)
    book = CalamineWorkbook.from_path(str(project.master))
    second = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    book.close()
    assert first == second


def test_setup_sheets_stay_as_the_coordinator_left_them(project: Workspace) -> None:
    wb = openpyxl.load_workbook(project.master)
    ws = wb["Partners"]
    ws["C5"].fill = openpyxl.styles.PatternFill("solid", fgColor="FF0000")
    ws["C5"].comment = openpyxl.comments.Comment("Check the legal name", "coordinator")
    ws.column_dimensions["C"].width = 55
    wb.save(project.master)
    before = values(project.master, "Partners")
    project.build(as_of=AS_OF)
    after = openpyxl.load_workbook(project.master)["Partners"]
    assert values(project.master, "Partners") == before
    assert after["C5"].fill.fgColor.rgb.endswith("FF0000")
    assert after["C5"].comment.text == "Check the legal name"
    assert after.column_dimensions["C"].width == 55
    assert project.setup() is not None


def test_a_coordinators_own_column_and_formatting_on_a_setup_sheet_survive_builds(project: Workspace) -> None:
    """The coordinator keeps a contact column beside the partner table, with a dropdown, a bold
    heading and a name of their own for it; two rebuilds later it is all still there, and the setup reads."""
    wb = openpyxl.load_workbook(project.master)
    ws = wb["Partners"]
    extra = ws.max_column + 2  # beyond the table, after an empty column
    ws.cell(4, extra, "Contact person").font = openpyxl.styles.Font(bold=True, color="1F3864")
    ws.cell(5, extra, "Anna Berg")
    ws.cell(5, extra + 1, "=LEN(A5)")
    ws.column_dimensions[ws.cell(4, extra).column_letter].width = 28
    ws.row_dimensions[5].height = 24
    ws["A5"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFC000")
    dv = openpyxl.worksheet.datavalidation.DataValidation(type="list", formula1='"Called,Mailed"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"{ws.cell(5, extra + 2).coordinate}:{ws.cell(30, extra + 2).coordinate}")
    wb.defined_names["contacts"] = openpyxl.workbook.defined_name.DefinedName("contacts", attr_text=f"'Partners'!${ws.cell(5, extra).column_letter}$5")
    wb.save(project.master)
    before = values(project.master, "Partners")
    project.build(as_of=AS_OF)
    project.build(as_of=AS_OF)
    book = openpyxl.load_workbook(project.master)
    after = book["Partners"]
    assert values(project.master, "Partners") == before
    assert after.cell(4, extra).font.b and after.cell(4, extra).font.color.rgb.endswith("1F3864")
    assert after.cell(5, extra + 1).value == "=LEN(A5)"
    assert after.column_dimensions[after.cell(4, extra).column_letter].width == 28 and after.row_dimensions[5].height == 24
    assert after["A5"].fill.fgColor.rgb.endswith("FFC000")
    assert any(dv.formula1 == '"Called,Mailed"' for dv in after.data_validations.dataValidation)
    assert "SetupPartners" in after.tables and after.freeze_panes == "B5"
    assert book.defined_names["contacts"].attr_text.endswith("$5") and book.defined_names["nc_project_folder"].attr_text == "'Settings'!$B$4"
    assert book.sheetnames[-1] == "Settings" and book.sheetnames[:2] == ["Contents", "Dashboard"]
    assert project.setup() is not None


def test_a_failed_rebuild_leaves_the_old_master(project: Workspace) -> None:
    before = project.master.read_bytes()

    def crash(done: int, total: int, label: str) -> None:
        if label == "replacing":
            raise KeyboardInterrupt  # the coordinator closes the window half way
    with pytest.raises(KeyboardInterrupt):
        project.build(as_of=AS_OF, progress=crash)
    assert project.master.read_bytes() == before
    assert not list(project.root.glob(".master-*"))


def test_a_master_open_in_excel_is_not_touched(project: Workspace) -> None:
    before = project.master.read_bytes()
    (project.root / "~$master.xlsx").write_bytes(b"lock")
    with pytest.raises(ProjectError, match="open in a spreadsheet application"):
        project.build(as_of=AS_OF)
    assert project.master.read_bytes() == before
    run = CliRunner().invoke(app, ["build", "--project", str(project.root), "--as-of", "2017-10-15"])
    assert run.exit_code == 2 and "Close it" in " ".join(run.output.split())


def test_old_master_is_backed_up(project: Workspace) -> None:
    before = project.master.read_bytes()
    result = project.build(as_of=AS_OF)
    assert result.backup is not None and result.backup.read_bytes() == before


def _damage(master: Path) -> None:
    master.write_bytes(master.read_bytes()[:5000])  # cut short, as by a crashed copy


def test_a_damaged_master_names_the_newest_backup_everywhere(project: Workspace, demo_setup: ProjectSetup) -> None:
    project.build(as_of=AS_OF)  # a second backup: the newest is the one to name
    newest = max((project.root / "backups").glob("master_*.xlsx"))
    assert len(list((project.root / "backups").glob("master_*.xlsx"))) == 2
    _damage(project.master)
    for action in (lambda: project.setup(), lambda: project.build(as_of=AS_OF), lambda: project.summary(1)):
        with pytest.raises(NcError) as info:
            action()
        assert "cannot be read" in str(info.value) and str(newest) in str(info.value) and "nc-excel restore" in str(info.value)
    with pytest.raises(MasterError, match="cannot be read") as info:
        read_decisions(project.master)
    assert str(newest) in str(info.value)
    with pytest.raises(SummaryError, match="cannot be read") as info:
        read_master(project.master, demo_setup)
    assert str(newest) in str(info.value)
    run = CliRunner().invoke(app, ["build", "--project", str(project.root), "--as-of", "2017-10-15"])
    assert run.exit_code == 2 and newest.name in "".join(run.output.split())


def test_restore_puts_the_newest_backup_back_and_keeps_the_damaged_master(project: Workspace) -> None:
    good = project.master.read_bytes()
    project.build(as_of=AS_OF)
    newest = max((project.root / "backups").glob("master_*.xlsx"))
    assert newest.read_bytes() == good
    _damage(project.master)
    damaged = project.master.read_bytes()
    (project.root / "~$master.xlsx").write_bytes(b"lock")
    run = CliRunner().invoke(app, ["restore", "--project", str(project.root)])
    assert run.exit_code == 2 and "Close it" in " ".join(run.output.split())
    assert project.master.read_bytes() == damaged
    (project.root / "~$master.xlsx").unlink()
    run = CliRunner().invoke(app, ["restore", "--project", str(project.root)])
    assert run.exit_code == 0, run.output
    assert project.master.read_bytes() == good and project.setup() is not None
    kept = sorted((project.root / "backups").glob("master_*.xlsx"))
    assert len(kept) == 3 and kept[-1].read_bytes() == damaged and kept[-1].stem.endswith("_replaced")  # the damaged master, backed up first
    assert "Restored" in run.output and kept[-1].name in "".join(run.output.split())
    assert project.newest_backup() == newest  # the damaged one is never offered as the newest
    assert not list(project.root.glob(".master-*")) and not list((project.root / "backups").glob(".master*"))
    assert project.build(as_of=AS_OF).period == 1  # and the cycle goes on


def test_restore_a_named_backup_and_refusals(project: Workspace) -> None:
    oldest = min((project.root / "backups").glob("master_*.xlsx"))
    result = project.restore(oldest.name)
    assert result.restored == project.root / "backups" / oldest.name and project.master.read_bytes() == oldest.read_bytes()
    assert result.replaced is not None and result.replaced.exists()
    assert project.restore(str(oldest)).restored == oldest  # a path works too
    run = CliRunner().invoke(app, ["restore", "--project", str(project.root), "master_nope.xlsx"])
    assert run.exit_code == 2 and "no backup master_nope.xlsx" in " ".join(run.output.split())
    broken = project.root / "backups" / "master_99999999T000000000000.xlsx"
    broken.write_bytes(b"not a workbook")
    before = project.master.read_bytes()
    with pytest.raises(ProjectError, match="cannot be read either"):
        project.restore()
    assert project.master.read_bytes() == before
    empty = Workspace.create(project.root.parent / "fresh")
    with pytest.raises(ProjectError, match="no backup"):
        empty.restore()


def test_partner_text_stays_text_in_the_master(project: Workspace, demo_setup: ProjectSetup) -> None:
    hostile = '=HYPERLINK("http://evil.example","win")'
    labs = _entries(demo_setup, "OSL")
    labs[0] = {**labs[0], "name": hostile}
    make_return(project, demo_setup, "OSL", "OSL v2.xlsx", LivingLabs=labs)
    project.collect(now=dt.datetime(2017, 10, 15, 9))
    project.build(as_of=AS_OF)
    ws = openpyxl.load_workbook(project.master)["Living Labs"]
    cell = next(c for row in ws.iter_rows(min_row=5) for c in row if c.value == hostile)
    assert cell.data_type == "s"


def test_cli_build_summary_and_bad_date(project: Workspace) -> None:
    run = CliRunner().invoke(app, ["build", "--project", str(project.root), "--as-of", "2017-10-15"])
    assert run.exit_code == 0, run.output
    assert "Returns merged: 19" in run.output and "shortlisted" in run.output
    bad = CliRunner().invoke(app, ["build", "--project", str(project.root), "--as-of", "15.10.2017"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
