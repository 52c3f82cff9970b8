"""A return's life across periods: which return counts, late and caught-up periods, one run at a time.

Which of a partner's returns counts is decided by the order nc-excel received them
(the register), never by the files' modified times; a return sent after its
deadline is accepted and flagged; a period a partner missed can be sent later and
counts for its own period and in every later template; two collect runs never
register a file twice.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import GENERATED_AT, copy_project, sheet_values
from test_collect import make_return
from typer.testing import CliRunner

from nc_excel.board.read import read_dashboard
from nc_excel.cli import app
from nc_excel.excel.read import read_frame
from nc_excel.intake.archive import Archive, Register
from nc_excel.intake.sniff import Limits
from nc_excel.master.schema import (
    DASHBOARD,
    FINANCE_POSITION,
    PROGRESS,
    RETURNS,
    Dashboard,
    Sheet,
)
from nc_excel.partner.read import Return
from nc_excel.partner.schema import FLC_FORM, SUBMISSION_FORM, template_name
from nc_excel.partner.simulate import fill_workbook, partner_entries
from nc_excel.setup.currency import rate_of, to_eur
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import ProjectLocked, Workspace

REPO = Path(__file__).resolve().parents[1]


def master_table(ws: Workspace, sheet: Sheet) -> pd.DataFrame:
    """A rebuilt sheet of the master read back through its model."""
    return read_frame(sheet_values(ws.master, sheet.name), sheet.model)


def dashboard(ws: Workspace) -> Dashboard:
    return read_dashboard(sheet_values(ws.master, DASHBOARD.name), ws.master)


def codes(c) -> set[str]:
    return {i.code for i in c.issues}


# --------------------------------------------------------------------------- receipt order


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> tuple[Workspace, list]:
    """Two collects of period 1, the second's files saved *earlier* than the first's (unzipped from an e-mail)."""
    ws = copy_project(demo_project, tmp_path_factory.mktemp("order"))  # the period-1 templates sent
    first = make_return(ws, demo_setup, "OSL", "OSL_P1.xlsx")
    make_return(ws, demo_setup, "HOE", "HOE_P1.xlsx", overrides={("Finance", "D5"): "1.234"}, mtime=first.stat().st_mtime + 7200)  # rejected
    run1 = ws.collect(now=dt.datetime(2017, 10, 11, 9))
    older = first.stat().st_mtime - 3600
    make_return(ws, demo_setup, "OSL", "OSL_P1_corrected.xlsx", overrides={("Progress", "F5"): "Corrected: the staff change is over"}, mtime=older)
    make_return(ws, demo_setup, "HOE", "HOE_P1_fixed.xlsx", mtime=older)
    run2 = ws.collect(now=dt.datetime(2017, 10, 12, 9))
    ws.build(as_of=dt.date(2017, 10, 12), period=1)
    return ws, [run1, run2]


def test_a_correction_saved_before_the_first_return_still_replaces_it(two_runs) -> None:
    ws, (_, run2) = two_runs
    corrected = next(c for c in run2.collected if c.path.name == "OSL_P1_corrected.xlsx")
    assert corrected.entry.accepted and corrected.replaced.file == "inbox/OSL_P1.xlsx"
    replaced = next(i for i in corrected.issues if i.code == "return-replaced")
    assert "inbox/OSL_P1.xlsx" in replaced.message and "11 Oct 2017 09:00" in replaced.message
    assert Register(ws.root).latest_accepted("OSL", 1).file == "inbox/OSL_P1_corrected.xlsx"
    progress = master_table(ws, PROGRESS)
    assert set(progress.loc[progress["partner"] == "OSL", "problems"]) >= {"Corrected: the staff change is over"}
    returns = master_table(ws, RETURNS).set_index("file")
    assert returns.loc["inbox/OSL_P1.xlsx", "replaced_by"] == "inbox/OSL_P1_corrected.xlsx"
    assert returns.loc["inbox/OSL_P1.xlsx", "seq"] < returns.loc["inbox/OSL_P1_corrected.xlsx", "seq"]
    assert pd.isna(returns.loc["inbox/OSL_P1_corrected.xlsx", "replaced_by"]) or not returns.loc["inbox/OSL_P1_corrected.xlsx", "replaced_by"]


def test_a_rejected_file_with_a_newer_time_does_not_make_the_partner_rejected(two_runs) -> None:
    ws, (run1, run2) = two_runs
    assert [c.entry.status for c in run1.collected if c.entry.partner == "HOE"] == ["rejected"]
    assert next(c for c in run2.collected if c.path.name == "HOE_P1_fixed.xlsx").entry.accepted
    hoe = master_table(ws, FINANCE_POSITION).set_index("partner").loc["HOE"]
    assert (hoe["reported"], hoe["rejected"]) == (True, False)


def test_collect_says_which_return_was_replaced(two_runs, demo_setup: ProjectSetup, tmp_path: Path) -> None:
    ws = Workspace(Path(shutil.copytree(two_runs[0].root, tmp_path / "project")))
    make_return(ws, demo_setup, "OSL", "OSL_P1_third.xlsx", overrides={("Progress", "F5"): "Third version"})
    run = CliRunner().invoke(app, ["collect", "--project", str(ws.root)])
    assert run.exit_code == 0, run.output
    assert "OSL, period 1: OSL_P1_third.xlsx replaces inbox/OSL_P1_corrected.xlsx (received 12 Oct 2017 09:00)" in " ".join(run.stdout.split())


def test_a_register_with_two_current_returns_is_built_and_named(two_runs, tmp_path: Path) -> None:
    """A register edited by hand (and one written before entries had a seq): the build takes the later and says which file to look at."""
    ws = Workspace(Path(shutil.copytree(two_runs[0].root, tmp_path / "project")))
    lines = [json.loads(line) for line in ws.register.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        line.pop("seq")
        if line["file"] == "inbox/OSL_P1.xlsx":
            line["superseded_by"] = None
    ws.register.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    register = Register(ws.root)
    assert [e.seq for e in register.entries] == list(range(1, len(lines) + 1))
    assert register.latest_accepted("OSL", 1).file == "inbox/OSL_P1_corrected.xlsx"
    run = CliRunner().invoke(app, ["build", "--project", str(ws.root), "--as-of", "2017-10-12", "--period", "1"])
    assert run.exit_code == 0, run.output
    said = " ".join(run.stdout.split())
    assert "2 current accepted returns of OSL for period 1" in said and "Look at inbox/OSL_P1_corrected.xlsx" in said
    progress = master_table(ws, PROGRESS)
    assert "Corrected: the staff change is over" in set(progress.loc[progress["partner"] == "OSL", "problems"])


# --------------------------------------------------------------------------- one run at a time


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The real `nc-excel` command in a process of its own, on this tree's code."""
    return subprocess.Popen([sys.executable, "-m", "nc_excel.cli", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", **(env or {})})


def test_two_collects_started_together_register_each_file_once(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    for code in ("AAL", "HOE", "OSL", "BRG"):
        make_return(ws, demo_setup, code)
    runs = [cli("collect", "--project", str(ws.root), "--json") for _ in range(2)]
    outcomes = [(p.wait(timeout=600), *p.communicate()) for p in runs]
    register = Register(ws.root)
    assert sorted(e.file for e in register.entries) == [f"inbox/{c}_report.xlsx" for c in ("AAL", "BRG", "HOE", "OSL")]
    assert sorted(code for code, _, _ in outcomes) in ([0, 0], [0, 2]), outcomes
    # one collected everything; the other waited and then found nothing new, or gave up waiting and said who holds the project
    assert sorted(len(json.loads(out)["returns"]) for code, out, _ in outcomes if code == 0) in ([4], [0, 4])
    for err in (" ".join(err.split()) for code, _, err in outcomes if code == 2):
        assert "Another nc-excel run is working on" in err and "`collect` (process" in err and "Nothing was changed" in err
    assert not ws.lock.exists()
    assert ws.build(as_of=dt.date(2017, 10, 16), period=1).returns_merged == 4


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a run that has ended without removing its lock
    ws.lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "2017-10-16T09:00:00", "command": "collect"}))
    ws.generate_templates(1, ["AAL"], now=GENERATED_AT)
    make_return(ws, demo_setup, "AAL")
    assert [c.entry.partner for c in ws.collect(now=dt.datetime(2017, 10, 12, 9)).collected] == ["AAL"]
    assert not ws.lock.exists()


def test_a_run_that_holds_the_lock_makes_the_next_wait_then_refuse(tmp_path: Path, demo_setup: ProjectSetup, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": "2017-10-16T09:00:00", "command": "build"}
    ws.lock.write_text(json.dumps(holder))
    monkeypatch.setenv("NC_EXCEL_LOCK_WAIT", "0.3")
    with pytest.raises(ProjectLocked, match=rf"`build` \(process {os.getpid()} on {socket.gethostname()}, since 2017-10-16 09:00:00\)"):
        ws.generate_templates(1, ["AAL"])
    run = CliRunner().invoke(app, ["collect", "--project", str(ws.root)])
    assert run.exit_code == 2 and "delete" in run.output and "nc-excel.lock" in "".join(run.output.split())
    assert json.loads(ws.lock.read_text()) == holder  # somebody else's lock is never removed
    assert not ws.outbox(1).exists()


# --------------------------------------------------------------------------- late and caught-up periods


def send(ws: Workspace, setup: ProjectSetup, partner: str, period: int, submitted: dt.date | None = None) -> Path:
    """The partner fills in the period's template it was sent, and dates it ``submitted``."""
    entries = partner_entries(setup, partner, period)
    if submitted is not None:  # the FLC dates move with it
        shift = submitted - entries.forms[SUBMISSION_FORM]["submitted_on"]
        entries.forms[SUBMISSION_FORM]["submitted_on"] = submitted
        flc = entries.forms[FLC_FORM]
        flc.update({k: flc[k] + shift for k in ("sent_to_flc", "certificate_date") if flc.get(k)})
    out = ws.inbox / f"{partner}_P{period}_{submitted or 'on time'}.xlsx"
    return fill_workbook(ws.outbox(period) / template_name(setup, period, partner), out, entries, setup)


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> dict:
    """AAL reports in time, FKC a week late; SCE misses period 1 and sends it in January 2018, during period 2,
    then period 2 (on a template sent again after the catch-up); period 3's template follows."""
    ws = copy_project(demo_project, tmp_path_factory.mktemp("late"))  # the period-1 templates sent
    send(ws, demo_setup, "AAL", 1)
    in_time = ws.collect(now=dt.datetime(2017, 10, 13, 17))  # the deadline is 13 October
    send(ws, demo_setup, "FKC", 1)
    week_late = ws.collect(now=dt.datetime(2017, 10, 20, 9))
    ws.generate_templates(2, now=dt.datetime(2017, 11, 1, 9))
    send(ws, demo_setup, "SCE", 1, submitted=dt.date(2018, 1, 10))
    caught_up = ws.collect(now=dt.datetime(2018, 1, 15, 9))
    ws.build(as_of=dt.date(2018, 1, 15), period=1)
    p1 = {"returns": master_table(ws, RETURNS), "finance": master_table(ws, FINANCE_POSITION), "dashboard": dashboard(ws)}
    ws.generate_templates(2, ["SCE"], now=dt.datetime(2018, 1, 16, 9))
    send(ws, demo_setup, "SCE", 2)
    period2 = ws.collect(now=dt.datetime(2018, 5, 20, 9))
    [p3] = ws.generate_templates(3, ["SCE"], now=dt.datetime(2018, 5, 21, 9))
    return {"ws": ws, "in_time": in_time, "week_late": week_late, "caught_up": caught_up, "period2": period2, "p1": p1, "p3": p3}


def test_a_return_after_the_deadline_is_accepted_and_flagged_late(late) -> None:
    [aal], [fkc] = late["in_time"].collected, late["week_late"].collected
    assert aal.entry.accepted and "late-return" not in codes(aal)
    assert fkc.entry.accepted and fkc.entry.late
    flag = next(i for i in fkc.issues if i.code == "late-return")
    assert (flag.severity, flag.level, flag.sheet) == ("warning", "file", None)
    assert "20 Oct 2017" in flag.message and "13 Oct 2017" in flag.message
    returns = late["p1"]["returns"].set_index("partner")
    assert (returns.loc["AAL", "late"], returns.loc["FKC", "late"], returns.loc["SCE", "late"]) == (False, True, True)
    assert late["p1"]["dashboard"].late == 2 and late["p1"]["dashboard"].accepted == 3


def test_a_missed_period_sent_during_the_next_counts_for_its_own_period(late) -> None:
    [sce] = late["caught_up"].collected
    assert sce.entry.accepted, sce.issues
    assert (sce.entry.partner, sce.entry.period, sce.entry.late) == ("SCE", 1, True)
    assert sce.ret.form(SUBMISSION_FORM)["submitted_on"] == dt.date(2018, 1, 10)
    finance = late["p1"]["finance"].set_index("partner")
    assert finance.loc["SCE", "reported"] == True


def test_the_next_templates_start_from_every_earlier_period(late, demo_setup: ProjectSetup) -> None:
    ws = late["ws"]
    [p2] = late["period2"].collected
    assert p2.entry.accepted and p2.entry.period == 2, p2.issues
    register = Register(ws.root)
    p1_ret, p2_ret = (ws_return(ws, register, demo_setup, period) for period in (1, 2))
    # Scottish Enterprise declares in GBP; "Declared before" is in euros, each period's at the rate of its month of submission.
    staff = [to_eur(ret.rows("Finance")[0]["declared"], rate_of(demo_setup.rates, "GBP", ret.form(SUBMISSION_FORM)["submitted_on"]))
             for ret in (p1_ret, p2_ret)]
    assert p2_ret.rows("Finance")[0]["previous"] == staff[0]  # the period-2 template sent again after the catch-up
    finance = sheet_values(late["p3"], "Finance")
    indicators = sheet_values(late["p3"], "Indicators")
    assert finance[4][2] == pytest.approx(float(sum(staff)))  # "Declared before": periods 1 and 2
    achieved = p1_ret.rows("Indicators")[0]["achieved"] + p2_ret.rows("Indicators")[0]["achieved"]
    assert indicators[4][4] == pytest.approx(float(achieved))  # "Reported before"


def ws_return(ws: Workspace, register: Register, setup: ProjectSetup, period: int) -> Return:
    """SCE's current return of ``period``, read back from the archive."""
    ret = Archive(ws.root, register, setup, Limits()).latest("SCE", period)
    assert ret is not None
    return ret
