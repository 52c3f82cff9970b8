"""Living labs across periods: each partner's latest list counts, Selected labs stay, changes are shown.

One story, played with real files: in period 1 every partner proposes its places and
the master is built; the coordinator types "Selected" for two of Aalborg's places. In
period 2 Aalborg's template asks about those two labs instead of for candidates,
Oslo (OSL) drops the place it had on top of the shortlist and changes another, two
partners send their lists unchanged and the others send nothing yet; the master of
period 2 shows what that did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from conftest import copy_project
from conftest import sheet_values as values
from test_collect import make_return
from test_master import set_decision, table
from typer.testing import CliRunner

from nc_excel.cli import app
from nc_excel.excel.schema import HEADER_ROW
from nc_excel.partner.simulate import partner_entries
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

SELECTING, DROPPING = "AAL", "OSL"
UNCHANGED = ("HOE", "ORC")  # send their period-1 lists again; the other partners send no period-2 return


@dataclass
class Story:
    ws: Workspace
    p1_master: Path  # the master as built for period 1
    selected: list[dict]  # Aalborg's two places the coordinator selected, as the period-1 long list shows them
    dropped: dict  # Oslo's shortlisted place it left out of its period-2 list
    changed: dict  # Oslo's place whose companies it changed
    rejected: str  # Aalborg's first period-2 return, with text for a number


def labs(setup: ProjectSetup, partner: str) -> list[dict]:
    """The partner's period-1 list, as it sent it."""
    return partner_entries(setup, partner, 1).tables["LivingLabs"]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> Story:
    ws = copy_project(demo_project, tmp_path_factory.mktemp("labs"))  # the period-1 templates sent
    for p in demo_setup.partners:
        make_return(ws, demo_setup, p.code)
    ws.collect(now=dt.datetime(2017, 10, 14, 9))
    ws.build(as_of=dt.date(2017, 10, 20), period=1)
    p1_master = ws.root / "p1_master.xlsx"
    p1_master.write_bytes(ws.master.read_bytes())

    # The coordinator confirms two of Aalborg's places, neither of them at the top of the ranking.
    places = table(ws.master, "Living Labs")
    aalborg = [p for p in places if p["Proposed by"] == SELECTING and p["Eligible"] == "Yes"]
    selected = aalborg[-2:]
    for p in selected:
        set_decision(ws.master, p["Place"], "Selected", "Confirmed by the steering group")

    # Period 2: Aalborg reports on its labs (first with text for a number), Oslo changes its list.
    ws.generate_templates(2, now=dt.datetime(2018, 4, 1, 9))
    oslo = labs(demo_setup, DROPPING)
    shortlisted = {p["Place"] for p in places if p["Shortlisted"] == "Yes" and p["Proposed by"] == DROPPING}
    dropped = next(r for r in oslo if r["name"] in shortlisted)
    changed = next(r for r in oslo if r is not dropped)
    new_list = [{**r, "companies": r["companies"] + 5} if r is changed else r for r in oslo if r is not dropped]
    make_return(ws, demo_setup, DROPPING, period=2, LivingLabs=new_list)
    for code in UNCHANGED:
        make_return(ws, demo_setup, code, period=2, LivingLabs=labs(demo_setup, code))
    progress = [{"name": p["Place"], "companies": 14 + i, "activities": f"Two workshops with the companies of {p['Place']}.",
                 "next_steps": "Open the test site to the public."} for i, p in enumerate(selected)]
    rejected = "AAL first try.xlsx"
    make_return(ws, demo_setup, SELECTING, rejected, period=2, SelectedLabs=[{**progress[0], "companies": "a dozen"}, progress[1]])
    ws.collect(now=dt.datetime(2018, 5, 20, 9))
    make_return(ws, demo_setup, SELECTING, "AAL corrected.xlsx", period=2, SelectedLabs=progress)
    ws.collect(now=dt.datetime(2018, 5, 22, 9))
    ws.build(as_of=dt.date(2018, 5, 25), period=2)
    ws.generate_templates(3, [SELECTING, DROPPING], now=dt.datetime(2018, 10, 1, 9))
    return Story(ws, p1_master, selected, dropped, changed, rejected)


def longlist(master: Path) -> dict[str, dict]:
    return {r["Place"]: r for r in table(master, "Living Labs")}


CHANGE = "Since the partner's previous list"


def test_in_period_1_every_place_is_new_and_there_is_no_earlier_shortlist(story: Story) -> None:
    assert {r[CHANGE] for r in longlist(story.p1_master).values()} == {"New"}
    choices = [dv.formula1 for dv in openpyxl.load_workbook(story.p1_master)["Living Labs"].data_validations.dataValidation]
    assert choices == ['"Include,Exclude,Selected"']
    assert values(story.p1_master, "Shortlist changes")[1][0] == "Period 1 has no earlier shortlist to compare with."


def test_a_place_its_partner_dropped_leaves_the_long_list_and_a_changed_one_says_what_changed(story: Story) -> None:
    now = longlist(story.ws.master)
    assert story.dropped["name"] in longlist(story.p1_master)
    assert story.dropped["name"] not in now
    assert now[story.changed["name"]][CHANGE] == "Changed (Companies involved)"
    assert now[story.changed["name"]]["Companies"] == story.changed["companies"] + 5
    others = [r for r in now.values() if r["Proposed by"] == DROPPING and r["Place"] != story.changed["name"]]
    assert others and {r[CHANGE] for r in others} == {"Unchanged"}
    assert {r[CHANGE] for r in now.values() if r["Proposed by"] in UNCHANGED} == {"Unchanged"}
    assert table(story.ws.master, "Orphaned decisions") == []


def test_the_list_of_a_partner_that_sent_none_since_still_counts(story: Story) -> None:
    before, now = longlist(story.p1_master), longlist(story.ws.master)
    silent = [place for place, r in before.items() if r["Proposed by"] == "EEH"]
    assert silent and all(now[place][CHANGE] == "New" for place in silent)


def test_the_selected_labs_stay_selected_and_take_their_regions_places(story: Story) -> None:
    now = longlist(story.ws.master)
    for p in story.selected:
        row = now[p["Place"]]
        assert (row["Decision"], row["Coordinator note"], row["Shortlisted"]) == ("Selected", "Confirmed by the steering group", "Yes")
        assert row["Reason"].startswith("Selected by the coordinator")
    region = story.selected[0]["Region"]
    shortlist = [r["Place"] for r in table(story.ws.master, "Shortlist") if r["Region"] == region]
    assert sorted(shortlist) == sorted(p["Place"] for p in story.selected)


def test_the_shortlist_changes_since_period_1_are_listed_and_counted_on_the_shortlist_sheet(story: Story) -> None:
    changes = table(story.ws.master, "Shortlist changes")
    left = next(r for r in changes if r["Place"] == story.dropped["name"])
    assert (left["Change"], left["Now"]) == ("Left the shortlist", "No longer proposed")
    assert left["In the previous period"].startswith("Rank ")
    assert {r["Change"] for r in changes} == {"Left the shortlist", "Joined the shortlist"}
    assert values(story.ws.master, "Shortlist changes")[0][0] == f"{len(changes)} shortlist change(s) since period 1"
    note = openpyxl.load_workbook(story.ws.master)["Shortlist"]["A2"]
    assert note.value == f"{len(changes)} shortlist change(s) since period 1: see the sheet Shortlist changes."
    assert note.font.bold and note.font.color.rgb.endswith("9C0006")


def test_the_build_command_says_how_many_places_changed_on_the_shortlist(story: Story) -> None:
    run = CliRunner().invoke(app, ["build", "--project", str(story.ws.root), "--period", "2", "--as-of", "2018-05-25"])
    changes = table(story.ws.master, "Shortlist changes")
    assert run.exit_code == 0
    assert f"{len(changes)} shortlist change(s) since period 1: see the sheet Shortlist changes." in " ".join(run.output.split())


def selected_sheet(template: Path) -> list[tuple]:
    """Place and municipality of each row of the Selected living labs table (header in row 4)."""
    grid = values(template, "Selected living labs")
    return [tuple(row[:2]) for row in grid[HEADER_ROW + 1:] if row and row[0]]


def test_a_partner_with_selected_labs_is_asked_about_them_instead_of_for_candidates(story: Story) -> None:
    outbox = story.ws.outbox
    wanted = [(p["Place"], p["Municipality"]) for p in story.selected]
    for period in (2, 3):
        template = outbox(period) / f"NC_P{period}_{SELECTING}.xlsx"
        sheets = openpyxl.load_workbook(template).sheetnames
        assert "Selected living labs" in sheets and "Living Labs" not in sheets
        assert selected_sheet(template) == wanted
        assert values(template, "Selected living labs")[HEADER_ROW][:5] == [
            "Place", "Municipality", "Companies engaged", "Activities this period", "Next steps"]
    others = openpyxl.load_workbook(outbox(3) / f"NC_P3_{DROPPING}.xlsx").sheetnames
    assert "Living Labs" in others and "Selected living labs" not in others


def test_the_labs_progress_reported_by_the_partner_shows_on_the_master(story: Story) -> None:
    rows = table(story.ws.master, "Living lab progress")
    assert [(r["Partner"], r["Period"], r["Place"], r["Companies engaged"], r["Activities this period"]) for r in rows] == [
        (SELECTING, 2, p["Place"], 14 + i, f"Two workshops with the companies of {p['Place']}.") for i, p in enumerate(story.selected)
    ]


def test_a_mistake_in_the_selected_labs_is_flagged_at_its_cell_and_the_feedback_asks_about_the_same_labs(story: Story) -> None:
    issues = [r for r in table(story.ws.master, "Returns") if r["File"].endswith(story.rejected)]
    assert issues and issues[0]["Status"] == "rejected"
    feedback = story.ws.root / issues[0]["Feedback workbook"]
    assert selected_sheet(feedback) == [(p["Place"], p["Municipality"]) for p in story.selected]
    flagged = [row for row in values(feedback, "Feedback")[4:] if row and row[2]]
    assert [row[2] for row in flagged] == ["Selected living labs!C5"]
