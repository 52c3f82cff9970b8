"""Collect: partners' returns dropped in the inbox come out read, checked, archived and answered.

Returns are made the way partners make them: the generated template, filled in
(``nc_excel.simulate``), then edited the way people get it wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import GENERATED_AT, copy_project
from typer.testing import CliRunner

from nc_excel.cli import app
from nc_excel.folder import ProjectFolder
from nc_excel.intake.archive import Register
from nc_excel.partner.simulate import fill_workbook, partner_entries, rename_sheet
from nc_excel.setup.currency import rate_of
from nc_excel.setup.models import ProjectSetup
from nc_excel.spread import FEW
from nc_excel.workspace import Workspace

NOW = dt.datetime(2017, 10, 16, 9, 0)


@pytest.fixture()
def project(demo_project: Workspace, tmp_path: Path) -> Workspace:
    """The project with the period-1 templates, copied for the test to collect into."""
    return copy_project(demo_project, tmp_path)


_FILLED: dict[tuple[int, bytes, bytes], bytes] = {}
"""The returns made so far in this test process: (setup, template's digest, entries and overrides) -> the file."""
_SETUPS: dict[int, ProjectSetup] = {}
"""The setups of those keys, kept alive so that no other setup takes their id."""


def make_return(ws: Workspace, setup: ProjectSetup, partner: str, name: str | None = None, *, period: int = 1,
                overrides: dict | None = None, mtime: float | None = None, **entry_changes) -> Path:
    """A partner's filled-in return, dropped in the inbox (``mtime``: the file's modified time, which collect never trusts).

    ``fill_workbook`` writes the same bytes for the same template and entries (``partner.simulate.save``),
    and many tests send the same returns from copies of one project: a return made before is copied.
    """
    entries = partner_entries(setup, partner, period)
    for table, rows in entry_changes.items():
        entries.tables[table] = rows
    out = ws.root / "inbox" / (name or f"{partner}_report.xlsx")
    template = ws.outbox(period) / f"NC_P{period}_{partner}.xlsx"
    _SETUPS[id(setup)] = setup
    key = (id(setup), hashlib.sha256(template.read_bytes()).digest(), pickle.dumps((entries, sorted((overrides or {}).items()))))
    if key in _FILLED:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(_FILLED[key])
    else:
        _FILLED[key] = fill_workbook(template, out, entries, setup, overrides=overrides).read_bytes()
    if mtime is not None:
        os.utime(out, (mtime, mtime))
    return out


def codes_at(result, file: str) -> set[tuple[str, str | None, str | None]]:
    c = next(c for c in result.collected if c.path.name == file)
    return {(i.code, i.sheet, i.cell) for i in c.issues}


def status_of(result, file: str) -> str:
    return next(c.entry.status for c in result.collected if c.path.name == file)


def test_every_partner_return_is_accepted_and_archived(project: Workspace, demo_setup: ProjectSetup) -> None:
    for p in demo_setup.partners:
        make_return(project, demo_setup, p.code)
    result = project.collect(now=NOW)
    assert len(result.collected) == 21
    assert all(c.entry.accepted for c in result.collected), [(c.path.name, c.issues[:2]) for c in result.collected if not c.entry.accepted]
    archived = sorted((project.root / "archive" / "1").glob("*/*.xlsx"))
    assert len(archived) == 21
    assert all(not os.access(p, os.W_OK) or os.getuid() == 0 for p in archived)
    assert all(p.stat().st_mode & 0o222 == 0 for p in archived)
    entry = Register(project.root).latest_accepted("AAL", 1)
    assert entry is not None and entry.archived.startswith("archive/1/AAL/") and entry.archived.endswith(f"_{entry.sha256[:8]}.xlsx")


def test_a_second_run_skips_what_was_collected(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "HOE")
    project.collect(now=NOW)
    again = project.collect(now=NOW)
    assert again.collected == [] and again.skipped == 1
    assert len(Register(project.root).entries) == 1


def test_same_bytes_under_another_name_is_a_duplicate(project: Workspace, demo_setup: ProjectSetup) -> None:
    first = make_return(project, demo_setup, "HOE")
    project.collect(now=NOW)
    shutil.copy(first, project.root / "inbox" / "HOE again.xlsx")
    result = project.collect(now=NOW)
    assert status_of(result, "HOE again.xlsx") == "duplicate"
    assert ("duplicate-file", None, None) in codes_at(result, "HOE again.xlsx")
    assert len(list((project.root / "archive" / "1" / "HOE").iterdir())) == 1


def test_a_newer_return_supersedes_the_older_and_both_stay(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "OSL", "old.xlsx")
    project.collect(now=NOW)
    make_return(project, demo_setup, "OSL", "new.xlsx", overrides={("Progress", "F5"): "Corrected text"})
    project.collect(now=NOW)
    register = Register(project.root)
    old, new = register.entries
    assert old.superseded_by == new.sha256 and new.superseded_by is None
    assert register.latest_accepted("OSL", 1) == new
    assert len(list((project.root / "archive" / "1" / "OSL").iterdir())) == 2


def test_what_partners_type_is_tolerated(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "ALK", overrides={
        ("Finance", "D5"): "12.345,67",       # European number as text
        ("Finance", "D7"): "1 234,50",        # space as thousands separator
        ("Progress", "C5"): "  in PROGRESS ",  # case and spaces in a dropdown value
        ("Deliverables", "G5"): "31.10.2017",  # text date
        ("Indicators", "F5"): "2",            # number stored as text
        ("Finance", "B15"): "In control", ("Finance", "B16"): None,  # FLC not done yet
    })
    result = project.collect(now=NOW)
    c = result.collected[0]
    assert c.entry.accepted, c.issues
    finance = c.ret.rows("Finance")
    assert str(finance[0]["declared"]) == "12345.67" and str(finance[2]["declared"]) == "1234.50"
    # the partner is told which numbers were read from text, and as what: a note, not a warning
    notes = {(i.sheet, i.cell): i for i in c.issues if i.code == "number-from-text"}
    assert set(notes) == {("Finance", "D5"), ("Finance", "D7"), ("Indicators", "F5")}
    assert {str(i.severity) for i in notes.values()} == {"note"}
    assert "read as the number 12345.67" in notes["Finance", "D5"].message
    assert c.entry.feedback is not None  # the feedback workbook carries the notes to the partner
    assert c.ret.rows("Progress")[0]["status"] == "In progress"
    assert c.ret.rows("Deliverables")[0]["date"] == dt.date(2017, 10, 31)


def test_a_number_read_from_text_is_a_note_that_leaves_the_return_accepted(project: Workspace, demo_setup: ProjectSetup) -> None:
    staff = partner_entries(demo_setup, "AAL", 1).tables["Finance"][0]["declared"]
    make_return(project, demo_setup, "AAL", overrides={("Finance", "D5"): f"{staff:,.2f}".replace(",", " ").replace(".", ",")})  # 12 345,67
    [c] = project.collect(now=dt.datetime(2017, 10, 12, 9)).collected  # in time: nothing else to say
    assert c.entry.status == "accepted", [(i.code, i.cell) for i in c.issues]
    assert [(i.code, i.cell) for i in c.issues] == [("number-from-text", "D5")]
    assert (c.entry.errors, c.entry.warnings) == (0, 0)
    assert c.entry.feedback is not None  # the note reaches the partner in a feedback workbook
    noted = openpyxl.load_workbook(project.root / c.entry.feedback)["Finance"]["D5"]
    assert noted.comment is not None and f"read as the number {staff}" in noted.comment.text
    assert noted.fill.fgColor.rgb.endswith("DDEBF7")  # marked blue: nothing to correct, not flagged red like an error


# (what the partner did, the change, expected code, sheet, cell)
CELL_CASES = [
    ("ambiguous number", {("Finance", "D5"): "1.234"}, "ambiguous-number", "Finance", "D5"),
    ("text in a number cell", {("Finance", "D7"): "about 300"}, "not-a-number", "Finance", "D7"),
    ("negative amount", {("Finance", "D7"): -50}, "negative-amount", "Finance", "D7"),
    ("not a choice", {("Progress", "C5"): "Almost there"}, "not-a-choice", "Progress", "C5"),
    ("percent out of range", {("Progress", "D5"): 140}, "out-of-range", "Progress", "D5"),
    ("fraction where a whole number belongs", {("Progress", "D5"): 42.5}, "not-a-whole-number", "Progress", "D5"),
    ("required input cleared", {("Progress", "E5"): None}, "required", "Progress", "E5"),
    ("completed below 100 %", {("Progress", "C5"): "Done", ("Progress", "D5"): 80}, "completed-below-100", "Progress", "D5"),
    ("done without a date", {("Deliverables", "F5"): "Done", ("Deliverables", "G5"): None}, "done-without-date", "Deliverables", "G5"),
    ("date outside the project", {("Deliverables", "G5"): dt.datetime(2022, 1, 1)}, "date-outside-window", "Deliverables", "G5"),
    ("not a date", {("Deliverables", "G5"): "soon"}, "not-a-date", "Deliverables", "G5"),
    ("text too long", {("Progress", "E5"): "x" * 2100}, "too-long", "Progress", "E5"),
    ("office typed over", {("Finance", "D6"): 99999}, "flat-rate-mismatch", "Finance", "D6"),
    ("certified above declared", {("Finance", "B15"): "Certified", ("Finance", "B16"): 9_999_999}, "certified-above-declared", "Finance", "B16"),
    ("certified without amount", {("Finance", "B15"): "Certified", ("Finance", "B16"): None}, "certified-without-amount", "Finance", "B16"),
    ("control before submission", {("Finance", "B17"): dt.datetime(2017, 1, 1)}, "control-before-submission", "Finance", "B17"),
    ("over the spending limit", {("Finance", "D5"): 9_000_000}, "over-budget-limit", "Finance", "D5"),
    ("bad e-mail", {("Start", "B22"): "not an address"}, "invalid-value", "Start", "B22"),
    ("living lab region not in the setup", {("Living Labs", "C5"): "Atlantis"}, "not-a-choice", "Living Labs", "C5"),
    ("living lab score off the scale", {("Living Labs", "Q5"): 9}, "out-of-range", "Living Labs", "Q5"),
    ("knock-out answered yes", {("Living Labs", "M5"): "Yes"}, "knock-out-yes", "Living Labs", "M5"),
]


@pytest.mark.parametrize("what, overrides, code, sheet, cell", CELL_CASES, ids=[c[0] for c in CELL_CASES])
def test_each_mistake_is_reported_at_its_cell(project: Workspace, demo_setup: ProjectSetup, what, overrides, code, sheet, cell) -> None:
    make_return(project, demo_setup, "AAR", overrides=overrides)
    result = project.collect(now=NOW)
    assert (code, sheet, cell) in codes_at(result, "AAR_report.xlsx")


def test_all_problems_at_once_and_a_rejected_return_is_not_archived(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "AAR", overrides={("Finance", "D5"): "1.234", ("Progress", "C5"): "Almost", ("Progress", "D6"): 300})
    result = project.collect(now=NOW)
    found = codes_at(result, "AAR_report.xlsx")
    assert {("ambiguous-number", "Finance", "D5"), ("not-a-choice", "Progress", "C5"), ("out-of-range", "Progress", "D6")} <= found
    assert status_of(result, "AAR_report.xlsx") == "rejected"
    assert not (project.root / "archive" / "1" / "AAR").exists()
    assert Register(project.root).entries[0].status == "rejected"


def test_a_renamed_sheet_a_moved_and_an_extra_column_still_read(project: Workspace, demo_setup: ProjectSetup) -> None:
    path = make_return(project, demo_setup, "BRG")
    wb = openpyxl.load_workbook(path)
    rename_sheet(wb, "Progress", "Fremdrift")
    ws = wb["Indicators"]
    ws.insert_cols(2)  # a column the partner added, before the others
    ws["B4"] = "My notes"
    del ws.tables["Indicators"]  # Excel would have grown the table; without it the header row finds it
    wb.save(path)
    result = project.collect(now=NOW)
    c = result.collected[0]
    assert ("extra-column", "Indicators", "B4") in codes_at(result, path.name)
    assert c.entry.status == "accepted with warnings"
    assert [r["work_package"] for r in c.ret.rows("Progress")] == [w.code for w in demo_setup.work_packages if "BRG" in w.partners]
    assert c.ret.sheets["Progress"] == "Fremdrift"
    assert all(r["achieved"] is not None for r in c.ret.rows("Indicators"))


def test_a_renamed_start_sheet_is_found_by_its_labels(project: Workspace, demo_setup: ProjectSetup, tmp_path: Path) -> None:
    plain = Workspace.create(tmp_path / "plain", demo_setup)
    plain.generate_templates(1, ["BRG"], now=GENERATED_AT)
    make_return(plain, demo_setup, "BRG")
    [as_sent] = plain.collect(now=NOW).collected
    path = make_return(project, demo_setup, "BRG")
    wb = openpyxl.load_workbook(path)
    rename_sheet(wb, "Start", "Forside")
    wb.save(path)
    [c] = project.collect(now=NOW).collected
    assert c.entry.accepted and c.entry.status == as_sent.entry.status, [(i.code, i.sheet, i.cell) for i in c.issues]
    assert [(i.code, i.sheet, i.cell) for i in c.issues] == [(i.code, i.sheet, i.cell) for i in as_sent.issues]
    assert c.ret.sheets["Submission"] == "Forside"
    assert c.ret.form("Submission") == as_sent.ret.form("Submission")
    assert c.ret.form("Submission")["contact_email"] == partner_entries(demo_setup, "BRG", 1).forms["Submission"]["contact_email"]
    assert {t: c.ret.rows(t) for t in c.ret.tables} == {t: as_sent.ret.rows(t) for t in as_sent.ret.tables}


def test_inserted_blank_rows_in_living_labs(project: Workspace, demo_setup: ProjectSetup) -> None:
    path = make_return(project, demo_setup, "ENV")
    wb = openpyxl.load_workbook(path)
    before = sum(1 for r in range(5, 35) if wb["Living Labs"][f"A{r}"].value)
    wb["Living Labs"].insert_rows(6, 2)
    wb.save(path)
    result = project.collect(now=NOW)
    assert len(result.collected[0].ret.rows("LivingLabs")) == before


META_CASES = [
    ("template copied to another partner", {"B3": "HOE"}, "digest-mismatch"),
    ("another project", {"B2": "XY"}, "other-project"),
    ("unknown partner", {"B3": "ZZZ"}, "unknown-partner"),
    ("period the project does not have", {"B4": 9}, "other-period"),
    ("older schema", {"B1": 0}, "old-schema"),
    ("seal edited", {"B6": "0" * 32}, "digest-mismatch"),
]


@pytest.mark.parametrize("what, changes, code", META_CASES, ids=[c[0] for c in META_CASES])
def test_whose_return_it_is_comes_from_the_metadata(project: Workspace, demo_setup: ProjectSetup, what, changes, code) -> None:
    path = make_return(project, demo_setup, "FKC")
    wb = openpyxl.load_workbook(path)
    for cell, value in changes.items():
        wb["_nc_meta"][cell] = value
    wb.save(path)
    result = project.collect(now=NOW)
    assert status_of(result, path.name) == "rejected"
    assert code in {i.code for i in result.collected[0].issues}
    assert not (project.root / "archive" / "1").exists()


def test_the_template_of_a_period_not_yet_begun(project: Workspace, demo_setup: ProjectSetup) -> None:
    project.generate_templates(2, ["RSD"], now=GENERATED_AT)
    make_return(project, demo_setup, "RSD", period=2)
    result = project.collect(now=NOW)
    assert status_of(result, "RSD_report.xlsx") == "rejected"
    assert ("future-period", "Start", None) in codes_at(result, "RSD_report.xlsx")


def test_a_workbook_not_made_from_the_template(project: Workspace) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Our own report"
    wb.save(project.root / "inbox" / "own.xlsx")
    result = project.collect(now=NOW)
    assert status_of(result, "own.xlsx") == "not a return"
    assert {i.code for i in result.collected[0].issues} == {"no-metadata"}


def test_a_file_that_is_not_a_return_makes_collect_exit_1(project: Workspace) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Our own report"
    wb.save(project.root / "inbox" / "own.xlsx")
    run = CliRunner().invoke(app, ["collect", "--project", str(project.root)])
    assert run.exit_code == 1, run.output
    assert "not a return" in run.stdout and "1 file(s) are not returns of this project" in run.stdout
    assert "inbox/own.xlsx" in " ".join(run.stdout.split())


def test_hidden_files_lock_files_and_symlinks_are_listed_as_ignored(project: Workspace, demo_setup: ProjectSetup, tmp_path: Path) -> None:
    make_return(project, demo_setup, "AAL")
    inbox = project.root / "inbox"
    shutil.copy(inbox / "AAL_report.xlsx", inbox / ".hidden_copy.xlsx")
    (inbox / "~$AAL_report.xlsx").write_bytes(b"lock")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    make_return(project, demo_setup, "HOE")
    shutil.move(inbox / "HOE_report.xlsx", outside / "HOE_report.xlsx")  # a good return, but outside the project
    (inbox / "HOE_link.xlsx").symlink_to(outside / "HOE_report.xlsx")
    (inbox / "linked_folder").symlink_to(outside, target_is_directory=True)
    result = project.collect(now=NOW)
    assert [c.path.name for c in result.collected] == ["AAL_report.xlsx"]
    why = {g.path.name: g.reason for g in result.ignored}
    assert set(why) == {".hidden_copy.xlsx", "~$AAL_report.xlsx", "HOE_link.xlsx", "linked_folder"}
    assert "hidden" in why[".hidden_copy.xlsx"] and "lock" in why["~$AAL_report.xlsx"]
    assert "symbolic link" in why["HOE_link.xlsx"] and "symbolic link" in why["linked_folder"]
    assert not (project.root / "archive" / "1" / "HOE").exists()
    assert Register(project.root).latest_accepted("HOE", 1) is None
    (inbox / "AAL_report.xlsx").unlink()
    run = CliRunner().invoke(app, ["collect", "--project", str(project.root)])
    assert run.exit_code == 0, run.output
    out = " ".join(run.stdout.split())
    assert "4 file(s) in the inbox were ignored" in out
    assert "inbox/HOE_link.xlsx: a symbolic link" in out and "inbox/.hidden_copy.xlsx: a hidden file" in out
    as_json = json.loads(CliRunner().invoke(app, ["collect", "--project", str(project.root), "--json"]).stdout)
    assert {g["file"] for g in as_json["ignored"]} == {"inbox/.hidden_copy.xlsx", "inbox/~$AAL_report.xlsx", "inbox/HOE_link.xlsx", "inbox/linked_folder"}


def test_a_bad_file_costs_nothing_already_collected(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "SCE")
    project.collect(now=NOW)
    archived = sorted((project.root / "archive").rglob("*.xlsx"))
    (project.root / "inbox" / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    result = project.collect(now=NOW)
    assert status_of(result, "broken.xlsx") == "rejected"
    assert sorted((project.root / "archive").rglob("*.xlsx")) == archived
    assert Register(project.root).latest_accepted("SCE", 1) is not None


@pytest.mark.parametrize("records", [True, False], ids=["from-records", "records-deleted"])
def test_the_same_place_proposed_by_two_partners_is_said_to_the_second_only(project: Workspace, demo_setup: ProjectSetup, records: bool) -> None:
    """FHH proposes a place, then EEH the same (spelt differently): EEH is told, FHH never, not even when it corrects its report.
    What FHH proposed is read from its return's record, or from its archived workbook when the records are gone."""
    place = partner_entries(demo_setup, "FHH", 1).tables["LivingLabs"][0]
    entries = partner_entries(demo_setup, "EEH", 1).tables["LivingLabs"]
    make_return(project, demo_setup, "FHH")
    project.collect(now=NOW)
    if not records:
        shutil.rmtree(ProjectFolder(project.root).parsed("0").parent)
    make_return(project, demo_setup, "EEH", LivingLabs=[{**place, "name": place["name"].upper() + " "}] + entries)
    eeh = project.collect(now=NOW).collected[0]
    [said] = [i for i in eeh.issues if i.code == "place-proposed-before" and i.cell == "A5"]
    assert "proposed by FHH before you" in said.message and "agree with FHH" in said.hint
    make_return(project, demo_setup, "FHH", "FHH_corrected.xlsx")
    fhh = project.collect(now=NOW).collected[0]
    assert fhh.entry.partner == "FHH" and not [i for i in fhh.issues if i.code == "place-proposed-before"]


def test_in_one_run_the_first_file_by_name_proposed_the_place_first_however_long_it_takes_to_read(project: Workspace, demo_setup: ProjectSetup) -> None:
    """The files of one run are received in the order of their names: the second of two returns proposing
    the same place is told, even when the first takes the workers longer to read (here: a large notes sheet)."""
    place = partner_entries(demo_setup, "FHH", 1).tables["LivingLabs"][0]
    first = make_return(project, demo_setup, "FHH", "a_FHH.xlsx")
    wb = openpyxl.load_workbook(first)
    notes = wb.create_sheet("Notes")
    for row in range(1, 4001):
        notes.append([f"note {row}.{col}" for col in range(40)])
    wb.save(first)
    make_return(project, demo_setup, "EEH", "b_EEH.xlsx", LivingLabs=[{**place, "name": place["name"].upper()}])
    result = project.collect(now=NOW)
    told = {c.entry.partner for c in result.collected if any(i.code == "place-proposed-before" for i in c.issues)}
    assert told == {"EEH"}


def test_a_template_of_a_later_period_is_answered_with_the_right_template_never_other_dates(project: Workspace, demo_setup: ProjectSetup) -> None:
    project.generate_templates(2, ["RSD"], now=GENERATED_AT)
    make_return(project, demo_setup, "RSD", period=2)
    found = project.collect(now=NOW).collected[0].issues
    assert [i.code for i in found if i.severity == "error"] == ["future-period"]
    assert "template of period 1" in found[0].hint and "Keep your dates" in found[0].hint
    assert not any("Enter a date" in i.hint for i in found)


def feedback_list(path: Path) -> list[tuple[str, str]]:
    """(severity, problem) of each line on a feedback workbook's first sheet."""
    ws = openpyxl.load_workbook(path)["Feedback"]
    return [(ws.cell(r, 2).value, ws.cell(r, 6).value) for r in range(5, ws.max_row + 1) if ws.cell(r, 2).value]


def test_each_submission_keeps_its_own_feedback_and_the_plain_name_holds_the_latest(project: Workspace, demo_setup: ProjectSetup) -> None:
    """ALK sends two rejected returns, then a clean one: the first rejection's reasons are never overwritten by the second's."""
    feedback, day = project.root / "feedback" / "1", dt.datetime(2017, 10, 10, 9, 0)  # before the deadline: not late
    make_return(project, demo_setup, "ALK", overrides={("Finance", "D5"): "1.234"})
    first = project.collect(now=day).collected[0].entry
    make_return(project, demo_setup, "ALK", "ALK_corrected.xlsx", overrides={("Progress", "D5"): 150})
    second = project.collect(now=day + dt.timedelta(hours=2)).collected[0].entry
    assert (first.status, second.status) == ("rejected", "rejected")
    assert [Path(e.feedback).name for e in (first, second)] == ["NC_P1_ALK_feedback_2017-10-10_0900_no1.xlsx", "NC_P1_ALK_feedback_2017-10-10_1100_no2.xlsx"]
    assert any("thousands" in problem for _, problem in feedback_list(project.root / first.feedback))
    assert not any("thousands" in problem for _, problem in feedback_list(project.root / second.feedback))
    assert feedback_list(feedback / "NC_P1_ALK_feedback.xlsx") == feedback_list(project.root / second.feedback)
    make_return(project, demo_setup, "ALK", "ALK_final.xlsx")
    third = project.collect(now=day + dt.timedelta(hours=4)).collected[0].entry
    assert third.accepted and third.feedback is None
    assert not (feedback / "NC_P1_ALK_feedback.xlsx").exists()  # no earlier problems shown as the latest
    assert sorted(p.name for p in feedback.iterdir()) == [Path(first.feedback).name, Path(second.feedback).name]


def test_feedback_workbook_points_at_each_wrong_cell(project: Workspace, demo_setup: ProjectSetup) -> None:
    hostile = '=HYPERLINK("http://evil.example","click me")'
    make_return(project, demo_setup, "ICV", overrides={("Finance", "D5"): "1.234", ("Progress", "E5"): hostile})
    result = project.collect(now=NOW)
    feedback = project.root / result.collected[0].entry.feedback
    assert feedback.name == "NC_P1_ICV_feedback_2017-10-16_0900_no1.xlsx"
    assert (feedback.parent / "NC_P1_ICV_feedback.xlsx").read_bytes() == feedback.read_bytes()
    wb = openpyxl.load_workbook(feedback)
    assert wb.sheetnames[0] == "Feedback"
    listed = [(wb["Feedback"].cell(r, 3).value, wb["Feedback"].cell(r, 2).value) for r in range(5, 10) if wb["Feedback"].cell(r, 2).value]
    assert ("Finance!D5", "error") in listed
    link = next(wb["Feedback"].cell(r, 3) for r in range(5, 10) if wb["Feedback"].cell(r, 3).value == "Finance!D5")
    assert link.hyperlink.location == "'Finance'!D5"
    row = wb["Feedback"][link.row]
    assert {c.alignment.vertical for c in row[1:]} == {"top"}  # the link too, level with the rest of its line
    assert all(c.alignment.wrap_text for c in row[2:])  # long values and messages wrap in their columns
    cell = wb["Finance"]["D5"]
    assert cell.value == "1.234" and cell.comment is not None and "thousands" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    text = wb["Progress"]["E5"]
    assert text.value == hostile and text.data_type == "s"
    meta = {row[0].value: row[1].value for row in wb["_nc_meta"].iter_rows(max_col=2)}
    assert (meta["partner"], meta["period"]) == ("ICV", 1)


def test_feedback_lists_the_value_found_in_the_flagged_cell(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "SHL", overrides={("Progress", "C5"): "Done", ("Progress", "D5"): 85})
    result = project.collect(now=NOW)
    wb = openpyxl.load_workbook(project.root / result.collected[0].entry.feedback)
    rows = {wb["Feedback"].cell(r, 3).value: wb["Feedback"].cell(r, 5).value for r in range(5, 12) if wb["Feedback"].cell(r, 3).value}
    assert rows["Progress!D5"] == 85  # the cell's content, not the work package WP1 the message names


def test_corrected_feedback_workbook_is_accepted(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "ICV", overrides={("Finance", "D5"): "1.234", ("Finance", "B15"): "In control", ("Finance", "B16"): None})
    result = project.collect(now=NOW)
    feedback = project.root / result.collected[0].entry.feedback
    wb = openpyxl.load_workbook(feedback)
    wb["Finance"]["D5"] = 1234.0  # the partner corrects the flagged cell
    wb.save(project.root / "inbox" / "ICV corrected.xlsx")
    again = project.collect(now=NOW)
    assert status_of(again, "ICV corrected.xlsx") in ("accepted", "accepted with warnings")
    assert Register(project.root).latest_accepted("ICV", 1).file.endswith("ICV corrected.xlsx")


def test_next_period_template_carries_over_the_accepted_return(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "OSL")
    result = project.collect(now=NOW)
    ret = result.collected[0].ret
    project.generate_templates(2, ["OSL"], now=NOW)
    wb = openpyxl.load_workbook(project.outbox(2) / "NC_P2_OSL.xlsx")
    staff_declared = ret.rows("Finance")[0]["declared"]  # Oslo declares in NOK; "Declared before" is in EUR, at the rate of its month of submission
    rate = rate_of(demo_setup.rates, "NOK", ret.form("Submission")["submitted_on"])
    assert wb["Finance"]["C5"].value == pytest.approx(float(staff_declared / rate), abs=0.005)
    first_indicator = ret.rows("Indicators")[0]
    assert wb["Indicators"]["E5"].value == pytest.approx(float(first_indicator["achieved"]))
    labs = ret.rows("LivingLabs")
    assert wb["Living Labs"]["A5"].value == labs[0]["name"]


def test_cli_collect_json_and_exit_codes(project: Workspace, demo_setup: ProjectSetup) -> None:
    make_return(project, demo_setup, "AAL")
    make_return(project, demo_setup, "HOE", overrides={("Finance", "D5"): "1.234"})
    run = CliRunner().invoke(app, ["collect", "--project", str(project.root), "--json"])
    assert run.exit_code == 1, run.output
    payload = json.loads(run.stdout)
    assert {r["status"] for r in payload["returns"]} >= {"rejected"}
    bad = next(i for i in payload["issues"] if i["code"] == "ambiguous-number")
    assert set(bad) == {"code", "severity", "level", "partner", "period", "file", "sheet", "cell", "field", "value", "message", "hint"}
    assert (bad["partner"], bad["level"], bad["sheet"], bad["cell"]) == ("HOE", "cell", "Finance", "D5")
    again = CliRunner().invoke(app, ["collect", "--project", str(project.root)])
    assert again.exit_code == 0 and "skipped" in again.stdout
    missing = CliRunner().invoke(app, ["collect", "--project", str(project.root / "nope")])
    assert missing.exit_code == 2


def test_a_deliverable_due_after_the_period_may_be_left_without_a_status(project: Workspace, demo_setup: ProjectSetup) -> None:
    """AAL's D1.1 was due in February 2017, D1.2 only in December: period 1 asks for the first's status, not the second's."""
    make_return(project, demo_setup, "AAL", overrides={("Deliverables", "F5"): None, ("Deliverables", "F6"): None})
    result = project.collect(now=NOW)
    assert ("required", "Deliverables", "F5") in codes_at(result, "AAL_report.xlsx")
    assert not any(cell == "F6" for _, _, cell in codes_at(result, "AAL_report.xlsx"))


def test_a_work_package_completed_in_an_older_template_reads_as_done(project: Workspace, demo_setup: ProjectSetup) -> None:
    """Templates once offered Completed on Progress and Done on Deliverables; both sheets now say Done, and old returns still read."""
    make_return(project, demo_setup, "AAL", overrides={("Progress", "C5"): "Completed", ("Progress", "D5"): 100})
    [c] = project.collect(now=NOW).collected
    assert not [i for i in c.issues if i.cell == "C5"]
    assert c.ret.rows("Progress")[0]["status"] == "Done"


def test_the_answers_of_a_busy_run_are_each_written_before_their_register_line(project: Workspace, demo_setup: ProjectSetup) -> None:
    """Seven rejected returns in one run, their feedback workbooks written two at a time: each register line names
    its own workbook, and a partner's plain-named feedback is that of its last submission in the run."""
    codes = [p.code for p in demo_setup.partners][:6]
    assert len(codes) + 1 > FEW  # enough workbooks to be written by the workers, not one after another here
    for code in codes:
        make_return(project, demo_setup, code, f"{code}_a.xlsx", overrides={("Finance", "D5"): "1.234"})
    make_return(project, demo_setup, codes[0], f"{codes[0]}_b.xlsx", overrides={("Progress", "D5"): 150})
    make_return(project, demo_setup, codes[1], f"{codes[1]}_b.xlsx", LivingLabs=[])  # clean: its rejection earlier in the run is no longer the latest word
    result = project.collect(now=dt.datetime(2017, 10, 10, 9, 0))
    entries = {c.path.name: c.entry for c in result.collected}
    feedback = project.root / "feedback" / "1"
    for code in codes:
        first = entries[f"{code}_a.xlsx"]
        assert first.status == "rejected"
        assert any("thousands" in problem for _, problem in feedback_list(project.root / first.feedback))
    again = entries[f"{codes[0]}_b.xlsx"]
    assert not any("thousands" in problem for _, problem in feedback_list(project.root / again.feedback))
    assert feedback_list(feedback / f"NC_P1_{codes[0]}_feedback.xlsx") == feedback_list(project.root / again.feedback)
    assert entries[f"{codes[1]}_b.xlsx"].accepted and entries[f"{codes[1]}_b.xlsx"].feedback is None
    assert not (feedback / f"NC_P1_{codes[1]}_feedback.xlsx").exists()
    assert [(e.seq, e.file, e.feedback) for e in Register(project.root).entries] == [
        (c.entry.seq, c.entry.file, c.entry.feedback) for c in result.collected
    ]


def test_a_staged_register_line_is_written_as_it_stood(project: Workspace, demo_setup: ProjectSetup) -> None:
    """A run that stops after writing its first file's line (its second, which replaces it, staged but never
    written) leaves a register in which the first return counts: not one replaced by a file the register lacks."""
    make_return(project, demo_setup, "ALK", "ALK_1.xlsx")
    make_return(project, demo_setup, "ALK", "ALK_2.xlsx", overrides={("Progress", "F5"): "Second version"})
    collected = project.collect(now=dt.datetime(2017, 10, 10, 9, 0)).collected
    first, second = (c.entry.model_copy(update={"superseded_by": None}) for c in collected)
    project.register.unlink()
    register = Register(project.root)
    write_first, _ = register.stage(first), register.stage(second)
    assert register.latest_accepted("ALK", 1).file == "inbox/ALK_2.xlsx"  # in memory at once
    write_first()
    assert Register(project.root).latest_accepted("ALK", 1).file == "inbox/ALK_1.xlsx"
    assert [e.file for e in Register(project.root).entries] == ["inbox/ALK_1.xlsx"]
